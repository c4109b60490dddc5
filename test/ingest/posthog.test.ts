import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { after, before, it } from 'node:test';
import type { TestApi } from '../helpers/api.js';
import { ingestClient, startIngestApi, type Answer, type Client } from '../helpers/ingest.js';
import { describeEachStoreAndEngine } from '../helpers/engines.js';
import { USER_AGENTS } from './enrich.test.js';

/**
 * Requests as PostHog's SDKs send them (byte for byte what posthog-js 1.449 sent from Chromium),
 * through the real app on each store: how their bodies are wrapped, where their key is, and the
 * settings they ask for. Every answer is checked against the OpenAPI document.
 */

const ORIGIN = 'https://shop.posthog-user.test';

/** One event the way posthog-js builds it: distinct id, device and session in properties, the key as properties.token. */
function postHogEvent(pk: string, event: string, extra: Record<string, unknown> = {}, now = Date.now()): Record<string, unknown> {
  return {
    uuid: randomUUID(),
    event,
    properties: {
      $current_url: `${ORIGIN}/pricing?utm_source=newsletter`,
      $host: 'shop.posthog-user.test',
      $pathname: '/pricing',
      $lib: 'web',
      $lib_version: '1.449.2',
      distinct_id: 'device-1',
      $device_id: 'device-1',
      $session_id: 'session-1',
      $referrer: '$direct',
      token: pk,
      ...extra,
    },
    timestamp: new Date(now).toISOString(),
  };
}

const base64Form = (value: unknown): string => `data=${encodeURIComponent(Buffer.from(JSON.stringify(value)).toString('base64'))}`;

describeEachStoreAndEngine('PostHog’s SDKs’ requests', (kind, engine) => {
  let api: TestApi;
  let send: ReturnType<typeof ingestClient>['send'];
  let createClient: ReturnType<typeof ingestClient>['createClient'];
  let stored: ReturnType<typeof ingestClient>['stored'];
  let shop: Client;

  before(async () => {
    ({ api, send, createClient, stored } = await startIngestApi(kind, {}, engine));
    shop = await createClient({ domain: 'posthog-user.test' });
  });
  after(async () => {
    assert.ok(api.contract.checked > 0);
    await api.close();
  });

  const browser = { origin: ORIGIN, 'user-agent': USER_AGENTS.chrome };

  /** A GET as posthog-js makes it, its answer checked against the document when it is JSON. */
  async function get(url: string, headers: Record<string, string> = browser): Promise<{ status: number; body: unknown; text: string; headers: Record<string, unknown> }> {
    const response = await api.app.inject({ method: 'GET', url, headers });
    const json = String(response.headers['content-type']).startsWith('application/json');
    const body: unknown = json ? response.json() : undefined;
    if (json) api.contract.check('GET', url, response.statusCode, body);
    return { status: response.statusCode, body, text: response.body, headers: response.headers };
  }

  /** Asserts a refusal in the error envelope, and that the client has no more events than before. */
  async function refusedWithNothingStored(client: Client, status: number, code: string, request: () => Promise<Answer>): Promise<Answer> {
    const before = (await stored(client)).length;
    const res = await request();
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.success, false);
    assert.equal(res.body.data, null);
    assert.equal(res.body.code, code);
    assert.equal((await stored(client)).length, before, 'nothing was stored');
    return res;
  }

  it('stores posthog-js’s gzip batch sent as text/plain with nothing saying it is gzip, keyed by api_key', async () => {
    const first = postHogEvent(shop.pk, '$pageview');
    // After identify, posthog-js's distinct id is the person's, and the device id stays.
    const second = postHogEvent(shop.pk, 'Plan Chosen', { plan: 'pro', distinct_id: 'user-42' });
    const body = gzipSync(JSON.stringify({ api_key: shop.pk, batch: [first, second], sent_at: new Date().toISOString() }));
    const res = await send('/e/', { raw: body, headers: { ...browser, 'content-type': 'text/plain' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { success: true, data: { received: 2 } });
    const events = (await stored(shop)).filter((e) => e.uuid === first.uuid || e.uuid === second.uuid);
    assert.equal(events.length, 2);
    assert.deepEqual(events.map((e) => [e.event, e.distinct_id]).sort(), [
      ['$pageview', 'device-1'],
      ['Plan Chosen', 'user-42'],
    ], 'the distinct id posthog-js puts in properties');
    for (const event of events) {
      assert.equal(event.device_id, 'device-1');
      assert.equal(event.session_id, 'session-1');
      assert.equal(event.path, '/pricing');
      assert.equal(event.utm_source, 'newsletter');
      const properties = JSON.parse(event.properties) as Record<string, unknown>;
      assert.equal(properties.token, undefined, 'the key is not stored as a property');
      assert.equal(properties.distinct_id, undefined, 'moved to its column');
      assert.equal(properties.$lib, 'web');
    }
  });

  it('stores the page-leave beacon: a base64 form on /e/?compression=base64', async () => {
    const leave = postHogEvent(shop.pk, '$pageleave');
    const res = await send('/e/?compression=base64', {
      raw: base64Form({ api_key: shop.pk, batch: [leave] }),
      headers: { ...browser, 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [event] = (await stored(shop)).filter((e) => e.uuid === leave.uuid);
    assert.equal(event?.event, '$pageleave');
    assert.equal(event?.distinct_id, 'device-1');
  });

  it('takes the key from the body’s token, or from the events’ properties.token when nothing else names one', async () => {
    const viaToken = postHogEvent(shop.pk, 'Via Token');
    assert.equal((await send('/e', { body: { token: shop.pk, batch: [viaToken] }, headers: browser })).status, 200);
    const single = postHogEvent(shop.pk, 'Single Event');
    assert.equal((await send('/e', { body: single, headers: browser })).status, 200);
    const both = [postHogEvent(shop.pk, 'In A Batch'), postHogEvent(shop.pk, 'In A Batch')];
    assert.equal((await send('/e', { body: both, headers: browser })).status, 200);
    const uuids = new Set([viaToken.uuid, single.uuid, ...both.map((e) => e.uuid)]);
    assert.equal((await stored(shop)).filter((e) => uuids.has(e.uuid)).length, 4);
  });

  it('refuses a batch whose events name two tokens, and stores none of it', async () => {
    const other = await createClient({ domain: 'posthog-user.test.other' });
    const res = await refusedWithNothingStored(shop, 400, 'validation_error', () =>
      send('/e', { body: { batch: [postHogEvent(shop.pk, 'a'), postHogEvent(other.pk, 'b')] }, headers: browser }),
    );
    assert.deepEqual(res.body.details, [{ field: 'batch[1].properties.token', message: 'must be the same token as the other events’' }]);
    assert.equal((await stored(other)).length, 0);
  });

  it('keeps a token property that is not the key when the key comes from elsewhere', async () => {
    // Mythic's own SDK puts the key in the URL; a site's own `token` property is its business.
    const events = [
      { event: 'Form Sent', distinct_id: 'v', properties: { token: 'csrf-1' } },
      { event: 'Form Sent', distinct_id: 'v', properties: { token: 'csrf-2' } },
    ].map((e) => ({ ...e, uuid: randomUUID() }));
    assert.equal((await send(`/e?key=${shop.pk}`, { body: { batch: events }, headers: browser })).status, 200);
    const kept = (await stored(shop)).filter((e) => e.uuid === events[0]?.uuid || e.uuid === events[1]?.uuid);
    assert.deepEqual(kept.map((e) => (JSON.parse(e.properties) as { token: string }).token).sort(), ['csrf-1', 'csrf-2']);
  });

  it('refuses PostHog-wrapped bodies that do not decode, with a 4xx in the envelope and nothing stored', async () => {
    const form = { ...browser, 'content-type': 'application/x-www-form-urlencoded' };
    await refusedWithNothingStored(shop, 400, 'invalid_json', () => send('/e/?compression=base64', { raw: 'data=%%%not-base64', headers: form }));
    await refusedWithNothingStored(shop, 400, 'invalid_json', () => send('/e/?compression=base64', { raw: 'payload=e30=', headers: form }));
    await refusedWithNothingStored(shop, 400, 'invalid_json', () =>
      send('/e/?compression=base64', { raw: `data=${Buffer.from('{"batch": [').toString('base64')}`, headers: form }),
    );
    await refusedWithNothingStored(shop, 415, 'unsupported_media_type', () =>
      send('/e/?compression=lz64', { raw: base64Form({ api_key: shop.pk, batch: [postHogEvent(shop.pk, 'x')] }), headers: form }),
    );
    // A gzip bomb that nothing declares: inflated only up to the 1 MiB bound.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    await refusedWithNothingStored(shop, 413, 'payload_too_large', () => send('/e/', { raw: bomb, headers: { ...browser, 'content-type': 'text/plain' } }));
    const badId = postHogEvent(shop.pk, 'x', { distinct_id: { id: 1 } });
    const res = await refusedWithNothingStored(shop, 400, 'validation_error', () => send('/e', { body: { api_key: shop.pk, batch: [badId] }, headers: browser }));
    assert.equal(res.body.details?.[0]?.field, 'batch[0].properties.distinct_id');
  });

  it('applies the rules of /e to posthog-js’s requests: a foreign origin, an unknown or secret token', async () => {
    const foreign = { origin: 'https://evil.test', 'user-agent': USER_AGENTS.chrome };
    const gzipBatch = (key: string) => gzipSync(JSON.stringify({ api_key: key, batch: [postHogEvent(key, '$pageview', {}, api.clock.now)] }));
    await refusedWithNothingStored(shop, 403, 'origin_not_allowed', () => send('/e/', { raw: gzipBatch(shop.pk), headers: { ...foreign, 'content-type': 'text/plain' } }));
    await refusedWithNothingStored(shop, 403, 'origin_not_allowed', () =>
      send('/e/?compression=base64', {
        raw: base64Form({ api_key: shop.pk, batch: [postHogEvent(shop.pk, '$pageleave')] }),
        headers: { ...foreign, 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    const unknown = `pk_${'0'.repeat(32)}`;
    await refusedWithNothingStored(shop, 401, 'unauthorized', () => send('/e/', { raw: gzipBatch(unknown), headers: { ...browser, 'content-type': 'text/plain' } }));
    await refusedWithNothingStored(shop, 401, 'unauthorized', () => send('/e/', { raw: gzipBatch(shop.sk), headers: { ...browser, 'content-type': 'text/plain' } }));

    const flags = (key: string, headers: Record<string, string>) =>
      send('/flags/?v=2&compression=base64', { raw: base64Form({ token: key, distinct_id: 'device-1' }), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal((await flags(shop.pk, foreign)).status, 403);
    assert.equal((await flags(unknown, browser)).status, 401);
    for (const path of ['config', 'config.js']) {
      const fromElsewhere = await get(`/array/${shop.pk}/${path}`, foreign);
      assert.equal(fromElsewhere.status, 403, path);
      assert.equal((await get(`/array/${unknown}/${path}`)).status, 401, path);
      const secret = await get(`/array/${shop.sk}/${path}`);
      assert.equal(secret.status, 401, `${path}: a secret key in a URL is refused`);
      // A script tag sends no Origin, only Referer, which is checked the same way.
      assert.equal((await get(`/array/${shop.pk}/${path}`, { referer: 'https://evil.test/page' })).status, 403, path);
    }
  });

  it('answers /flags with no flag, in the shape posthog-js reads as loaded', async () => {
    const res = await send('/flags/?v=2&compression=base64', {
      raw: base64Form({ token: shop.pk, distinct_id: 'device-1', groups: {} }),
      headers: { ...browser, 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { flags: {}, featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false });
    assert.equal(res.headers['access-control-allow-origin'], ORIGIN);
    // posthog-node asks with JSON, and may use its secret key.
    const server = await send('/flags?v=2', { body: { token: shop.sk, distinct_id: 'customer-7' } });
    assert.equal(server.status, 200);
    const bad = await send('/flags?v=2', { body: ['not', 'an', 'object'], headers: browser });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'validation_error');
    assert.equal((await send('/flags?v=2', { body: { distinct_id: 'no key' }, headers: browser })).status, 401);
  });

  it('answers the remote config, as JSON and as the script posthog-js loads, with everything but capture off', async () => {
    const json = await get(`/array/${shop.pk}/config`);
    assert.equal(json.status, 200);
    const config = json.body as Record<string, unknown>;
    assert.equal(config.token, shop.pk);
    assert.equal(config.hasFeatureFlags, false);
    assert.equal(config.sessionRecording, false);
    assert.equal(config.surveys, false);
    assert.equal(config.autocapture_opt_out, true);
    assert.deepEqual(config.supportedCompression, ['gzip', 'gzip-js']);
    assert.equal(json.headers['access-control-allow-origin'], ORIGIN);

    const script = await get(`/array/${shop.pk}/config.js`, { referer: `${ORIGIN}/pricing` });
    assert.equal(script.status, 200);
    assert.match(String(script.headers['content-type']), /^application\/javascript/);
    assert.equal(script.headers['x-content-type-options'], 'nosniff');
    const window: { _POSTHOG_REMOTE_CONFIG?: Record<string, { config: unknown; siteApps: unknown[] }> } = {};
    runInNewContext(script.text, { window });
    // Through JSON: objects made in the script's own realm have other prototypes.
    assert.deepEqual(JSON.parse(JSON.stringify(window._POSTHOG_REMOTE_CONFIG?.[shop.pk])), { config, siteApps: [] });
  });

  it('charges the settings requests to the visitor’s address like events', async () => {
    const limited = await startIngestApi(kind, { ingest: { rateLimits: { perIp: { perSecond: 1, burst: 2 } } } }, engine);
    try {
      const client = await limited.createClient({ domain: 'posthog-user.test' });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await limited.api.app.inject({ method: 'GET', url: `/array/${client.pk}/config`, headers: browser, remoteAddress: '198.51.100.9' });
        statuses.push(response.statusCode);
      }
      const flags = await limited.send('/flags?v=2', { body: { token: client.pk }, headers: browser, remoteAddress: '198.51.100.9' });
      assert.deepEqual([...statuses, flags.status], [200, 200, 429, 429]);
      assert.ok(Number(flags.headers['retry-after']) >= 1);
    } finally {
      await limited.api.close();
    }
  });
});
