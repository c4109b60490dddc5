import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createClientSecret, eventually, openSignedIn, sendBatch, startMythicAndChromium, stopDashboardSuite, type DashboardPage } from './dashboardPage.js';
import { CHROMIUM_SKIP, DESKTOP_USER_AGENT, type MythicServer } from './harness.js';

type Cell = string | number | null;
interface QueryData {
  columns: string[];
  rows: Cell[][];
}

const HOUR_MS = 3_600_000;

const FIREFOX = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0';
const LONG_PATH = '/docs/getting-started-with-the-analytics-dashboard-for-agencies-and-their-clients';
/** Public addresses in different countries (whichever the shipped database says they are). */
const ADDRESSES = ['8.8.8.8', '81.2.69.142', '1.1.1.1', '185.60.216.35'];

/**
 * Thirty visitors over the last three days: three landing pages, two browsers, four addresses, a
 * referrer for some, a custom event for some (the `$pageview`s are internal events).
 */
function traffic(now: number): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  const paths = ['/', '/pricing', LONG_PATH];
  for (let visitor = 0; visitor < 30; visitor++) {
    const start = now - ((visitor * 7) % 60) * HOUR_MS - 20 * 60_000;
    const common = { distinct_id: `visitor-${visitor}`, $session_id: `s-${visitor}`, user_agent: visitor % 3 === 0 ? FIREFOX : DESKTOP_USER_AGENT, ip: ADDRESSES[visitor % ADDRESSES.length] };
    for (let view = 0; view < 1 + (visitor % 2); view++) {
      events.push({
        ...common,
        event: '$pageview',
        timestamp: new Date(start + view * 60_000).toISOString(),
        properties: { $current_url: `https://shop.example${paths[(visitor + view) % paths.length]}`, $referrer: view === 0 && visitor % 2 === 1 ? 'https://duckduckgo.com/' : '$direct' },
      });
    }
    if (visitor % 5 === 0) events.push({ ...common, event: 'Signup', timestamp: new Date(start + 3 * 60_000).toISOString() });
  }
  return events;
}

describe('browser: filtering the analytics page', { skip: CHROMIUM_SKIP }, () => {
  let mythic: MythicServer;
  let browser: Browser;
  let dash: DashboardPage;
  let page: Page;

  before(async () => {
    ({ mythic, browser } = await startMythicAndChromium());
    const secretKey = await createClientSecret(mythic, { id: 'shop', name: 'Shop', domain: 'shop.example', timezone: 'UTC' });
    await sendBatch(mythic, secretKey, traffic(Date.now()));
    await mythic.waitForEvents('shop', (events) => events.length >= 51);
    dash = await openSignedIn(browser, mythic.baseUrl);
    page = dash.page;
  });
  after(() => stopDashboardSuite({ dash, browser, mythic }));

  const query = async (body: Record<string, unknown>): Promise<QueryData> => {
    const reply = await mythic.admin<{ data: QueryData }>('POST', '/api/v1/query', { client_id: 'shop', period: '7d', attribution: 'visit', ...body });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body.data;
  };
  const visitors = async (filters: Record<string, unknown>): Promise<number> => Number((await query({ metrics: ['unique_visitors'], filters })).rows[0]?.[0] ?? 0);
  /** Waits until the KPI shows `expected` visitors (cards reload after a filter changes). */
  const kpiVisitors = async (expected: number): Promise<void> => {
    await page.locator(`.kpi[data-metric="unique_visitors"] .value[data-value="${expected}"]`).waitFor();
  };
  /** A table's rows as [value, first metric], as the page shows them. */
  const tableRows = (dimension: string): Promise<[string, number][]> =>
    page
      .locator(`.breakdown-body[data-dimension="${dimension}"] tbody tr`)
      .evaluateAll((rows) => rows.map((row) => [row.getAttribute('data-value') ?? '', Number(row.querySelector('td')?.getAttribute('data-value'))] as [string, number]));
  const chips = (): Promise<string[]> => page.locator('.chip .chip-text').allInnerTexts();
  const hashQuery = (): Promise<string> => page.evaluate('decodeURIComponent(location.hash.split("?")[1] ?? "")');

  it('clicking a row filters every card and the URL, and a reload keeps it', async () => {
    await page.goto(`${mythic.baseUrl}/#/clients/shop/analytics?period=7d`);
    const all = await visitors({});
    await kpiVisitors(all);
    await page.locator('.breakdown-body[data-dimension="path"] tbody tr[data-value="/pricing"] .row-filter').click();

    const filter = { path: { is: ['/pricing'] } };
    const narrowed = await visitors(filter);
    assert.ok(narrowed > 0 && narrowed < all, `the filter narrows (${narrowed} of ${all})`);
    await kpiVisitors(narrowed);
    assert.deepEqual(await chips(), ['Page is /pricing']);
    assert.match(await hashQuery(), /f=path:is:\/pricing/);

    // Every card narrows: the chart's series and the other breakdowns equal the API's filtered answers.
    const browsers = await query({ metrics: ['unique_visitors'], dimensions: ['browser'], filters: filter, limit: 25 });
    await eventually(async () => assert.deepEqual(await tableRows('browser'), browsers.rows.map((row) => [String(row[0]), Number(row[1])])));
    const series = await query({ metrics: ['unique_visitors', 'page_views'], dimensions: ['day'], filters: filter, limit: 10000 });
    const chartVisitors = (): Promise<number[]> => page.locator('.chart-data tbody td[data-metric="unique_visitors"]').evaluateAll((cells) => cells.map((cell) => Number(cell.getAttribute('data-value'))));
    await eventually(async () => assert.deepEqual(await chartVisitors(), series.rows.map((row) => Number(row[1]))));

    await page.reload();
    await kpiVisitors(narrowed);
    assert.deepEqual(await chips(), ['Page is /pricing'], 'the filter survives a reload');
    assert.equal(await page.getByLabel('Period', { exact: true }).inputValue(), '7d', 'so does the period');
  });

  it('removes a chip, and back/forward step through the filters', async () => {
    const all = await visitors({});
    await page.getByRole('button', { name: 'Remove filter: Page is /pricing' }).click();
    await kpiVisitors(all);
    assert.deepEqual(await chips(), []);
    assert.doesNotMatch(await hashQuery(), /f=/);
    await page.goBack();
    await kpiVisitors(await visitors({ path: { is: ['/pricing'] } }));
    assert.deepEqual(await chips(), ['Page is /pricing']);
    await page.goForward();
    await kpiVisitors(all);
    assert.deepEqual(await chips(), []);
  });

  it('adds "is not" and "contains" filters from the filter bar', async () => {
    await page.getByRole('button', { name: '+ Add filter' }).click();
    await page.getByLabel('Filter on').selectOption('browser');
    await page.getByLabel('Operator').selectOption('is_not');
    await page.getByLabel('Value').fill('Firefox');
    await page.getByRole('button', { name: 'Apply' }).click();
    await eventually(async () => assert.deepEqual(await chips(), ['Browser is not Firefox']));
    await kpiVisitors(await visitors({ browser: { is_not: ['Firefox'] } }));

    await page.getByRole('button', { name: '+ Add filter' }).click();
    await page.getByLabel('Filter on').selectOption('path');
    await page.getByLabel('Operator').selectOption('contains');
    await page.getByLabel('Value').fill('GETTING-started');
    await page.getByRole('button', { name: 'Apply' }).click();
    await eventually(async () => assert.deepEqual(await chips(), ['Browser is not Firefox', 'Page contains “GETTING-started”']));
    const both = await visitors({ browser: { is_not: ['Firefox'] }, path: { contains: 'GETTING-started' } });
    assert.ok(both > 0);
    await kpiVisitors(both);
    await page.getByRole('button', { name: 'Clear all' }).click();
    await kpiVisitors(await visitors({}));
  });

  it('switches tabs, keeps the tab in the URL, hides (none) and $ events until asked', async () => {
    const sources = page.locator('[data-card="sources"]');
    await sources.getByRole('tab', { name: 'UTM source' }).click();
    // The tab is chosen through the URL, so the page redraws after the click returns: wait for it.
    await sources.locator('[role="tab"][aria-selected="true"]', { hasText: 'UTM source' }).waitFor();
    assert.match(await hashQuery(), /sources=utm_source/);
    // No visit has a UTM source: the only row is "(none)", hidden by default.
    await sources.getByText('Show (none)').waitFor();
    assert.equal(await sources.locator('tbody tr').count(), 0);
    await sources.getByLabel('Show (none)').check();
    const everyone = await visitors({});
    await eventually(async () => assert.deepEqual(await tableRows('utm_source'), [['', everyone]]));

    // The keyboard moves between tabs too: one tab stop per card, arrow keys within it.
    await sources.getByRole('tab', { name: 'UTM source' }).focus();
    await page.keyboard.press('ArrowRight');
    await sources.locator('[role="tab"][aria-selected="true"]', { hasText: 'UTM medium' }).waitFor();
    assert.match(await hashQuery(), /sources=utm_medium/);
    await page.keyboard.press('ArrowLeft');
    await sources.locator('[role="tab"][aria-selected="true"]', { hasText: 'UTM source' }).waitFor();
    assert.equal(await sources.locator('[role="tab"][tabindex="0"]').count(), 1);

    const pages = page.locator('[data-card="pages"]');
    await pages.getByRole('tab', { name: 'Entry pages' }).click();
    const entries = await query({ metrics: ['sessions'], dimensions: ['entry_path'], limit: 10 });
    await eventually(async () => assert.deepEqual(await tableRows('entry_path'), entries.rows.map((row) => [String(row[0]), Number(row[1])])));

    await page.reload();
    await page.locator('.breakdown-body[data-dimension="entry_path"] tbody tr').first().waitFor();
    assert.equal(await page.locator('[data-card="sources"]').getByRole('tab', { name: 'UTM source' }).getAttribute('aria-selected'), 'true', 'tabs survive a reload');

    // Events: `$pageview` is internal and hidden; Signup shows.
    await eventually(async () => assert.deepEqual((await tableRows('event')).map(([value]) => value), ['Signup']));
    await page.locator('[data-card="events"]').getByLabel('Show (none) and $ events').check();
    await eventually(async () => assert.deepEqual((await tableRows('event')).map(([value]) => value).sort(), ['$pageview', 'Signup']));
  });

  it('truncates long values on one line with the full value on hover, and searches the details', async () => {
    const pages = page.locator('[data-card="pages"]');
    await pages.getByRole('tab', { name: 'Top pages' }).click();
    const long = page.locator(`.breakdown-body[data-dimension="path"] tr[data-value="${LONG_PATH}"] .row-filter`);
    assert.equal(await long.getAttribute('title'), LONG_PATH);
    const fits = await long.locator('.truncate').evaluate((el) => ({ cut: el.scrollWidth > el.clientWidth, lines: Math.round(el.getBoundingClientRect().height / parseFloat(el.ownerDocument.defaultView!.getComputedStyle(el).lineHeight)) }));
    assert.deepEqual(fits, { cut: true, lines: 1 }, 'cut with an ellipsis on one line, not broken mid-word');

    await pages.getByRole('button', { name: 'Details' }).click();
    const dialog = page.getByRole('dialog', { name: 'Top pages' });
    await dialog.locator('tbody tr').first().waitFor();
    assert.equal(await dialog.locator('tbody tr').count(), 3);
    await dialog.getByRole('searchbox').fill('pric');
    await eventually(async () => assert.deepEqual(await dialog.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-value'))), ['/pricing']));
    await dialog.locator('tbody tr .row-filter').click();
    await dialog.waitFor({ state: 'detached' }); // choosing a row closes the dialog
    await eventually(async () => assert.deepEqual(await chips(), ['Page is /pricing']));
    await page.getByRole('button', { name: 'Remove filter: Page is /pricing' }).click();
    assert.deepEqual(dash.problems, []);
  });

  it('shades the world map by country, and clicking a country filters by it', async () => {
    const countries = await query({ metrics: ['unique_visitors'], dimensions: ['country'], limit: 300 });
    const known = countries.rows.filter((row) => typeof row[0] === 'string' && row[0] !== '');
    assert.ok(known.length >= 2, `the shipped database places the addresses: ${JSON.stringify(countries.rows)}`);
    const locations = page.locator('[data-card="locations"]');
    await locations.getByRole('tab', { name: 'Map' }).click();
    await locations.locator('path.country.visited').first().waitFor();
    // The map may first show the answer for the filter the previous test just removed; the page's
    // refetch replaces it, so compare once the shading has settled.
    await eventually(async () => {
      const shaded = await locations.locator('path.country.visited').evaluateAll((paths) => paths.map((p) => [p.getAttribute('data-country') ?? '', Number(p.getAttribute('data-visitors'))] as [string, number]));
      assert.deepEqual(new Map(shaded), new Map(known.map((row) => [String(row[0]), Number(row[1])])));
    });
    assert.ok(await locations.getByRole('link', { name: 'IP Geolocation by DB-IP' }).getAttribute('href'), 'https://db-ip.com');

    const [code] = known[0]!;
    await locations.locator(`path[data-country="${code}"]`).click();
    const name = new Intl.DisplayNames(['en'], { type: 'region' }).of(String(code));
    await eventually(async () => assert.deepEqual(await chips(), [`Country is ${name}`]));
    assert.match(await hashQuery(), new RegExp(`f=country:is:${code}`));
    await kpiVisitors(await visitors({ country: { is: [code] } }));
    await locations.getByRole('tab', { name: 'Countries' }).click();
    assert.match(await locations.locator('.breakdown-body[data-dimension="country"] tbody tr').first().innerText(), new RegExp(`${name} \\(${code}\\)`), 'countries by name and ISO code');
  });

  it('keeps the funnel steps in the URL without one history entry per key typed', async () => {
    await page.goto(`${mythic.baseUrl}/#/clients/shop/analytics?period=7d`);
    await page.getByLabel('Step 1 path').fill('/pricing');
    const entries = await page.evaluate<number>('history.length');
    await page.getByLabel('Step 2 kind').selectOption('event');
    await page.getByLabel('Step 2 event name').pressSequentially('Signup');
    await eventually(async () => assert.match(await hashQuery(), /steps=path:\/pricing,event:Signup/));
    assert.equal(await page.evaluate<number>('history.length'), entries, 'step edits replace the entry');
    await page.reload();
    assert.equal(await page.getByLabel('Step 2 event name').inputValue(), 'Signup');
    assert.equal(await page.getByLabel('Step 1 path').inputValue(), '/pricing');
  });

  it('counts two choices made before the page redraws, each built on the one before', async () => {
    // The page redraws when `hashchange` arrives, a task of its own. Both choices below are made in
    // one task, so the second is made on a page still showing the state before the first, as a
    // quick user on a busy browser can.
    await page.goto(`${mythic.baseUrl}/#/clients/shop/analytics?period=7d&f=path:is:/pricing`);
    await page.locator('.funnel select').first().waitFor();
    await page.evaluate(`{
      document.querySelector('[aria-label="Remove filter: Page is /pricing"]').click();
      [...document.querySelectorAll('[data-card="sources"] [role="tab"]')].find((tab) => tab.textContent === 'UTM medium').click();
    }`);
    await eventually(async () => {
      assert.doesNotMatch(await hashQuery(), /f=/, 'the removed filter stays removed');
      assert.match(await hashQuery(), /sources=utm_medium/);
    });
    await page.locator('.chip').first().waitFor({ state: 'detached' });

    // Step 2 starts as an event: typing step 1's path, then making step 2 a page, keeps both.
    await page.evaluate(`{
      const path = document.querySelector('[aria-label="Step 1 path"]');
      path.value = '/pricing';
      path.dispatchEvent(new Event('input', { bubbles: true }));
      const kind = document.querySelector('[aria-label="Step 2 kind"]');
      kind.value = 'path';
      kind.dispatchEvent(new Event('change', { bubbles: true }));
    }`);
    await page.getByLabel('Step 2 path').fill('/docs');
    await eventually(async () => assert.match(await hashQuery(), /steps=path:\/pricing,path:\/docs/));

    // Typing a step and running the funnel at once runs what was typed, not the steps last drawn.
    await page.evaluate(`{
      const path = document.querySelector('[aria-label="Step 2 path"]');
      path.value = '/';
      path.dispatchEvent(new Event('input', { bubbles: true }));
      [...document.querySelectorAll('.funnel button')].find((button) => button.textContent.trim() === 'Run funnel').click();
    }`);
    const labels = page.locator('.funnel tbody th');
    await labels.nth(1).waitFor();
    assert.deepEqual((await labels.allInnerTexts()).map((label) => label.trim()), ['1. /pricing', '2. /']);
    assert.deepEqual(dash.problems, []);
  });

  it('shows one error with Retry for an unknown client, and no placeholder that waits forever', async () => {
    await page.goto(`${mythic.baseUrl}/#/clients/no-such-client/analytics`);
    await page.locator('.page-error').waitFor();
    await page.locator('.frame-placeholder[aria-busy="true"]').first().waitFor({ state: 'detached' });
    assert.equal(await page.locator('.page-error').count(), 1);
    assert.equal(await page.locator('.error-note').count(), 0, 'no card shows an error of its own');
    assert.equal(await page.locator('.loading').count(), 0, 'no "Loading…" left on screen');
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.locator('.page-error').waitFor();
    await page.locator('.frame-placeholder[aria-busy="true"]').first().waitFor({ state: 'detached' });
    assert.equal(await page.locator('.page-error').count(), 1, 'still one after Retry');
  });
});
