import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT } from '../helpers/server.js';
import { createClientSecret, eventually, openDashboard, openSignedIn, sendBatch, signIn, startMythicAndChromium, stopDashboardSuite, type DashboardPage } from './dashboardPage.js';
import { CHROMIUM_SKIP, DESKTOP_USER_AGENT, type MythicServer } from './harness.js';

type Cell = string | number | null;
interface QueryData {
  columns: string[];
  rows: Cell[][];
  compare?: { columns: string[]; rows: Cell[][] };
}
interface FunnelData {
  steps: { label: string; count: number }[];
}

const HOUR_MS = 3_600_000;
const FIREFOX_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/**
 * Traffic over the last five days, sent with the secret key (which keeps past timestamps): visitors
 * with one to three page views per session, some from a newsletter campaign, some signing up.
 */
function traffic(now: number): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  const paths = ['/', '/pricing', '/docs', '/blog/launch'];
  for (let visitor = 0; visitor < 24; visitor++) {
    const start = now - ((visitor * 5 + 2) % 110) * HOUR_MS - 30 * 60_000;
    const session = `s-${visitor}`;
    const views = 1 + (visitor % 3);
    const campaign = visitor % 4 === 0 ? '?utm_source=newsletter&utm_campaign=spring' : '';
    const userAgent = visitor % 3 === 0 ? IPHONE : visitor % 3 === 1 ? FIREFOX_MAC : DESKTOP_USER_AGENT;
    for (let view = 0; view < views; view++) {
      const path = paths[(visitor + view) % paths.length]!;
      events.push({
        event: '$pageview',
        distinct_id: `visitor-${visitor}`,
        timestamp: new Date(start + view * 60_000).toISOString(),
        $session_id: session,
        user_agent: userAgent,
        properties: {
          $current_url: `https://shop.example${path}${view === 0 ? campaign : ''}`,
          $referrer: view === 0 && visitor % 2 === 1 ? 'https://www.google.com/search' : '$direct',
        },
      });
    }
    if (visitor % 3 !== 2) {
      events.push({ event: 'Signup', distinct_id: `visitor-${visitor}`, timestamp: new Date(start + views * 60_000).toISOString(), $session_id: session, user_agent: userAgent });
    }
  }
  return events;
}

describe('browser: the analytics pages show the query API’s numbers', { skip: CHROMIUM_SKIP }, () => {
  let mythic: MythicServer;
  let browser: Browser;
  let dash: DashboardPage;
  let secretKey: string;

  before(async () => {
    ({ mythic, browser } = await startMythicAndChromium());
    secretKey = await createClientSecret(mythic, { id: 'shop', name: 'Shop', domain: 'shop.example', timezone: 'America/Los_Angeles' });
    await sendBatch(mythic, secretKey, traffic(Date.now()));
    await mythic.waitForEvents('shop', (events) => events.length > 0);
    dash = await openSignedIn(browser, mythic.baseUrl);
  });
  after(() => stopDashboardSuite({ dash, browser, mythic }));

  const query = async (body: Record<string, unknown>): Promise<QueryData> => {
    const reply = await mythic.admin<{ data: QueryData }>('POST', '/api/v1/query', { client_id: 'shop', ...body });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body.data;
  };
  const valueOf = (data: { columns: string[] }, row: Cell[] | undefined, column: string): number => Number(row?.[data.columns.indexOf(column)] ?? 0);
  const kpi = async (page: Page, metric: string): Promise<number> => Number(await page.locator(`.kpi[data-metric="${metric}"] .value`).getAttribute('data-value'));

  it('shows KPIs, the chart and the tables with the numbers the query API gives for the same period', async () => {
    const { page } = dash;
    await page.goto(`${mythic.baseUrl}/#/clients/shop/analytics`);
    await page.getByLabel('Period', { exact: true }).selectOption('7d');
    await page.locator('.chart canvas').first().waitFor();
    await page.locator('.kpi[data-metric="page_views"] .value').waitFor();

    const metrics = ['unique_visitors', 'page_views', 'sessions', 'bounce_rate', 'avg_session_duration', 'views_per_session'];
    const totals = await query({ metrics, period: '7d' });
    assert.ok(valueOf(totals, totals.rows[0], 'page_views') > 0, 'the query API counts the traffic');
    // The KPIs may still show 30 days for a moment after the switch: wait for the 7-day numbers.
    await page.waitForFunction(
      `document.querySelector('.kpi[data-metric="page_views"] .value')?.getAttribute('data-value') === '${valueOf(totals, totals.rows[0], 'page_views')}'`,
    );
    for (const metric of metrics) assert.equal(await kpi(page, metric), valueOf(totals, totals.rows[0], metric), metric);

    const series = await query({ metrics: ['unique_visitors', 'page_views'], dimensions: ['day'], period: '7d', limit: 10000 });
    assert.equal(series.rows.length, 7, 'seven daily buckets, empty days included');
    await page.getByText('Chart data').click();
    // The KPIs of 30 and 7 days are alike (all the traffic is of the last five days), so the wait
    // above may have seen the 30-day answer: the chart keeps its 30 days until its own 7-day answer.
    const shown = (): Promise<(string | number)[][]> =>
      page.locator('.chart-data tbody tr').evaluateAll((rows) =>
        rows.map((row) => [
          row.querySelector('th')?.textContent ?? '',
          Number(row.querySelector('[data-metric="unique_visitors"]')?.getAttribute('data-value')),
          Number(row.querySelector('[data-metric="page_views"]')?.getAttribute('data-value')),
        ]),
      );
    await eventually(async () => assert.deepEqual(await shown(), series.rows.map((row) => [String(row[0]), valueOf(series, row, 'unique_visitors'), valueOf(series, row, 'page_views')])));

    // The chart itself: hovering the last bucket shows its values in the chart's legend.
    const over = await page.locator('.chart .u-over').boundingBox();
    assert.ok(over);
    await page.mouse.move(over.x + over.width - 2, over.y + over.height / 2);
    const last = series.rows[series.rows.length - 1]!;
    await page.locator('.chart-tooltip').waitFor();
    const legend = await page.locator('.chart-legend .entry strong').evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-value') ?? ''));
    assert.deepEqual(legend, [String(valueOf(series, last, 'unique_visitors')), String(valueOf(series, last, 'page_views'))]);

    const pages = await query({ metrics: ['unique_visitors', 'page_views'], dimensions: ['path'], filters: { event: '$pageview' }, attribution: 'visit', period: '7d', limit: 10 });
    // The table loads on its own answer, which nothing above waited for.
    const table = (): Promise<(string | number)[][]> =>
      page.locator('[data-dimension="path"] tbody tr').evaluateAll((rows) =>
        rows.map((row) => [row.getAttribute('data-value') ?? '', ...[...row.querySelectorAll('td')].map((td) => Number(td.getAttribute('data-value')))]),
      );
    await eventually(async () => assert.deepEqual(await table(), pages.rows.map((row) => [String(row[0]), valueOf(pages, row, 'unique_visitors'), valueOf(pages, row, 'page_views')])));
    // The first tab of each card shows; the others open by their tab.
    for (const dimension of ['referrer_host', 'browser', 'event']) {
      await page.locator(`[data-dimension="${dimension}"] table, [data-dimension="${dimension}"] p.hint`).first().waitFor();
    }
    assert.match(await page.locator('[data-dimension="referrer_host"]').innerText(), /google\.com/);
    await page.locator('[data-card="sources"]').getByRole('tab', { name: 'UTM campaign' }).click();
    assert.match(await page.locator('[data-dimension="utm_campaign"] table').innerText(), /spring/);
    await page.locator('[data-card="devices"]').getByRole('tab', { name: 'OS' }).click();
    await page.locator('[data-dimension="os"] table').waitFor();

    const outDir = join(REPO_ROOT, 'test-output');
    mkdirSync(outDir, { recursive: true });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(outDir, 'dashboard-analytics.png'), fullPage: true });
  });

  it('compares with the previous period', async () => {
    const { page } = dash;
    await page.getByLabel('Compare with the previous period').check();
    await page.locator('.kpi .change').first().waitFor();
    const compared = await query({ metrics: ['unique_visitors'], period: '7d', compare: 'previous_period' });
    assert.ok(compared.compare, 'the API answers a comparison');
    assert.equal(await kpi(page, 'unique_visitors'), valueOf(compared, compared.rows[0], 'unique_visitors'));
    const previous = await page.locator('.kpi[data-metric="unique_visitors"] .change').getAttribute('data-previous');
    assert.equal(Number(previous), valueOf(compared.compare, compared.compare.rows[0], 'unique_visitors'));
    await page.locator('.chart-legend .entry.previous').first().waitFor();
    assert.equal(await page.locator('.chart-legend .entry').count(), 4, 'the chart adds the previous period’s two lines');
    await page.getByLabel('Compare with the previous period').uncheck();
  });

  it('builds a funnel whose counts are the funnel API’s', async () => {
    const { page } = dash;
    await page.getByLabel('Step 1 path').fill('/');
    await page.getByLabel('Step 2 kind').selectOption('event');
    await page.getByLabel('Step 2 event name').fill('Signup');
    await page.getByRole('button', { name: 'Run funnel' }).click();
    await page.locator('.funnel tbody tr').nth(1).waitFor();
    const counts = await page.locator('.funnel tbody td[data-value]').evaluateAll((cells) => cells.map((cell) => Number(cell.getAttribute('data-value'))));
    const reply = await mythic.admin<{ data: FunnelData }>('POST', '/api/v1/query/funnel', {
      client_id: 'shop',
      steps: [{ path: '/' }, { event: 'Signup' }],
      window_seconds: 86400,
      period: '7d',
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(counts, reply.body.data.steps.map((s) => s.count));
    assert.ok(counts[0]! > 0);
  });

  it('shows live events and picks up new ones, polling in commit order (after_seq)', async () => {
    const { page } = dash;
    const polls: string[] = [];
    const record = (request: { url(): string }): void => {
      if (request.url().includes('/clients/shop/events')) polls.push(new URL(request.url()).search);
    };
    page.on('request', record);
    await page.goto(`${mythic.baseUrl}/#/clients/shop/live`);
    await page.locator('.live tbody tr').first().waitFor();
    await sendBatch(mythic, secretKey, [{ event: 'Live Check', distinct_id: 'watcher' }]);
    await page.locator('.live tbody tr', { hasText: 'Live Check' }).waitFor({ timeout: 15_000 });
    page.off('request', record);
    // A received_at cursor skips events that commit out of their received order.
    assert.ok(polls.length >= 2 && polls.slice(1).every((search) => /[?&]after_seq=\d+/.test(search) && !/[?&]after=/.test(search)), polls.join(' '));
    assert.deepEqual(dash.problems, [], 'no script error and no CSP violation');
  });

  it('signs a client in with its secret key to its own analytics only', async () => {
    await mythic.createClient({ id: 'rival', name: 'Rival' });
    const own = await openDashboard(browser, mythic.baseUrl);
    try {
      await signIn(own.page, secretKey);
      await own.page.locator('.kpi[data-metric="page_views"] .value').waitFor();
      assert.equal(await own.page.getByRole('link', { name: 'Clients' }).count(), 0, 'no client management');
      assert.match(await own.page.locator('.analytics .heading').innerText(), /Shop/);
      await own.page.goto(`${mythic.baseUrl}/#/clients/rival/analytics`);
      await own.page.locator('.kpi[data-metric="page_views"] .value').waitFor();
      const totals = await query({ metrics: ['page_views'], period: '30d' });
      assert.equal(await kpi(own.page, 'page_views'), valueOf(totals, totals.rows[0], 'page_views'), 'still its own numbers, whatever the URL says');
      assert.deepEqual(own.problems, []);
    } finally {
      await own.close();
    }
  });
});
