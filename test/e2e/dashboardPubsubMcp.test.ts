import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { assertFitsDarkPhone, createClientSecret, openDashboard, openSignedIn, sendBatch, signIn, startMythicAndChromium, stopDashboardSuite, type DashboardPage } from './dashboardPage.js';
import { ADMIN_KEY, CHROMIUM_SKIP, sleep, type MythicServer } from './harness.js';

/**
 * The operator's Pub/Sub and MCP pages in Chromium, against a real `mythic serve`: a pull
 * subscription created in the page shows the events sent after it as its backlog, which moves to
 * "in flight" when a subscriber pulls through the API and drops to nothing when it acknowledges;
 * a message given back after its last attempt shows as a dead letter and is replayed from the
 * page. An MCP key created in the page is shown once, filled into the client configuration,
 * answers `tools/list` on /mcp, and is refused once revoked in the page. Both fit a phone in dark
 * mode; a client's own key sees neither page. Needs `npm run build` (the dashboard is served from
 * dist/web); about 13 s of tests after the server and Chromium start.
 */

const CLIENT = 'pubshop';
const SUBSCRIPTIONS = '/api/v1/admin/pubsub/subscriptions';

interface Received {
  ack_id: string;
  message_id: string;
  delivery_attempt: number;
  client_id: string;
  event: { event: string; distinct_id: string };
}

/** The page refreshes its numbers every 5 s; clicking Refresh asks at once, until `cell` shows `value`. */
async function refreshUntil(page: Page, cell: Locator, value: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await cell.getAttribute('data-value')) === value) return;
    if (Date.now() > deadline) assert.fail(`${await cell.evaluate((el) => el.className)} shows ${await cell.getAttribute('data-value')}, not ${value}`);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await sleep(150);
  }
}

/** A JSON-RPC request to the MCP endpoint (Streamable HTTP, JSON answers). */
async function mcpCall(baseUrl: string, key: string, method: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${baseUrl}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: {} }),
  });
  return { status: response.status, body: await response.text() };
}

describe('browser: the Pub/Sub and MCP pages', { skip: CHROMIUM_SKIP }, () => {
  let mythic: MythicServer;
  let browser: Browser;
  let dash: DashboardPage;
  let secretKey = '';

  before(async () => {
    ({ mythic, browser } = await startMythicAndChromium());
    secretKey = await createClientSecret(mythic, { id: CLIENT, name: 'Pub Shop', domain: 'pubshop.example', timezone: 'UTC' });
    dash = await openSignedIn(browser, mythic.baseUrl);
  });
  after(async () => {
    await stopDashboardSuite({ dash, browser, mythic });
  });

  it('creates a pull subscription whose backlog fills with new events, and drops as they are pulled and acknowledged', async () => {
    const { page } = dash;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Pub/Sub' }).click();
    await page.getByRole('heading', { name: 'Pub/Sub', exact: true }).waitFor();
    await page.getByRole('button', { name: 'New subscription' }).click();
    await page.getByLabel('Name', { exact: true }).fill('warehouse');
    assert.equal(await page.getByLabel('Push endpoint').count(), 0, 'a pull subscription has no endpoint field');
    await page.getByLabel('Delivery attempts').fill('1');
    await page.getByLabel('Only these clients').fill(`${CLIENT}, nobody`);
    await page.getByRole('button', { name: 'Create subscription' }).click();
    await page.getByRole('dialog').getByText(/nobody/).waitFor();
    await page.getByLabel('Only these clients').fill(CLIENT);
    await page.getByRole('button', { name: 'Create subscription' }).click();
    const row = page.locator('tr[data-name="warehouse"]');
    await row.waitFor();
    const id = (await row.getAttribute('data-subscription')) ?? '';
    assert.match(id, /^sub_/);
    assert.match(await row.innerText(), /Pull[\s\S]*Active/);
    assert.equal(await row.locator('.messages').getAttribute('data-value'), '0', 'events stored before the subscription are not in it');

    await sendBatch(mythic, secretKey, [
      { event: 'signup', distinct_id: 'ana' },
      { event: 'purchase', distinct_id: 'ana' },
      { event: 'signup', distinct_id: 'ben' },
    ]);
    await refreshUntil(page, row.locator('.messages'), '3');

    const pulled = await mythic.admin<{ data: { received_messages: Received[] } }>('POST', `${SUBSCRIPTIONS}/${id}/pull`, { max_messages: 10 });
    assert.equal(pulled.status, 200, JSON.stringify(pulled.body));
    const messages = pulled.body.data.received_messages;
    assert.deepEqual(
      messages.map((m) => [m.client_id, m.event.event, m.event.distinct_id]),
      [
        [CLIENT, 'signup', 'ana'],
        [CLIENT, 'purchase', 'ana'],
        [CLIENT, 'signup', 'ben'],
      ],
    );
    await refreshUntil(page, row.locator('.in-flight'), '3');
    assert.equal(await row.locator('.messages').getAttribute('data-value'), '0');

    const acked = await mythic.admin<{ data: { acknowledged: number } }>('POST', `${SUBSCRIPTIONS}/${id}/acknowledge`, { ack_ids: messages.slice(0, 2).map((m) => m.ack_id) });
    assert.equal(acked.body.data.acknowledged, 2);
    // The last one is given back after its one allowed delivery: the next pull dead-letters it.
    const given = await mythic.admin('POST', `${SUBSCRIPTIONS}/${id}/modify-ack-deadline`, { ack_ids: [messages[2]!.ack_id], ack_deadline_seconds: 0 });
    assert.equal(given.status, 200, JSON.stringify(given.body));
    const again = await mythic.admin<{ data: { received_messages: Received[] } }>('POST', `${SUBSCRIPTIONS}/${id}/pull`, { max_messages: 10 });
    assert.deepEqual(again.body.data.received_messages, []);
    await refreshUntil(page, row.locator('.dead-letters'), '1');
    assert.equal(await row.locator('.in-flight').getAttribute('data-value'), '0');
    assert.equal(await row.locator('.messages').getAttribute('data-value'), '0', 'acknowledged messages are gone');

    // The subscription's page: the curl lines of a subscriber, the dead letter, replayed.
    await row.getByRole('link', { name: 'warehouse' }).click();
    const pull = await page.getByTestId('pull-command').innerText();
    assert.ok(pull.includes(`${mythic.baseUrl}${SUBSCRIPTIONS}/${id}/pull`), pull);
    assert.ok(pull.includes('$MYTHIC_ADMIN_KEY') && !pull.includes(ADMIN_KEY), 'the admin key is never written into the page');
    assert.ok((await page.getByTestId('ack-command').innerText()).includes('/acknowledge'));
    const letter = page.locator('.dead-letters tbody tr');
    await letter.waitFor();
    assert.equal(await letter.getAttribute('data-message'), messages[2]!.message_id);
    assert.match(await letter.innerText(), /signup[\s\S]*pubshop[\s\S]*1/);
    await letter.getByRole('button', { name: /^Replay/ }).click();
    await page.getByText('1 message replayed').waitFor();
    await page.locator('.dead-letters').getByText('None.').waitFor();
    await page.locator('.backlog[data-messages="1"]').waitFor();

    // Pause, then delete after confirming.
    await page.getByRole('button', { name: 'Pause warehouse' }).click();
    await page.locator('.subscription-detail[data-state="paused"]').waitFor();
    await page.getByRole('button', { name: 'Delete warehouse' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete subscription' }).click();
    await page.getByText('No subscription yet.').waitFor();
    assert.equal((await mythic.admin('GET', `${SUBSCRIPTIONS}/${id}`)).status, 404);
    assert.deepEqual(dash.problems, [], 'no script error and no CSP violation');
  });

  it('creates an MCP key shown once in the client configuration, which lists the tools until it is revoked', async () => {
    const { page } = dash;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'MCP' }).click();
    await page.getByRole('heading', { name: 'MCP', exact: true }).waitFor();
    assert.equal(await page.getByTestId('mcp-url').innerText(), `${mythic.baseUrl}/mcp`);
    assert.match(await page.getByTestId('mcp-config').innerText(), /"Bearer <your mak_ key>"/);
    await page.getByLabel('Key name').fill('Claude');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('mcp-key');
    await shown.waitFor();
    const key = (await shown.innerText()).trim();
    assert.match(key, /^mak_[0-9A-Za-z]{32}$/);
    const config = JSON.parse(await page.getByTestId('mcp-config').innerText()) as { mcpServers: { mythic: { type: string; url: string; headers: Record<string, string> } } };
    assert.deepEqual(config, { mcpServers: { mythic: { type: 'http', url: `${mythic.baseUrl}/mcp`, headers: { Authorization: `Bearer ${key}` } } } });
    await dash.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: mythic.baseUrl });
    await page.getByRole('button', { name: 'Copy the MCP key' }).click();
    await page.getByText('Copied').first().waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), key);
    const keyRow = page.locator('tr[data-status="active"]', { hasText: 'Claude' });
    await keyRow.waitFor();
    assert.match(await keyRow.innerText(), new RegExp(`mak_…${key.slice(-4)}[\\s\\S]*tools:read, tools:execute[\\s\\S]*every client`));

    const listed = await mcpCall(mythic.baseUrl, key, 'tools/list');
    assert.equal(listed.status, 200, listed.body);
    for (const tool of ['list_clients', 'query_analytics', 'run_funnel', 'recent_events', 'list_links']) assert.ok(listed.body.includes(`"${tool}"`), `${tool} in ${listed.body}`);

    // Shown once: after a reload only the masked form is on the page.
    await page.reload();
    await keyRow.waitFor();
    assert.equal(await page.getByTestId('mcp-key').count(), 0);
    assert.ok(!(await page.locator('main').innerText()).includes(key));

    await keyRow.getByRole('button', { name: 'Revoke Claude' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await page.locator('tr[data-status="revoked"]', { hasText: 'Claude' }).waitFor();
    const refused = await mcpCall(mythic.baseUrl, key, 'tools/list');
    assert.equal(refused.status, 401, refused.body);
    assert.deepEqual(dash.problems, [], 'no script error and no CSP violation');
  });

  it('fits a 390 px phone in dark mode, every text at 4.5:1 or more', async () => {
    const created = await mythic.admin<{ data: { id: string } }>('POST', SUBSCRIPTIONS, { name: 'relay', type: 'push', push_endpoint: 'https://hooks.example/in' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const key = await mythic.admin('POST', '/api/v1/mcp/api-keys', { name: 'Phone check', scopes: ['tools:read'], client_ids: [CLIENT] });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const phone = await openSignedIn(browser, mythic.baseUrl, { width: 390, height: 844 });
    const { page } = phone;
    try {
      await page.emulateMedia({ colorScheme: 'dark' });
      const check = (name: string): Promise<void> => assertFitsDarkPhone(page, name);
      await page.goto(`${mythic.baseUrl}/#/pubsub`);
      await page.locator('tr[data-name="relay"]').waitFor();
      await check('subscriptions list');
      await page.goto(`${mythic.baseUrl}/#/pubsub/${created.body.data.id}`);
      await page.locator('.dead-letters').getByText('None.').waitFor();
      await check('subscription page');
      await page.goto(`${mythic.baseUrl}/#/mcp`);
      await page.locator('tr[data-status="active"]', { hasText: 'Phone check' }).waitFor();
      await check('MCP page');
      assert.deepEqual(phone.problems, []);
    } finally {
      await phone.close();
    }
  });

  it('shows neither page to a client’s own key', async () => {
    const own = await openDashboard(browser, mythic.baseUrl);
    try {
      await signIn(own.page, secretKey);
      const nav = own.page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Analytics' }).waitFor();
      assert.equal(await nav.getByRole('link', { name: 'Pub/Sub' }).count(), 0);
      assert.equal(await nav.getByRole('link', { name: 'MCP' }).count(), 0);
      // A typed-in #/pubsub shows the client's own analytics, as any page not open to it does.
      await own.page.goto(`${mythic.baseUrl}/#/pubsub`);
      await own.page.locator('main h1').first().waitFor();
      assert.equal(await own.page.getByRole('heading', { name: 'Pub/Sub' }).count(), 0, 'the route is not open to a client key');
      assert.deepEqual(own.problems, []);
    } finally {
      await own.close();
    }
  });
});
