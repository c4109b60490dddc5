import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { stopAllServers } from '../helpers/server.js';
import {
  CHROMIUM_SKIP,
  html,
  launchChromium,
  NetworkLog,
  newContext,
  sleep,
  startMythic,
  startSite,
  type MythicServer,
  type Site,
  type StoredEventView,
} from './harness.js';

/** Pages per host name; a missing entry is a page without any loader. */
const pages = new Map<string, (path: string) => string>();
const plainPage = html({ loaders: [], title: 'Elsewhere' });

const named = (events: StoredEventView[], name: string): StoredEventView[] => events.filter((e) => e.event === name);
const pageviewOf = (events: StoredEventView[], path: string): StoredEventView | undefined =>
  events.find((e) => e.event === '$pageview' && e.properties.$pathname === path);

async function waitForCore(page: Page, global: string): Promise<void> {
  await page.waitForFunction(`window[${JSON.stringify(global)}] && window[${JSON.stringify(global)}].__mythic === 'core'`);
}

describe('browser: loader, tags and SDK against a running server', { skip: CHROMIUM_SKIP }, () => {
  let mythic: MythicServer;
  let site: Site;
  let browser: Browser;

  before(async () => {
    [mythic, site, browser] = await Promise.all([
      startMythic(),
      startSite((host, path) => pages.get(host)?.(path) ?? plainPage),
      launchChromium(),
    ]);
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await mythic?.stop();
    await stopAllServers();
  });

  const loaderUrl = (pk: string): string => `${mythic.baseUrl}/s/${pk}.js`;

  it('delivers page views, a custom event, an SPA navigation and an event captured during unload', async () => {
    const client = await mythic.createClient({ id: 'shop', name: 'Shop', domain: 'shop.localhost', global_name: 'shop' });
    pages.set('shop.localhost', (path) => (path === '/bye' ? plainPage : html({ loaders: [loaderUrl(client.publishable_key)] })));
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await page.goto(site.url('shop.localhost', '/?utm_source=newsletter&gclid=abc123#top'));
      await waitForCore(page, 'shop');
      await page.evaluate(`shop.capture('Signup Clicked', { plan: 'pro' })`);
      await page.evaluate(`history.pushState({}, '', '/pricing')`);
      let stored = await mythic.waitForEvents(client.id, (events) => pageviewOf(events, '/pricing') !== undefined && named(events, 'Signup Clicked').length === 1);

      const landing = pageviewOf(stored, '/');
      assert.ok(landing, 'the landing page view arrived');
      assert.equal(landing.properties.$current_url, site.url('shop.localhost', '/?utm_source=newsletter&gclid=abc123#top'));
      assert.equal(landing.properties.$host, `shop.localhost:${site.port}`);
      assert.equal(landing.properties.utm_source, 'newsletter');
      assert.equal(landing.properties.gclid, 'abc123');
      assert.equal(landing.properties.$lib, 'mythic-web');
      assert.equal(landing.properties.$referrer, '$direct', 'opened directly');
      // An SPA navigation names the page navigated from, not the page that loaded the app: the
      // site itself, which is no source of traffic.
      const pricing = pageviewOf(stored, '/pricing');
      assert.equal(pricing?.properties.$referrer, site.url('shop.localhost', '/?utm_source=newsletter&gclid=abc123'), 'without the #fragment');
      assert.equal(pricing?.referrer_host, null);
      const signup = named(stored, 'Signup Clicked')[0] as StoredEventView;
      assert.equal(signup.properties.plan, 'pro');
      assert.ok(landing.$device_id, 'a device id is set');
      for (const event of stored) {
        assert.equal(event.$session_id, landing.$session_id, `${event.event} is in the same session`);
        assert.equal(event.$device_id, landing.$device_id);
        assert.equal(event.distinct_id, landing.$device_id, 'an anonymous visitor is known by the device id');
      }

      // Captured, then the visitor leaves at once: only the page-hide beacon can carry it.
      await page.evaluate(`shop.capture('Left In A Hurry')`);
      await page.goto(site.url('shop.localhost', '/bye'));
      stored = await mythic.waitForEvents(client.id, (events) => named(events, 'Left In A Hurry').length === 1 && named(events, '$pageleave').length === 1);
      assert.equal(named(stored, 'Left In A Hurry')[0]?.properties.$pathname, '/pricing');
      assert.equal(named(stored, '$pageleave')[0]?.properties.$pathname, '/pricing');
      assert.equal(named(stored, '$pageview').length, 2, 'one view per page, none for the page without the loader');
    } finally {
      await context.close();
    }
  });

  it('runs two clients on one page under different globals without interference', async () => {
    const acme = await mythic.createClient({ id: 'duo-acme', name: 'Acme', domain: 'duo.localhost', global_name: 'acmeRetail' });
    const beta = await mythic.createClient({ id: 'duo-beta', name: 'Beta', domain: 'b.duo.localhost', global_name: 'betaShop' });
    pages.set('b.duo.localhost', () => html({ loaders: [loaderUrl(acme.publishable_key), loaderUrl(beta.publishable_key)] }));
    const context = await newContext(browser);
    try {
      const coreRequests: string[] = [];
      context.on('request', (request) => {
        if (request.url().includes('/sdk/v1/core.js')) coreRequests.push(request.url());
      });
      const page = await context.newPage();
      await page.goto(site.url('b.duo.localhost', '/'));
      await waitForCore(page, 'acmeRetail');
      await waitForCore(page, 'betaShop');
      await page.evaluate(`acmeRetail.register({ brand: 'acme' }); acmeRetail.identify('user-a', { plan: 'gold' }); acmeRetail.capture('A Event')`);
      await page.evaluate(`betaShop.capture('B Event')`);

      const acmeEvents = await mythic.waitForEvents(acme.id, (events) => named(events, 'A Event').length === 1 && named(events, '$identify').length === 1);
      const betaEvents = await mythic.waitForEvents(beta.id, (events) => named(events, 'B Event').length === 1 && named(events, '$pageview').length === 1);
      assert.deepEqual(acmeEvents.map((e) => e.event).sort(), ['$identify', '$pageview', 'A Event']);
      assert.deepEqual(betaEvents.map((e) => e.event).sort(), ['$pageview', 'B Event']);

      const acmeView = named(acmeEvents, '$pageview')[0] as StoredEventView;
      const betaView = named(betaEvents, '$pageview')[0] as StoredEventView;
      assert.notEqual(acmeView.$device_id, betaView.$device_id, 'each client has its own device id');
      assert.notEqual(acmeView.$session_id, betaView.$session_id, 'and its own session');
      const identify = named(acmeEvents, '$identify')[0] as StoredEventView;
      assert.equal(identify.distinct_id, 'user-a');
      assert.equal(identify.$anon_distinct_id, acmeView.$device_id);
      assert.deepEqual(identify.properties.$set, { plan: 'gold' });
      assert.equal(named(acmeEvents, 'A Event')[0]?.properties.brand, 'acme');
      assert.equal(named(betaEvents, 'B Event')[0]?.properties.brand, undefined, "one client's super properties stay out of the other's events");
      assert.equal(named(betaEvents, 'B Event')[0]?.distinct_id, betaView.$device_id, "one client's identify leaves the other anonymous");
      assert.equal(await page.evaluate('betaShop.getDistinctId()'), betaView.$device_id);

      const storage = (await page.evaluate('Object.keys(localStorage)')) as string[];
      assert.ok(storage.some((key) => key.startsWith(`acmeRetail_${acme.publishable_key}_`)));
      assert.ok(storage.some((key) => key.startsWith(`betaShop_${beta.publishable_key}_`)));
      const cookies = (await context.cookies()).map((c) => c.name);
      assert.ok(cookies.includes(`acmeRetail_${acme.publishable_key}_device`), `cookies: ${cookies.join(', ')}`);
      assert.ok(cookies.includes(`betaShop_${beta.publishable_key}_device`));
      assert.equal(coreRequests.length, 1, 'the core is fetched once for both clients');
    } finally {
      await context.close();
    }
  });

  it('injects a GA4 tag and a snippet only on pages their trigger rules select, once each', async () => {
    const client = await mythic.createClient({ id: 'tagged', name: 'Tagged', domain: 'tagged.localhost' });
    const tags = await mythic.admin('PUT', `/api/v1/clients/${client.id}/tags`, {
      tags: [{ tag_id: 'ga4', enabled: true, params: { measurement_id: 'G-TEST12345' }, trigger_rules: [{ url_contains: '/checkout' }] }],
    });
    assert.equal(tags.status, 200, JSON.stringify(tags.body));
    const snippets = await mythic.admin('PUT', `/api/v1/clients/${client.id}/snippets`, {
      snippets: [
        {
          code: '<div id="promo">10% off</div><script>window.snippetRuns = (window.snippetRuns || 0) + 1;</script>',
          description: 'Checkout promo',
          enabled: true,
          trigger_rules: [{ path_prefix: '/checkout' }],
        },
      ],
    });
    assert.equal(snippets.status, 200, JSON.stringify(snippets.body));
    pages.set('tagged.localhost', () => html({ loaders: [loaderUrl(client.publishable_key)] }));

    const context = await newContext(browser);
    try {
      const gtag: string[] = [];
      context.on('request', (request) => {
        if (request.url().includes('googletagmanager.com')) gtag.push(request.url());
      });
      const page = await context.newPage();
      const ga4Script = 'document.querySelectorAll(\'script[src^="https://www.googletagmanager.com/gtag/js?id=G-TEST12345"]\').length';

      await page.goto(site.url('tagged.localhost', '/'));
      // The global defaults to `mythic` for a client without a global_name.
      await waitForCore(page, 'mythic');
      assert.equal(await page.evaluate(ga4Script), 0, 'no GA4 script on /');
      assert.equal(await page.evaluate('typeof window.dataLayer'), 'undefined');
      assert.equal(await page.evaluate('typeof window.snippetRuns'), 'undefined');

      await page.evaluate(`history.pushState({}, '', '/checkout')`);
      await page.waitForFunction(`${ga4Script} === 1`);
      assert.equal(await page.evaluate('Array.isArray(window.dataLayer) && typeof window.gtag'), 'function');
      assert.equal(await page.evaluate('window.snippetRuns'), 1, "the snippet's script ran");
      assert.equal(await page.evaluate(`document.getElementById('promo').textContent`), '10% off');

      await page.evaluate(`history.pushState({}, '', '/'); history.pushState({}, '', '/checkout/pay')`);
      await sleep(100);
      assert.equal(await page.evaluate(ga4Script), 1, 'injected once per page load');
      assert.equal(await page.evaluate('window.snippetRuns'), 1);
      assert.ok(gtag.length >= 1, 'gtag.js was requested (and blocked: the test runs offline)');

      await page.goto(site.url('tagged.localhost', '/checkout'));
      await page.waitForFunction(`${ga4Script} === 1`);
      await page.waitForFunction('window.snippetRuns === 1');
    } finally {
      await context.close();
    }
  });

  it('fires rules in the documented object form: a GA4 tag named by UUID on /checkout only, a {} snippet everywhere', async () => {
    const client = await mythic.createClient({ id: 'documented', name: 'Documented', domain: 'documented.localhost' });
    const tags = await mythic.admin('PUT', `/api/v1/clients/${client.id}/tags`, {
      tags: [
        {
          tag_id: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
          enabled: true,
          params: { measurement_id: 'G-DOCS12345' },
          trigger_rules: { url_contains: '/checkout', exclude_url_contains: '/checkout/test' },
        },
      ],
    });
    assert.equal(tags.status, 200, JSON.stringify(tags.body));
    const snippets = await mythic.admin('PUT', `/api/v1/clients/${client.id}/snippets`, {
      snippets: [{ code: '<script>window.everywhere = (window.everywhere || 0) + 1;</script>', description: 'Everywhere', enabled: true, trigger_rules: {} }],
    });
    assert.equal(snippets.status, 200, JSON.stringify(snippets.body));
    pages.set('documented.localhost', () => html({ loaders: [loaderUrl(client.publishable_key)] }));

    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      const ga4Script = 'document.querySelectorAll(\'script[src^="https://www.googletagmanager.com/gtag/js?id=G-DOCS12345"]\').length';
      await page.goto(site.url('documented.localhost', '/'));
      await waitForCore(page, 'mythic');
      await page.waitForFunction('window.everywhere === 1');
      assert.equal(await page.evaluate(ga4Script), 0, 'no GA4 on /');
      // Both keys of the object must hold: the exclusion keeps it off /checkout/test.
      await page.evaluate(`history.pushState({}, '', '/checkout/test')`);
      await sleep(100);
      assert.equal(await page.evaluate(ga4Script), 0, 'no GA4 on /checkout/test');
      await page.evaluate(`history.pushState({}, '', '/checkout')`);
      await page.waitForFunction(`${ga4Script} === 1`);
      assert.equal(await page.evaluate('window.everywhere'), 1, 'the {} snippet ran once');
    } finally {
      await context.close();
    }
  });

  it('sends nothing and stores nothing before consent, then what was held once granted', async () => {
    const client = await mythic.createClient({
      id: 'careful',
      name: 'Careful',
      domain: 'careful.localhost',
      global_name: 'careful',
      sdk_settings: { require_consent: true },
    });
    pages.set('careful.localhost', () => html({ loaders: [loaderUrl(client.publishable_key)] }));
    const context = await newContext(browser);
    try {
      const network = new NetworkLog(context);
      const page = await context.newPage();
      await page.goto(site.url('careful.localhost', '/'));
      await waitForCore(page, 'careful');
      await page.evaluate(`careful.capture('Before Consent')`);
      await sleep(2500); // longer than the flush interval
      assert.equal(network.batches.length, 0, 'no event request before consent');
      assert.deepEqual(await page.evaluate('Object.keys(localStorage)'), [], 'nothing in localStorage');
      assert.deepEqual(await context.cookies(), [], 'no cookie');

      await page.evaluate('careful.grantConsent()');
      const stored = await mythic.waitForEvents(client.id, (events) => events.length === 2);
      assert.deepEqual(stored.map((e) => e.event).sort(), ['$pageview', 'Before Consent']);
      assert.ok((await context.cookies()).some((c) => c.name === `careful_${client.publishable_key}_device`));

      await page.evaluate(`careful.revokeConsent(); careful.capture('After Revoke')`);
      assert.deepEqual(await page.evaluate('Object.keys(localStorage)'), [`careful_${client.publishable_key}_consent`], 'only the refusal is kept');
      assert.deepEqual(await context.cookies(), []);
      const sentBefore = network.batches.length;
      await sleep(2500);
      assert.equal(network.batches.length, sentBefore, 'nothing is sent after revocation');
      assert.equal((await mythic.events(client.id)).length, 2);
    } finally {
      await context.close();
    }
  });
});
