import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { APIResponse, Browser, BrowserContext, Page } from 'playwright-core';
import { VERSION } from '../../src/version.js';
import { stopAllServers } from '../helpers/server.js';
import { CHROMIUM_SKIP, html, launchChromium, newContext, sleep, startMythic, startSite, type MythicServer, type Site, type WireEvent } from './harness.js';

/**
 * The SDK's own behaviour (wire format, identity, persistence, retries, privacy), with a real
 * server delivering the loader and the core, and /e answered by the test so that it can fail on
 * purpose. Each request still reaches the real server, whose answer the test keeps: its status
 * (what ingestion made of the batch) and its CORS headers, which decide what the SDK can read of
 * the test's answer. That ingestion stores what the SDK sends is covered by loader.test.ts.
 */

type Answer = { status: number; headers?: Record<string, string> } | 'abort';

interface Attempt {
  at: number;
  key: string | null;
  origin: string;
  contentType: string | undefined;
  events: WireEvent[];
  /** The real server's status for the same request (undefined for an aborted attempt). */
  served?: number;
}

class Collector {
  /** Attempts answered so far, in the order they arrived. */
  readonly attempts: Attempt[] = [];
  private arrived = 0;
  answer: (attempt: number) => Answer = () => ({ status: 200 });

  static async on(context: BrowserContext): Promise<Collector> {
    const collector = new Collector();
    await context.route(
      (url) => url.pathname === '/e',
      async (route) => {
        const request = route.request();
        const url = new URL(request.url());
        const body = request.postData();
        const attempt: Attempt = {
          at: Date.now(),
          key: url.searchParams.get('key'),
          origin: url.origin,
          contentType: request.headers()['content-type'],
          events: body === null ? [] : (JSON.parse(body) as { batch: WireEvent[] }).batch,
        };
        collector.arrived += 1;
        const answer = collector.answer(collector.arrived);
        if (answer === 'abort') {
          collector.attempts.push(attempt);
          return route.abort('failed');
        }
        let real: APIResponse;
        try {
          real = await route.fetch();
        } catch {
          // The context closed meanwhile (a beacon sent as the test ends): nobody waits for an answer.
          return undefined;
        }
        attempt.served = real.status();
        collector.attempts.push(attempt);
        const cors = Object.entries(real.headers()).filter(([name]) => name.startsWith('access-control-'));
        return route.fulfill({
          status: answer.status,
          headers: { ...Object.fromEntries(cors), ...answer.headers },
          contentType: 'application/json',
          body: answer.status === 200 ? '{"success":true,"data":{}}' : '{"success":false,"data":null,"error":"no","code":"x"}',
        });
      },
    );
    return collector;
  }

  events(): WireEvent[] {
    return this.attempts.flatMap((a) => a.events);
  }

  named(name: string): WireEvent[] {
    return this.events().filter((e) => e.event === name);
  }

  async waitFor(done: (c: Collector) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this)) {
      if (Date.now() > deadline) throw new Error(`timed out; attempts: ${JSON.stringify(this.attempts.map((a) => a.events.map((e) => e.event)))}`);
      await sleep(25);
    }
  }
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('browser: SDK behaviour', { skip: CHROMIUM_SKIP }, () => {
  let mythic: MythicServer;
  let site: Site;
  let browser: Browser;
  const pages = new Map<string, (path: string) => string>();

  before(async () => {
    [mythic, site, browser] = await Promise.all([startMythic(), startSite((host, path) => pages.get(host)?.(path) ?? null), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await mythic?.stop();
    await stopAllServers();
  });

  let n = 0;
  /** A client whose pages live at <id>.localhost and load its loader; `head` runs before the loader. */
  async function client(
    sdk: Record<string, unknown>,
    head: (pk: string, global: string) => string = () => '',
  ): Promise<{ pk: string; global: string; host: string }> {
    n += 1;
    const global = `sdk${n}`;
    const created = await mythic.createClient({ id: `sdk-${n}`, name: `SDK ${n}`, global_name: global, sdk_settings: sdk });
    const host = `sdk-${n}.localhost`;
    const loader = `${mythic.baseUrl}/s/${created.publishable_key}.js`;
    pages.set(host, () => html({ loaders: [loader], head: head(created.publishable_key, global) }));
    return { pk: created.publishable_key, global, host };
  }

  async function open(context: BrowserContext, host: string, global: string, path = '/'): Promise<Page> {
    const page = await context.newPage();
    await page.goto(site.url(host, path));
    await page.waitForFunction(`window.${global} && ${global}.__mythic === 'core'`);
    return page;
  }

  it('POSTs batches of the documented shape as text/plain to /e?key=<pk> on its own origin', async () => {
    const c = await client({ batch_size: 3, flush_interval_ms: 60_000 });
    const context = await newContext(browser);
    try {
      const collector = await Collector.on(context);
      const page = await open(context, c.host, c.global, '/landing?utm_medium=email&utm_campaign=spring&fbclid=fb1');
      await page.evaluate(`${c.global}.capture('One', { n: 1 }); ${c.global}.capture('Two', { n: 2 })`);
      await collector.waitFor((col) => col.attempts.length === 1);
      const [attempt] = collector.attempts as [Attempt];
      assert.equal(attempt.key, c.pk);
      assert.equal(attempt.origin, mythic.baseUrl, 'events go back to the server that served the loader');
      assert.equal(attempt.contentType, 'text/plain', 'a simple request: no CORS preflight');
      assert.deepEqual(attempt.events.map((e) => e.event), ['$pageview', 'One', 'Two'], 'batch_size events in one request');
      for (const event of attempt.events) {
        assert.match(event.uuid, UUID_V4);
        assert.match(event.timestamp, ISO);
        assert.match(event.$session_id, UUID_V4);
        assert.match(event.$device_id, UUID_V4);
        assert.equal(event.distinct_id, event.$device_id);
        assert.equal(event.$anon_distinct_id, undefined);
        const p = event.properties;
        assert.equal(p.$current_url, site.url(c.host, '/landing?utm_medium=email&utm_campaign=spring&fbclid=fb1'));
        assert.equal(p.$host, `${c.host}:${site.port}`);
        assert.equal(p.$pathname, '/landing');
        assert.equal(p.$referrer, '$direct');
        assert.equal(p.$referring_domain, '$direct');
        for (const size of ['$screen_width', '$screen_height', '$viewport_width', '$viewport_height']) assert.equal(typeof p[size], 'number', size);
        assert.equal(p.$lib, 'mythic-web');
        assert.equal(p.$lib_version, VERSION);
        assert.equal(p.utm_medium, 'email');
        assert.equal(p.utm_campaign, 'spring');
        assert.equal(p.fbclid, 'fb1');
        assert.equal('utm_source' in p, false, 'absent parameters are not sent');
      }
      assert.equal(attempt.events[1]?.properties.n, 1);
      assert.equal(new Set(attempt.events.map((e) => e.uuid)).size, 3);
    } finally {
      await context.close();
    }
  });

  it('identifies, aliases, registers super properties and resets', async () => {
    const c = await client({ flush_interval_ms: 100 });
    const context = await newContext(browser);
    try {
      const collector = await Collector.on(context);
      const page = await open(context, c.host, c.global);
      const g = c.global;
      await page.evaluate(`${g}.register({ tier: 'gold' }); ${g}.identify('user-1', { email: 'a@example.com' }); ${g}.alias('user-1-crm'); ${g}.capture('Known')`);
      await collector.waitFor((col) => col.named('Known').length === 1);
      const device = collector.named('$pageview')[0]?.$device_id as string;
      const identify = collector.named('$identify')[0] as WireEvent;
      assert.equal(identify.distinct_id, 'user-1');
      assert.equal(identify.$anon_distinct_id, device);
      assert.deepEqual(identify.properties.$set, { email: 'a@example.com' });
      const alias = collector.named('$create_alias')[0] as WireEvent;
      assert.equal(alias.distinct_id, 'user-1');
      assert.equal(alias.properties.alias, 'user-1-crm');
      const known = collector.named('Known')[0] as WireEvent;
      assert.equal(known.distinct_id, 'user-1');
      assert.equal(known.properties.tier, 'gold');
      assert.equal(await page.evaluate(`${g}.getDistinctId()`), 'user-1');

      await page.evaluate(`${g}.identify('user-1'); ${g}.reset(); ${g}.capture('Anonymous Again')`);
      await collector.waitFor((col) => col.named('Anonymous Again').length === 1);
      assert.equal(collector.named('$identify').length, 1, 'identifying as the current user again sends nothing');
      const anonymous = collector.named('Anonymous Again')[0] as WireEvent;
      assert.notEqual(anonymous.distinct_id, 'user-1');
      assert.equal(anonymous.properties.tier, undefined, 'reset drops super properties');
      assert.equal(anonymous.$device_id, device, 'the device stays the same');
      assert.notEqual(anonymous.$session_id, known.$session_id, 'reset starts a new session');

      await page.reload();
      await page.waitForFunction(`window.${g} && ${g}.__mythic === 'core'`);
      assert.equal(await page.evaluate(`${g}.getDistinctId()`), anonymous.distinct_id, 'the identity survives a reload');
    } finally {
      await context.close();
    }
  });

  it('keeps device and session across reloads (localStorage and a first-party cookie), and ends idle sessions', async () => {
    const c = await client({ flush_interval_ms: 100, session_timeout_minutes: 30 });
    const context = await newContext(browser);
    try {
      const collector = await Collector.on(context);
      const page = await open(context, c.host, c.global);
      await collector.waitFor((col) => col.named('$pageview').length === 1);
      const first = collector.named('$pageview')[0] as WireEvent;
      const prefix = `${c.global}_${c.pk}_`;
      const cookie = (await context.cookies()).find((k) => k.name === `${prefix}device`);
      assert.equal(cookie?.value, first.$device_id);
      assert.equal(await page.evaluate(`localStorage.getItem('${prefix}device')`), first.$device_id);

      // Without localStorage (cleared by the visitor, say), the cookie still names the device.
      await page.evaluate('localStorage.clear()');
      await page.reload();
      await collector.waitFor((col) => col.named('$pageview').length === 2);
      const second = collector.named('$pageview')[1] as WireEvent;
      assert.equal(second.$device_id, first.$device_id);

      await page.reload();
      await collector.waitFor((col) => col.named('$pageview').length === 3);
      const third = collector.named('$pageview')[2] as WireEvent;
      assert.equal(third.$session_id, second.$session_id, 'a reload continues the session');

      // 31 idle minutes later (moved back in storage rather than waited for), a new session starts.
      await page.evaluate(`(() => { const k = '${prefix}session'; const s = JSON.parse(localStorage.getItem(k)); s.last -= 31 * 60 * 1000; localStorage.setItem(k, JSON.stringify(s)); })()`);
      await page.evaluate(`${c.global}.capture('After A Break')`);
      await collector.waitFor((col) => col.named('After A Break').length === 1);
      assert.notEqual(collector.named('After A Break')[0]?.$session_id, third.$session_id);
    } finally {
      await context.close();
    }
  });

  it('retries on 503 after Retry-After, on 429 and network failure with back-off, and drops other 4xx', async () => {
    const c = await client({ flush_interval_ms: 100, capture_pageview: false });
    const context = await newContext(browser);
    try {
      const collector = await Collector.on(context);
      collector.answer = (attempt) => (attempt === 1 ? { status: 503, headers: { 'retry-after': '2' } } : { status: 200 });
      const page = await open(context, c.host, c.global);
      await page.evaluate(`${c.global}.capture('Retried')`);
      await collector.waitFor((col) => col.attempts.length === 2);
      const [failed, retried] = collector.attempts as [Attempt, Attempt];
      assert.deepEqual(retried.events.map((e) => e.uuid), failed.events.map((e) => e.uuid), 'the same events, same uuids');
      // A first back-off waits at most a second: only a Retry-After the SDK could read (the real
      // server's CORS headers expose it) makes it wait two.
      assert.ok(retried.at - failed.at >= 1900, `waited ${retried.at - failed.at} ms for Retry-After: 2`);

      collector.answer = (attempt) => (attempt === 3 ? { status: 429 } : attempt === 4 ? 'abort' : { status: 200 });
      await page.evaluate(`${c.global}.capture('Throttled')`);
      await collector.waitFor((col) => col.attempts.length === 5);
      assert.deepEqual(collector.attempts.slice(2).map((a) => a.events.map((e) => e.event)), [['Throttled'], ['Throttled'], ['Throttled']]);

      collector.answer = () => ({ status: 400 });
      await page.evaluate(`${c.global}.capture('Rejected')`);
      await collector.waitFor((col) => col.attempts.length === 6);
      await sleep(1500);
      assert.equal(collector.attempts.length, 6, 'a 400 is final: the event is not sent again');
      assert.equal(await page.evaluate(`localStorage.getItem('${c.global}_${c.pk}_queue')`), null, 'and not kept');
    } finally {
      await context.close();
    }
  });

  it('keeps unsent events in localStorage and sends them from the next page', async () => {
    const c = await client({ flush_interval_ms: 100, capture_pageview: false });
    const context = await newContext(browser);
    try {
      // A browser refuses a beacon over its quota; nothing else is left to carry the event at unload.
      await context.addInitScript('navigator.sendBeacon = () => false');
      const collector = await Collector.on(context);
      collector.answer = () => 'abort';
      const page = await open(context, c.host, c.global);
      await page.evaluate(`${c.global}.capture('Offline')`);
      await collector.waitFor((col) => col.attempts.length >= 1);
      const stored = JSON.parse((await page.evaluate(`localStorage.getItem('${c.global}_${c.pk}_queue')`)) as string) as WireEvent[];
      assert.deepEqual(stored.map((e) => e.event), ['Offline']);

      // The page goes away while the network is down; back online, the next page sends what it left.
      await page.close();
      const failedAttempts = collector.attempts.length;
      collector.answer = () => ({ status: 200 });
      const next = await open(context, c.host, c.global, '/again');
      await collector.waitFor((col) => col.attempts.slice(failedAttempts).some((a) => a.events.some((e) => e.event === 'Offline')));
      await next.waitForFunction(`localStorage.getItem('${c.global}_${c.pk}_queue') === null`);
      const uuids = new Set(collector.named('Offline').map((e) => e.uuid));
      assert.equal(uuids.size, 1, 'the stored event keeps its uuid, so the server can drop duplicates');
    } finally {
      await context.close();
    }
  });

  it('sends and stores nothing under Global Privacy Control when the client respects Do Not Track', async () => {
    const c = await client({ flush_interval_ms: 100, respect_dnt: true });
    const context = await newContext(browser);
    try {
      await context.addInitScript(`Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true })`);
      const collector = await Collector.on(context);
      const page = await open(context, c.host, c.global);
      await page.evaluate(`${c.global}.capture('Tracked?')`);
      await sleep(500);
      assert.equal(collector.attempts.length, 0);
      assert.deepEqual(await page.evaluate('Object.keys(localStorage)'), []);
      assert.deepEqual(await context.cookies(), []);
    } finally {
      await context.close();
    }
  });

  it('holds events once a late init asks for consent, though the automatic init ran first', async () => {
    const c = await client({ flush_interval_ms: 100, capture_pageview: false });
    const context = await newContext(browser);
    try {
      const collector = await Collector.on(context);
      const page = await open(context, c.host, c.global);
      await page.evaluate(`${c.global}.init('${c.pk}', { requireConsent: true }); ${c.global}.capture('Held')`);
      await sleep(500);
      assert.equal(collector.attempts.length, 0);
      assert.deepEqual(await page.evaluate('Object.keys(localStorage)'), []);
      await page.evaluate(`${c.global}.grantConsent()`);
      await collector.waitFor((col) => col.named('Held').length === 1);
    } finally {
      await context.close();
    }
  });

  it("lets the page's own init, queued before the loader, override the remote settings, and keeps early calls", async () => {
    const c = await client(
      { capture_pageview: true, flush_interval_ms: 60_000 },
      (pk, g) =>
        `<script>window.${g} = window.${g} || []; ${g}.push(['init', '${pk}', { capture_pageview: false, flush_interval_ms: 100 }]); ${g}.push(['capture', 'Early Bird', { at: 'head' }]);</script>`,
    );
    const context = await newContext(browser);
    try {
      const collector = await Collector.on(context);
      await open(context, c.host, c.global);
      await collector.waitFor((col) => col.named('Early Bird').length === 1);
      await sleep(300);
      assert.deepEqual(collector.events().map((e) => e.event), ['Early Bird'], 'no automatic page view: the page turned it off');
      assert.equal(collector.events()[0]?.properties.at, 'head');
    } finally {
      await context.close();
    }
  });

  it('honours a requireConsent queued before the core arrives: nothing sent or stored, the page view held until granted', async () => {
    const forms: Array<{ form: string; head?: (pk: string, g: string) => string; stubCall?: true }> = [
      { form: 'an array before the loader', head: (_pk, g) => `<script>window.${g} = [['requireConsent']];</script>` },
      { form: 'after a queued init', head: (pk, g) => `<script>window.${g} = [['init', '${pk}', { batch_size: 1 }], ['requireConsent']];</script>` },
      { form: 'a call on the loader’s stub', stubCall: true },
    ];
    for (const { form, head, stubCall } of forms) {
      // batch_size 1: a page view started without consent would go out at once.
      const c = await client({ flush_interval_ms: 100, batch_size: 1 }, head);
      const context = await newContext(browser);
      try {
        const collector = await Collector.on(context);
        let release = (): void => undefined;
        if (stubCall) {
          // The core is held back, so that the page talks to the loader's stub first.
          const held = new Promise<void>((resolve) => (release = resolve));
          await context.route((url) => url.pathname === '/sdk/v1/core.js', async (route) => {
            await held;
            await route.continue();
          });
        }
        const page = await context.newPage();
        // The load event waits for async scripts, the held core among them.
        await page.goto(site.url(c.host, '/'), { waitUntil: 'domcontentloaded' });
        if (stubCall) {
          await page.waitForFunction(`window.${c.global} && ${c.global}.__mythic === 'stub'`);
          await page.evaluate(`${c.global}.requireConsent()`);
          release();
        }
        await page.waitForFunction(`window.${c.global} && ${c.global}.__mythic === 'core'`);
        await page.evaluate(`${c.global}.capture('Held')`);
        await sleep(500);
        assert.equal(collector.attempts.length, 0, `${form}: nothing is sent before consent`);
        assert.deepEqual(await page.evaluate('Object.keys(localStorage)'), [], `${form}: nothing in localStorage`);
        assert.deepEqual(await context.cookies(), [], `${form}: no cookie`);

        await page.evaluate(`${c.global}.grantConsent()`);
        await collector.waitFor((col) => col.named('$pageview').length === 1 && col.named('Held').length === 1);
        assert.deepEqual(collector.events().map((e) => e.event), ['$pageview', 'Held'], `${form}: the held page view goes first`);
      } finally {
        await context.close();
      }
    }
  });

  it('drops or repairs only the bad event of a batch, warning once, so the server takes the rest', async () => {
    const c = await client({ batch_size: 6, flush_interval_ms: 60_000, capture_pageview: false });
    const context = await newContext(browser);
    try {
      const collector = await Collector.on(context);
      const page = await open(context, c.host, c.global);
      const warnings: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'warning') warnings.push(message.text());
      });
      const g = c.global;
      await page.evaluate(`
        ${g}.capture('First');
        ${g}.capture('${'n'.repeat(201)}');
        ${g}.capture('Huge', { text: 'é'.repeat(17000) });
        ${g}.capture('Broken \ud83d', { ['key \udc00']: 'a\u0000b' });
        ${g}.capture('Deep', { id: 'x' });
        ${g}.identify('${'u'.repeat(201)}');
        ${g}.capture('Last', { emoji: '😀' });
      `);
      await page.evaluate(`${g}.flush()`);
      await collector.waitFor((col) => col.named('Last').length === 1);
      const [attempt] = collector.attempts as [Attempt];
      assert.deepEqual(attempt.events.map((e) => e.event), ['First', 'Broken \ufffd', 'Deep', 'Last']);
      assert.deepEqual(attempt.events[1]?.properties['key \ufffd'], 'a\ufffdb');
      assert.equal(attempt.events[3]?.properties.emoji, '😀', 'well-formed pairs are kept');
      assert.equal(attempt.events[3]?.distinct_id, attempt.events[0]?.distinct_id, 'an identify with an over-long id is ignored');
      assert.equal(attempt.served, 200, 'the real server takes the whole batch');
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0] as string, /^\[mythic\] n{50} dropped: event name/);
    } finally {
      await context.close();
    }
  });
});
