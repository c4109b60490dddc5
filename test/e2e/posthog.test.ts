import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { PostHog } from 'posthog-node';
import { stopAllServers } from '../helpers/server.js';
import { CHROMIUM_SKIP, launchChromium, newContext, sleep, startMythic, startSite, type MythicServer, type Site, type StoredEventView } from './harness.js';

/**
 * Teams arrive with PostHog's own SDKs in their pages and servers. These tests run the official
 * clients as shipped (posthog-js in Chromium, posthog-node in this process) against a real
 * `mythic serve`, configured only as PostHog's documentation says, with the client's pk_ (or sk_)
 * as their token, and check what got stored.
 */

const require = createRequire(import.meta.url);
/** posthog-js's browser bundles, as a page loading them from a CDN would get them. */
const bundle = (file: string): string => readFileSync(require.resolve(`posthog-js/dist/${file}`), 'utf8');

/**
 * The full bundle, set up exactly as the issue found it; and the slim one (what PostHog's HTML
 * snippet and the npm package's default import load), which fetches its surveys code from
 * `<api_host>/static/` even with surveys off, unless told `disable_surveys`, as the README says.
 */
const SETUPS = [
  { name: 'array.full.js', script: bundle('array.full.js'), options: { opt_out_useragent_filter: true } },
  { name: 'array.js', script: bundle('array.js'), options: { opt_out_useragent_filter: true, disable_surveys: true } },
];

const named = (events: StoredEventView[], name: string): StoredEventView[] => events.filter((e) => e.event === name);
const pageviewOf = (events: StoredEventView[], path: string): StoredEventView | undefined =>
  events.find((e) => e.event === '$pageview' && e.path === path);

describe('posthog-node against a real server', () => {
  let mythic: MythicServer;

  before(async () => {
    mythic = await startMythic();
  });
  after(async () => {
    await mythic?.stop();
    await stopAllServers();
  });

  for (const kind of ['publishable', 'secret'] as const) {
    it(`stores capture and identify sent with the ${kind} key as project key`, async () => {
      const created = (await mythic.createClient({ id: `node-${kind}`, name: `Node ${kind}`, domain: `node-${kind}.example` })) as unknown as {
        id: string;
        publishable_key: string;
        secret_key: string;
      };
      const key = kind === 'publishable' ? created.publishable_key : created.secret_key;
      const errors: unknown[] = [];
      const posthog = new PostHog(key, { host: mythic.baseUrl, flushAt: 1, flushInterval: 0, fetchRetryCount: 0 });
      posthog.on('error', (error: unknown) => errors.push(error));
      posthog.capture({ distinctId: 'customer-7', event: 'Order Completed', properties: { revenue: 42.5, currency: 'EUR' } });
      posthog.identify({ distinctId: 'customer-7', properties: { email: 'c7@example.com' } });
      // Flags are asked of /flags, which answers none (a failed request would be reported below).
      assert.deepEqual(await posthog.getAllFlags('customer-7'), {});
      await posthog.shutdown();
      assert.deepEqual(errors, [], 'posthog-node reported no failed request');

      const stored = await mythic.waitForEvents(created.id, (events) => events.length >= 2);
      assert.equal(stored.length, 2);
      const order = named(stored, 'Order Completed')[0];
      assert.equal(order?.distinct_id, 'customer-7');
      assert.equal(order?.properties.revenue, 42.5);
      assert.equal(order?.properties.currency, 'EUR');
      assert.equal(order?.properties.$lib, 'posthog-node');
      const identify = named(stored, '$identify')[0];
      assert.equal(identify?.distinct_id, 'customer-7');
      assert.deepEqual(identify?.properties.$set, { email: 'c7@example.com' });
    });
  }
});

describe('browser: posthog-js against a real server', { skip: CHROMIUM_SKIP }, () => {
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

  /** A page set up as PostHog's docs say, with our server as api_host and our pk_ as token. */
  const postHogPage = (pk: string, options: Record<string, unknown>): string =>
    `<!doctype html><html><head><meta charset="utf-8"><title>PostHog shop</title>
<script src="/vendor/posthog.js"></script>
<script>posthog.init(${JSON.stringify(pk)}, ${JSON.stringify({ api_host: mythic.baseUrl, ...options })});</script>
</head><body><h1>PostHog shop</h1></body></html>`;

  for (const [n, setup] of SETUPS.entries()) {
    it(`${setup.name}: stores page views, a custom event, $identify and the page-leave beacons, and answers flags and config`, async () => {
      const host = `ph${n}.localhost`;
      const client = await mythic.createClient({ id: `ph-shop-${n}`, name: `PostHog Shop ${n}`, domain: host });
      pages.set(host, () => postHogPage(client.publishable_key, setup.options));
      const context = await newContext(browser);
      // Every answer of our server the browser saw (beacons sent while a page unloads are not reported).
      const answers: { status: number; method: string; path: string }[] = [];
      context.on('response', (response) => {
        const url = new URL(response.url());
        if (url.origin === mythic.baseUrl) answers.push({ status: response.status(), method: response.request().method(), path: url.pathname });
      });
      const consoleErrors: string[] = [];
      await context.route(
        (url) => url.pathname === '/vendor/posthog.js',
        (route) => route.fulfill({ status: 200, contentType: 'application/javascript', body: setup.script }),
      );
      try {
        const page = await context.newPage();
        page.on('console', (message) => {
          if (message.type() === 'error') consoleErrors.push(message.text());
        });
        await page.goto(site.url(host, '/'));
        let stored = await mythic.waitForEvents(client.id, (events) => pageviewOf(events, '/') !== undefined);
        await page.evaluate(`posthog.capture('Plan Chosen', { plan: 'pro' })`);
        await page.evaluate(`posthog.identify('user-42', { email: 'u42@example.com' })`);
        stored = await mythic.waitForEvents(client.id, (events) => named(events, 'Plan Chosen').length === 1 && named(events, '$identify').length === 1);
        // identify reloads the flags: let that answer arrive before leaving, so no request is cut off.
        const deadline = Date.now() + 10_000;
        while (!answers.some((a) => a.method === 'POST' && a.path === '/flags/')) {
          assert.ok(Date.now() < deadline, `posthog-js asked for its flags after identify: ${JSON.stringify(answers)}`);
          await sleep(50);
        }
        // Leaving the page sends $pageleave by sendBeacon, as a base64 form body.
        await page.goto(site.url(host, '/checkout'));
        await mythic.waitForEvents(client.id, (events) => pageviewOf(events, '/checkout') !== undefined);
        await page.close({ runBeforeUnload: true });
        stored = await mythic.waitForEvents(client.id, (events) => named(events, '$pageleave').length === 2);

        const landing = pageviewOf(stored, '/') as StoredEventView;
        const device = landing.$device_id;
        assert.ok(device, 'posthog-js’s device id is kept');
        assert.equal(landing.distinct_id, device, 'an anonymous visitor is known by the device id');
        assert.equal(landing.properties.$lib, 'web');
        assert.ok(landing.$session_id, 'the session id is moved out of properties');
        const plan = named(stored, 'Plan Chosen')[0] as StoredEventView;
        assert.equal(plan.properties.plan, 'pro');
        assert.equal(plan.distinct_id, device);
        assert.equal(plan.path, '/');
        const identify = named(stored, '$identify')[0] as StoredEventView;
        assert.equal(identify.distinct_id, 'user-42', 'the distinct id posthog-js sends in properties');
        assert.equal(identify.$anon_distinct_id, device);
        assert.deepEqual(identify.properties.$set, { email: 'u42@example.com' });
        assert.equal(pageviewOf(stored, '/checkout')?.distinct_id, 'user-42');
        assert.deepEqual(
          named(stored, '$pageleave').map((e) => [e.path, e.distinct_id]),
          [
            ['/', 'user-42'],
            ['/checkout', 'user-42'],
          ],
        );
        for (const event of stored) {
          assert.equal(event.properties.token, undefined, `${event.event}: the key is not stored as a property`);
          assert.equal(event.properties.distinct_id, undefined, `${event.event}: the distinct id is a column, not a property`);
        }

        const refused = answers.filter((a) => a.status >= 300);
        assert.deepEqual(refused, [], 'every request posthog-js made was answered with success');
        const asked = new Set(answers.map((a) => `${a.method} ${a.path}`));
        for (const request of ['POST /e/', 'POST /flags/', `GET /array/${client.publishable_key}/config.js`]) {
          assert.ok(asked.has(request), `${request} was made and answered: ${[...asked].join(', ')}`);
        }
        assert.ok(!asked.has(`GET /array/${client.publishable_key}/config`), 'config.js handed the config over: no fallback to the JSON');
        assert.deepEqual(consoleErrors, [], 'posthog-js logged no error');
      } finally {
        await context.close();
      }
    });
  }
});
