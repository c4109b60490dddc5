import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createClientSecret, openSignedIn, sendBatch, startMythicAndChromium, stopDashboardSuite, type DashboardPage } from './dashboardPage.js';
import { CHROMIUM_SKIP, DESKTOP_USER_AGENT, type MythicServer } from './harness.js';
import { timeDimensionOf, type PeriodName } from '../../web/src/analytics/query.js';

/** Enough page views in one month for five-digit y labels ("12,000"), the case that used to be clipped. */
const PAGE_VIEWS = 12_600;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

interface Box {
  text: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The chart's tick labels and the chart's own box, as laid out. */
async function chartLabels(page: Page): Promise<{ x: Box[]; y: Box[]; chart: Box }> {
  // One flat list (no helper function inside evaluate: the test's transpiler would name it).
  const all = await page.locator('.chart-wrap .x-label, .chart-wrap .y-label, .chart-wrap .chart').evaluateAll((elements) =>
    elements.map((el) => {
      const r = el.getBoundingClientRect();
      return { kind: el.classList.contains('chart') ? 'chart' : el.className, box: { text: el.classList.contains('chart') ? '' : (el.textContent ?? ''), left: r.left, right: r.right, top: r.top, bottom: r.bottom } };
    }),
  );
  const chart = all.find((e) => e.kind === 'chart');
  assert.ok(chart, 'the chart is drawn');
  return { x: all.filter((e) => e.kind === 'x-label').map((e) => e.box), y: all.filter((e) => e.kind === 'y-label').map((e) => e.box), chart: chart.box };
}

/**
 * The labels once the chart has settled: two reads 150 ms apart alike. Read as soon as the first
 * label appears, a loaded machine could still be laying the chart out for the new size or data, and
 * labels of two layouts overlapped (CI failed on it); a real overlap stays and still fails.
 */
async function settledLabels(page: Page): Promise<{ x: Box[]; y: Box[]; chart: Box }> {
  let last = await chartLabels(page);
  for (let tries = 0; tries < 20; tries++) {
    await page.waitForTimeout(150);
    const next = await chartLabels(page);
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
  return last;
}

/**
 * `buckets`: how many the period's chart draws. "Today" in its first hour has one (the period ends
 * now), so one label is right then; CI failed on it at 00:10 UTC.
 */
function assertReadable(labels: { x: Box[]; y: Box[]; chart: Box }, buckets: number, what: string): void {
  assert.ok(labels.x.length >= Math.min(2, buckets), `${what}: at least ${Math.min(2, buckets)} x labels for ${buckets} buckets (${labels.x.map((b) => b.text).join(' ')})`);
  for (let i = 1; i < labels.x.length; i++) {
    assert.ok(labels.x[i]!.left >= labels.x[i - 1]!.right + 2, `${what}: "${labels.x[i - 1]!.text}" and "${labels.x[i]!.text}" do not overlap`);
  }
  for (const label of [...labels.x, ...labels.y]) {
    assert.ok(label.left >= labels.chart.left - 0.5 && label.right <= labels.chart.right + 0.5, `${what}: "${label.text}" is inside the chart (${label.left}–${label.right} in ${labels.chart.left}–${labels.chart.right})`);
  }
  assert.ok(labels.y.every((label) => /^\d{1,3}(,\d{3})*$/.test(label.text)), `${what}: integer y labels with separators: ${labels.y.map((b) => b.text).join(' ')}`);
}

/** The time grain the dashboard charts a named period by: the dashboard's own choice. */
const grainOf = (period: PeriodName): string => timeDimensionOf({ name: period, from: '', to: '' });

describe('browser: the analytics chart reads well at every period', { skip: CHROMIUM_SKIP }, () => {
  let mythic: MythicServer;
  let browser: Browser;
  let dash: DashboardPage;
  let page: Page;

  before(async () => {
    ({ mythic, browser } = await startMythicAndChromium());
    const secretKey = await createClientSecret(mythic, { id: 'busy', name: 'Busy', domain: 'busy.example', timezone: 'UTC' });
    const now = Date.now();
    for (let start = 0; start < PAGE_VIEWS; start += 1000) {
      const batch = Array.from({ length: Math.min(1000, PAGE_VIEWS - start) }, (_, k) => {
        const i = start + k;
        return {
          event: '$pageview',
          distinct_id: `v${i % 40}`,
          // Spread over the last three hours: the hours, the day and the month all hold thousands.
          timestamp: new Date(now - (i % 180) * 60_000 - 1000).toISOString(),
          user_agent: DESKTOP_USER_AGENT,
          properties: { $current_url: 'https://busy.example/' },
        };
      });
      await sendBatch(mythic, secretKey, batch);
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const reply = await mythic.admin<{ data: { rows: number[][] } }>('POST', '/api/v1/query', { client_id: 'busy', metrics: ['page_views'], period: '12mo' });
      if (reply.body.data.rows[0]?.[0] === PAGE_VIEWS) break;
      assert.ok(Date.now() < deadline, `stored ${JSON.stringify(reply.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    dash = await openSignedIn(browser, mythic.baseUrl, DESKTOP);
    page = dash.page;
  });
  after(() => stopDashboardSuite({ dash, browser, mythic }));

  /** The chart's bucket labels for a period, as the query API fills them. */
  const bucketLabels = async (period: PeriodName): Promise<string[]> => {
    const reply = await mythic.admin<{ data: { rows: unknown[][] } }>('POST', '/api/v1/query', { client_id: 'busy', metrics: ['page_views'], dimensions: [grainOf(period)], period, limit: 10000 });
    return reply.body.data.rows.map((row) => String(row[0]));
  };

  /**
   * Shows a period and waits for its answer: the chart data's rows are the period's buckets. The
   * previous period's chart stays until the new answer arrives, and "today" and "24h" (or "30d" and
   * "90d") share a grain, so waiting for the grain alone read the previous chart on a loaded
   * machine (CI failed on it). Asked again each round, since "today" gains a bucket on the hour.
   * Returns how many buckets the chart draws.
   */
  const show = async (period: PeriodName): Promise<number> => {
    await page.goto(`${mythic.baseUrl}/#/clients/busy/analytics?period=${period}`);
    const started = Date.now();
    let reloaded = false;
    for (;;) {
      const expected = await bucketLabels(period);
      const shown = await page.locator('.chart-data tbody tr th').evaluateAll((cells) => cells.map((cell) => cell.textContent ?? ''));
      if (JSON.stringify(shown) === JSON.stringify(expected)) {
        await page.locator(`.chart[aria-label$="by ${grainOf(period)}"] .x-label`).first().waitFor();
        return expected.length;
      }
      // An hour (or a day) that began between the page's question and ours: the page never asks
      // again by itself, so it is asked once more.
      if (!reloaded && Date.now() - started > 5_000) {
        await page.reload();
        reloaded = true;
      }
      assert.ok(Date.now() - started < 15_000, `${period}: the chart shows ${shown.join(' ')}, the period has ${expected.join(' ')}`);
      await page.waitForTimeout(100);
    }
  };

  it('has non-overlapping x labels and unclipped integer y labels by hour, day and month, on a desktop and a phone', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      await page.setViewportSize(viewport);
      for (const period of ['today', '24h', '30d', '90d', '12mo'] as const) {
        const buckets = await show(period);
        const labels = await settledLabels(page);
        assertReadable(labels, buckets, `${period} at ${viewport.width}px`);
        if (viewport === PHONE) {
          const sideways = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
          assert.equal(sideways, 0, `${period} at ${viewport.width}px: the page does not scroll sideways`);
        }
        if (period === '12mo') assert.ok(labels.y.some((label) => /^1\d,\d{3}$/.test(label.text)), `five-digit labels shown whole: ${labels.y.map((b) => b.text).join(' ')}`);
      }
    }
    await page.setViewportSize(DESKTOP);
    // The labels a period shows: hours for a day, month names for a year.
    await show('24h');
    const hours = (await settledLabels(page)).x.map((label) => label.text);
    assert.ok(hours.every((text) => /^(\d{2}:00|[A-Z][a-z]{2} \d{1,2})$/.test(text)), `24h labels: ${hours.join(' ')}`);
    await show('12mo');
    const months = (await settledLabels(page)).x.map((label) => label.text);
    assert.ok(months.every((text) => /^[A-Z][a-z]{2} \d{4}$/.test(text)), `12mo labels: ${months.join(' ')}`);
    assert.deepEqual(dash.problems, []);
  });

  it('names the last bucket’s values when nothing is hovered, the hovered bucket’s in a tooltip, and draws the comparison faintly', async () => {
    await show('30d');
    const legend = page.locator('.chart-legend');
    const totals = await mythic.admin<{ data: { rows: (string | number)[][] } }>('POST', '/api/v1/query', {
      client_id: 'busy',
      metrics: ['unique_visitors', 'page_views'],
      dimensions: ['day'],
      period: '30d',
      attribution: 'visit',
      limit: 10000,
    });
    const rows = totals.body.data.rows;
    const last = rows[rows.length - 1]!;
    const readout = async (): Promise<string[]> => legend.locator('.entry strong').evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-value') ?? ''));
    assert.deepEqual(await readout(), [String(last[1]), String(last[2])], 'the last bucket, not "--"');
    assert.doesNotMatch(await legend.innerText(), /--/);

    const over = await page.locator('.chart .u-over').boundingBox();
    assert.ok(over);
    await page.mouse.move(over.x + 2, over.y + over.height / 2);
    const tooltip = page.locator('.chart-tooltip');
    await tooltip.waitFor();
    const first = rows[0]!;
    assert.match(await tooltip.innerText(), new RegExp(`Visitors\\s*${first[1]}`));
    assert.deepEqual(await readout(), [String(first[1]), String(first[2])], 'the legend follows the hovered bucket');
    await page.mouse.move(0, 0);
    await tooltip.waitFor({ state: 'hidden' });

    await page.getByLabel('Compare with the previous period').check();
    await legend.locator('.entry.previous').first().waitFor();
    assert.equal(await legend.locator('.entry.previous').count(), 2, 'the previous period’s two series');
    assert.deepEqual(dash.problems, []);
  });
});
