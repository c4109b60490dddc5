import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createClientSecret, eventually, openDashboard, openSignedIn, sendBatch, signIn, startMythicAndChromium, stopDashboardSuite, type DashboardPage } from './dashboardPage.js';
import { CHROMIUM_SKIP, DESKTOP_USER_AGENT, sleep, type MythicServer } from './harness.js';

/**
 * The analytics page's cards in Chromium: the KPIs' deltas, visitors now, the first run, the bot
 * count, saved funnels, live events in the client's zone, and that no card shows an error of its
 * own. One server, one browser; traffic is sent with the secret key, which keeps past timestamps.
 */

type Cell = string | number | null;
interface QueryData {
  columns: string[];
  rows: Cell[][];
  compare?: { columns: string[]; rows: Cell[][] };
}

/** The few browser globals the page functions below use (the tests are type-checked without the DOM library). */
interface BrowserElement {
  style: { color: string };
  textContent: string | null;
  append(child: BrowserElement): void;
  remove(): void;
  cloneNode(deep: boolean): BrowserElement;
  querySelectorAll(selector: string): Iterable<BrowserElement>;
}
interface BrowserGlobals {
  document: { body: BrowserElement; createElement(tag: string): BrowserElement; dispatchEvent(event: Event): boolean };
  getComputedStyle(element: unknown): { color: string };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
/** A zone far from the machine's (UTC) and with a 45-minute offset, so a time in the wrong zone shows. */
const ZONE = 'Asia/Kathmandu';

function pageview(visitor: string, session: string, at: number, path: string, userAgent = DESKTOP_USER_AGENT): Record<string, unknown> {
  return { event: '$pageview', distinct_id: visitor, timestamp: new Date(at).toISOString(), $session_id: session, user_agent: userAgent, properties: { $current_url: `https://cards.example${path}` } };
}

/**
 * This week: 6 visitors, 2 bouncing (33 %); the week before: 3 visitors, all bouncing (100 %):
 * visitors +100 % (green, up), bounce rate −66.7 pp (green, down). Plus 3 bot page views this week.
 */
function traffic(now: number): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (let v = 0; v < 6; v++) {
    const start = now - HOUR_MS - v * 12 * HOUR_MS;
    events.push(pageview(`now-${v}`, `s-now-${v}`, start, '/'));
    if (v >= 2) events.push(pageview(`now-${v}`, `s-now-${v}`, start + 60_000, '/pricing'));
    if (v >= 4) events.push({ event: 'Signup', distinct_id: `now-${v}`, timestamp: new Date(start + 120_000).toISOString(), $session_id: `s-now-${v}`, user_agent: DESKTOP_USER_AGENT });
  }
  for (let v = 0; v < 3; v++) events.push(pageview(`before-${v}`, `s-before-${v}`, now - 9 * DAY_MS - v * DAY_MS, '/'));
  for (let b = 0; b < 3; b++) events.push(pageview(`bot-${b}`, `s-bot-${b}`, now - 2 * HOUR_MS - b * 60_000, '/', GOOGLEBOT));
  return events;
}

describe('browser: the analytics page’s cards', { skip: CHROMIUM_SKIP }, () => {
  let mythic: MythicServer;
  let browser: Browser;
  let dash: DashboardPage;
  let secretKey: string;
  let freshKey: string;
  let stopped = false;

  const send = (key: string, batch: Record<string, unknown>[]): Promise<void> => sendBatch(mythic, key, batch);
  const query = async (body: Record<string, unknown>): Promise<QueryData> => {
    const reply = await mythic.admin<{ data: QueryData }>('POST', '/api/v1/query', { client_id: 'cards', ...body });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body.data;
  };
  const valueOf = (data: { columns: string[] }, row: Cell[] | undefined, column: string): number => Number(row?.[data.columns.indexOf(column)] ?? 0);
  /** The cards of this part show placeholders, never an error box of their own nor "Loading…" for ever. */
  const assertCardsWait = async (page: Page): Promise<void> => {
    assert.equal(await page.getByRole('button', { name: 'Retry' }).count(), 1, 'one error with Retry');
    const cards = page.locator('.kpis, .visitors-now, .first-run, .bot-count, .funnel');
    assert.ok((await cards.count()) >= 3, 'the cards are on the page');
    const visible = await cards.evaluateAll((elements) =>
      elements.map((element) => {
        const copy = (element as unknown as BrowserElement).cloneNode(true);
        for (const hidden of copy.querySelectorAll('.visually-hidden')) hidden.remove();
        return copy.textContent ?? '';
      }),
    );
    for (const text of visible) assert.doesNotMatch(text, /Loading/);
    assert.equal(await page.locator('.kpis [role="alert"], .visitors-now [role="alert"], .first-run [role="alert"], .funnel [role="alert"]').count(), 0, 'no error inside a card');
    assert.equal(await page.locator('.kpis .placeholder').count(), 6, 'each KPI keeps its placeholder');
    // Under the page's error nothing loads until Retry: no placeholder may still announce "loading".
    assert.equal(await page.locator('.placeholder[aria-busy="true"]').count(), 0, 'placeholders under the error are not busy');
  };
  const kpiValue = async (page: Page, metric: string): Promise<number> => Number(await page.locator(`.kpi[data-metric="${metric}"] .value`).getAttribute('data-value'));

  before(async () => {
    ({ mythic, browser } = await startMythicAndChromium());
    secretKey = await createClientSecret(mythic, { id: 'cards', name: 'Card Shop', domain: 'cards.example', timezone: ZONE });
    freshKey = await createClientSecret(mythic, { id: 'fresh', name: 'Fresh Start', domain: 'fresh.example', timezone: 'UTC' });
    await send(secretKey, traffic(Date.now()));
    await mythic.waitForEvents('cards', (events) => events.length >= 18);
    dash = await openSignedIn(browser, mythic.baseUrl);
  });
  after(() => stopDashboardSuite({ dash, browser, mythic: stopped ? undefined : mythic }));

  it('shows each KPI’s change with an arrow and a colour, in percentage points for the bounce rate', async () => {
    const { page } = dash;
    await page.goto(`${mythic.baseUrl}/#/clients/cards/analytics`);
    await page.getByLabel('Period', { exact: true }).selectOption('7d');
    await page.getByLabel('Compare with the previous period').check();
    await page.locator('.kpi[data-metric="unique_visitors"] .change[data-previous="3"]').waitFor();
    const compared = await query({ metrics: ['unique_visitors', 'bounce_rate'], period: '7d', compare: 'previous_period', attribution: 'visit' });
    assert.equal(valueOf(compared, compared.rows[0], 'unique_visitors'), 6, 'the traffic is as planned');
    assert.equal(await kpiValue(page, 'unique_visitors'), 6);

    const visitors = page.locator('.kpi[data-metric="unique_visitors"] .change');
    assert.equal(await visitors.locator('.delta').innerText(), '+100%');
    assert.equal(await visitors.locator('.arrow').innerText(), '\u2191');
    assert.match((await visitors.getAttribute('class')) ?? '', /\bgood\b/);
    const bounce = page.locator('.kpi[data-metric="bounce_rate"] .change');
    assert.equal(await bounce.locator('.delta').innerText(), '\u221266.7 pp', 'a rate changes by points');
    assert.equal(await bounce.locator('.arrow').innerText(), '\u2193');
    assert.match((await bounce.getAttribute('class')) ?? '', /\bgood\b/, 'a falling bounce rate is good news');
    // Green and red are the theme's, not the text colour.
    const colours = await page.locator('.kpi[data-metric="unique_visitors"] .change').evaluate((change) => {
      const browser = globalThis as unknown as BrowserGlobals;
      // No named functions in here: the test's compiler would wrap them in a helper the page lacks.
      const [ok, danger] = ['--ok', '--danger'].map((name) => {
        const span = browser.document.createElement('span');
        span.style.color = `var(${name})`;
        browser.document.body.append(span);
        const colour = browser.getComputedStyle(span).color;
        span.remove();
        return colour;
      });
      return { visitors: browser.getComputedStyle(change).color, ok, danger };
    });
    assert.equal(colours.visitors, colours.ok);
    assert.notEqual(colours.ok, colours.danger);
  });

  it('counts the bot events left out, and the toggle counts them in', async () => {
    const { page } = dash;
    const note = page.locator('.bot-count');
    await note.waitFor();
    assert.match(await note.innerText(), /^3 bot events excluded\./);
    const withoutBots = await kpiValue(page, 'page_views');
    await note.getByRole('button', { name: 'Include bots' }).click();
    await page.locator(`.kpi[data-metric="page_views"] .value[data-value="${withoutBots + 3}"]`).waitFor();
    assert.match(await note.innerText(), /^3 bot events included\./);
    await note.getByRole('button', { name: 'Exclude bots' }).click();
    await page.locator(`.kpi[data-metric="page_views"] .value[data-value="${withoutBots}"]`).waitFor();
  });

  it('counts a visitor of a moment ago in "visitors now", and asks again when the tab is shown', async () => {
    const { page } = dash;
    const count = page.locator('.visitors-now .count');
    await count.waitFor();
    assert.equal(await count.getAttribute('data-value'), '0', 'nobody in the last five minutes yet');
    await send(secretKey, [pageview('just-now', 's-just-now', Date.now() - 5_000, '/')]);
    // A tab shown again asks at once (instead of at the next 30-second tick); reports see an event within a second.
    const deadline = Date.now() + 15_000;
    while ((await count.getAttribute('data-value')) !== '1') {
      assert.ok(Date.now() < deadline, 'visitors now counts the new visitor');
      await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.dispatchEvent(new Event('visibilitychange')));
      await sleep(1000);
    }
    assert.equal((await page.locator('.visitors-now').textContent())?.replace(/\s+/g, ' ').trim(), '1 visitor now');
  });

  it('saves a funnel that survives a reload and that another session sees', async () => {
    const { page } = dash;
    await page.getByLabel('Step 1 path').fill('/');
    await page.getByLabel('Step 2 kind').selectOption('event');
    await page.getByLabel('Step 2 event name').fill('Signup');
    // The suggestions load on their own answer (asked when the period changed), which no step waited for.
    await eventually(async () => assert.ok((await page.locator('#funnel-events option').evaluateAll((options) => options.map((o) => o.getAttribute('value')))).includes('Signup'), 'event names are offered from the client’s events'));
    await page.getByRole('button', { name: 'Run funnel' }).click();
    await page.locator('.funnel tbody tr').nth(1).waitFor();
    await page.getByLabel('Funnel name').fill('Signups');
    await page.getByRole('button', { name: 'Save funnel' }).click();
    await page.getByText('Saved “Signups”').waitFor();

    await page.reload();
    await page.locator('#saved-funnel option', { hasText: 'Signups' }).waitFor({ state: 'attached' });
    await page.getByLabel('Saved funnels').selectOption({ label: 'Signups' });
    await page.locator('.funnel tbody tr').nth(1).waitFor();
    assert.equal(await page.getByLabel('Step 2 event name').inputValue(), 'Signup');
    const counts = await page.locator('.funnel tbody td[data-value]').evaluateAll((cells) => cells.map((cell) => Number(cell.getAttribute('data-value'))));
    const period = await page.getByLabel('Period', { exact: true }).inputValue();
    const funnel = await mythic.admin<{ data: { steps: { count: number }[] } }>('POST', '/api/v1/query/funnel', { client_id: 'cards', steps: [{ path: '/' }, { event: 'Signup' }], period, attribution: 'visit' });
    assert.deepEqual(counts, funnel.body.data.steps.map((s) => s.count));
    assert.equal(counts[1], 2);

    const other = await openDashboard(browser, mythic.baseUrl);
    try {
      await signIn(other.page, secretKey);
      const pick = other.page.getByLabel('Saved funnels');
      await other.page.locator('#saved-funnel option', { hasText: 'Signups' }).waitFor({ state: 'attached' });
      // The client's own key may rename and delete it too; the list is the server's.
      await pick.selectOption({ label: 'Signups' });
      await other.page.getByRole('button', { name: 'Rename' }).click();
      await other.page.getByLabel('New name').fill('Signup path');
      await other.page.getByRole('button', { name: 'Save name' }).click();
      await other.page.locator('#saved-funnel option', { hasText: 'Signup path' }).waitFor({ state: 'attached' });
      await other.page.getByRole('button', { name: 'Delete' }).click();
      await other.page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      await other.page.getByText('Deleted “Signup path”').waitFor();
      const left = await mythic.admin<{ data: unknown[] }>('GET', '/api/v1/clients/cards/funnels');
      assert.deepEqual(left.body.data, []);
      assert.deepEqual(other.problems, []);
    } finally {
      await other.close();
    }
  });

  it('shows live events with the client’s name, device, bot flag and times in the client’s zone', async () => {
    const { page } = dash;
    await page.goto(`${mythic.baseUrl}/#/clients/cards/live`);
    const bot = page.locator('.live tbody tr.bot').first();
    await bot.waitFor();
    assert.match(await page.locator('#live-title').innerText(), /Card Shop/);
    // The zone as the server keeps it (ICU may spell Asia/Kathmandu as Asia/Katmandu).
    const client = await mythic.admin<{ data: { timezone: string } }>('GET', '/api/v1/clients/cards');
    const zone = client.body.data.timezone;
    assert.equal((await page.locator('.live thead th').first().textContent())?.toLowerCase(), `time (${zone.toLowerCase()})`);
    assert.match(await bot.innerText(), /Bot/);
    const row = page.locator('.live tbody tr:not(.bot)', { hasText: '$pageview' }).first();
    assert.equal(await row.locator('.device').innerText(), 'Chrome / Linux / desktop');
    const shown = await row.locator('time').evaluate((time) => ({ iso: time.getAttribute('datetime') ?? '', text: time.textContent ?? '' }));
    const inZone = await page.evaluate(
      ({ iso, zone }) => new Intl.DateTimeFormat(undefined, { timeZone: zone, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(iso)),
      { iso: shown.iso, zone },
    );
    assert.equal(shown.text, inZone);
    const inBrowserZone = await page.evaluate((iso) => new Date(iso).toLocaleString(), shown.iso);
    assert.notEqual(shown.text, inBrowserZone);
  });

  it('shows a client without events its embed code and install check, then its numbers once the first event arrives', async () => {
    const { page } = dash;
    await page.goto(`${mythic.baseUrl}/#/clients/fresh/analytics`);
    const welcome = page.locator('.first-run');
    await welcome.getByText('Waiting for the first event').waitFor();
    const embed = await mythic.admin<{ data: { html: string } }>('GET', '/api/v1/clients/fresh/loader');
    assert.equal(await welcome.getByLabel('Embed code').inputValue(), embed.body.data.html);
    assert.equal(await welcome.locator('[data-hostname="fresh.example"]').getAttribute('data-verified'), 'false');
    await send(freshKey, [pageview('first', 's-first', Date.now() - 1000, '/')]);
    await page.locator('.kpi[data-metric="page_views"] .value[data-value="1"]').waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('.first-run').count(), 0);
    assert.deepEqual(dash.problems, []);
  });

  it('leaves errors to the page: one error with Retry for an unknown client, no card adds its own', async () => {
    const { page } = dash;
    await page.goto(`${mythic.baseUrl}/#/clients/no-such-client/analytics`);
    await page.getByRole('button', { name: 'Retry' }).waitFor();
    // The page stays mounted from the previous client: the KPIs keep its numbers until their own
    // query fails, which can come after another card's failure has shown Retry.
    await page.locator('.kpis .placeholder').first().waitFor();
    await assertCardsWait(page);
  });

  it('keeps the cards waiting when the server stops: still one error, and Retry asks again', async () => {
    const { page } = dash;
    await page.goto(`${mythic.baseUrl}/#/clients/cards/analytics`);
    await page.locator('.kpi[data-metric="page_views"] .value').waitFor();
    await mythic.stop();
    stopped = true;
    // Visitors now asks again when the tab is shown: its failure is the page's error.
    await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.dispatchEvent(new Event('visibilitychange')));
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.locator('.kpis .placeholder').first().waitFor();
    await page.getByRole('button', { name: 'Retry' }).waitFor();
    await assertCardsWait(page);
    assert.match(await page.getByRole('alert').first().innerText(), /cannot be reached/);
  });
});
