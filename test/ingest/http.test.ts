import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { after, before, it } from 'node:test';
import { deriveIpHashSecret, hashIp } from '../../src/ingest/ip.js';
import { sha256Hex } from '../../src/keys/secrets.js';
import { ADMIN_KEY, type Envelope, type TestApi } from '../helpers/api.js';
import { ingestClient, pageview, startIngestApi, type Answer, type Client } from '../helpers/ingest.js';
import { describeEachStoreAndEngine } from '../helpers/engines.js';
import { USER_AGENTS } from './enrich.test.js';

const HOUR = 60 * 60 * 1000;

describeEachStoreAndEngine('ingestion over HTTP', (kind, engine) => {
  let api: TestApi;
  let send: ReturnType<typeof ingestClient>['send'];
  let createClient: ReturnType<typeof ingestClient>['createClient'];
  let stored: ReturnType<typeof ingestClient>['stored'];
  let acme: Client;

  before(async () => {
    ({ api, send, createClient, stored } = await startIngestApi(kind, {}, engine));
    acme = await createClient({ domain: 'acme.test', proxy_api_key: 'proxy-secret-0123456789' });
  });
  after(async () => {
    assert.ok(api.contract.checked > 0);
    await api.close();
  });

  /** Asserts a refusal with `status` and `code`, and that the client has no more events than before. */
  async function refusedWithNothingStored(client: Client, status: number, code: string, request: () => Promise<Answer>): Promise<Answer> {
    const before = (await stored(client)).length;
    const res = await request();
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.code, code);
    assert.equal(res.body.success, false);
    assert.equal((await stored(client)).length, before, 'nothing was stored');
    return res;
  }

  it('stores a browser pageview from the client’s domain, enriched, and answers once stored', async () => {
    const uuid = randomUUID();
    const res = await send(`/e?key=${acme.pk}`, {
      body: pageview({ uuid, timestamp: new Date(api.clock.now - 60_000).toISOString(), $session_id: 'sess-1' }),
      headers: { origin: 'https://acme.test', 'user-agent': USER_AGENTS.chrome },
      remoteAddress: '203.0.113.57',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { success: true, data: { received: 1 } });
    assert.equal(res.headers['access-control-allow-origin'], 'https://acme.test');
    assert.equal(res.headers.vary, 'Origin');
    const [event] = (await stored(acme)).filter((e) => e.uuid === uuid);
    assert.ok(event);
    assert.equal(event.event, '$pageview');
    assert.equal(event.distinct_id, 'visitor-1');
    assert.equal(event.timestamp, api.clock.now - 60_000);
    assert.equal(event.received_at, api.clock.now);
    assert.equal(event.session_id, 'sess-1');
    assert.equal(event.host, 'acme.test');
    assert.equal(event.path, '/products/1');
    assert.equal(event.referrer_host, 'google.com');
    assert.equal(event.utm_source, 'newsletter');
    assert.equal(event.browser, 'Chrome');
    assert.equal(event.browser_version, '124.0.0.0');
    assert.equal(event.os, 'Windows');
    assert.equal(event.device_type, 'desktop');
    assert.equal(event.is_bot, false);
    assert.equal(event.ip, '203.0.113.0', 'truncated to /24 by default');
    assert.equal(event.country, null);
    assert.deepEqual(JSON.parse(event.properties), pageview().properties);
  });

  it('takes a batch, a bare array, and the key as api_key in the body', async () => {
    const batch = await send('/e', { body: { api_key: acme.pk, batch: [pageview(), pageview()] }, headers: { origin: 'https://acme.test' } });
    assert.deepEqual(batch.body.data, { received: 2 });
    const array = await send(`/e?key=${acme.pk}`, { body: [pageview(), pageview(), pageview()] });
    assert.deepEqual(array.body.data, { received: 3 });
    const server = await send('/batch', { body: { api_key: acme.sk, batch: [pageview()] } });
    assert.deepEqual(server.body.data, { received: 1 });
  });

  it('stores an event whose uuid is already stored once, and still acknowledges it', async () => {
    const uuid = randomUUID();
    const first = await send(`/e?key=${acme.pk}`, { body: pageview({ uuid }) });
    assert.deepEqual(first.body.data, { received: 1 });
    const retry = await send(`/e?key=${acme.pk}`, { body: { batch: [pageview({ uuid: uuid.toUpperCase() }), pageview()] } });
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.body.data, { received: 2 });
    assert.equal((await stored(acme)).filter((e) => e.uuid === uuid).length, 1);
  });

  it('accepts gzip bodies by Content-Encoding and by ?compression=gzip-js, and text/plain JSON', async () => {
    const uuids = [randomUUID(), randomUUID(), randomUUID()];
    const zipped = (uuid: string) => gzipSync(JSON.stringify({ batch: [pageview({ uuid })] }));
    const byHeader = await send(`/e?key=${acme.pk}`, { raw: zipped(uuids[0] as string), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    assert.equal(byHeader.status, 200, JSON.stringify(byHeader.body));
    const byQuery = await send(`/e?key=${acme.pk}&compression=gzip-js`, { raw: zipped(uuids[1] as string), headers: { 'content-type': 'text/plain' } });
    assert.equal(byQuery.status, 200, JSON.stringify(byQuery.body));
    const text = await send(`/e?key=${acme.pk}`, { raw: JSON.stringify(pageview({ uuid: uuids[2] })), headers: { 'content-type': 'text/plain;charset=UTF-8' } });
    assert.equal(text.status, 200, JSON.stringify(text.body));
    const all = new Set((await stored(acme)).map((e) => e.uuid));
    for (const uuid of uuids) assert.ok(all.has(uuid), uuid);
  });

  it('refuses other content types and encodings with 415', async () => {
    const body = JSON.stringify(pageview());
    await refusedWithNothingStored(acme, 415, 'unsupported_media_type', () =>
      send(`/e?key=${acme.pk}`, { raw: body, headers: { 'content-type': 'multipart/form-data; boundary=x' } }),
    );
    await refusedWithNothingStored(acme, 415, 'unsupported_media_type', () =>
      send(`/e?key=${acme.pk}`, { raw: body, headers: { 'content-type': 'application/json', 'content-encoding': 'br' } }),
    );
    await refusedWithNothingStored(acme, 415, 'unsupported_media_type', () =>
      send(`/e?key=${acme.pk}&compression=lz64`, { raw: body, headers: { 'content-type': 'application/json' } }),
    );
    const bare = await refusedWithNothingStored(acme, 415, 'unsupported_media_type', () =>
      send(`/e?key=${acme.pk}`, { raw: body, headers: { origin: 'https://acme.test' } }),
    );
    assert.equal(bare.headers['access-control-allow-origin'], 'https://acme.test', 'the page can read why');
  });

  it('refuses malformed bodies with 400 invalid_json', async () => {
    for (const [raw, headers] of [
      ['{"event":', { 'content-type': 'application/json' }],
      ['', { 'content-type': 'application/json' }],
      ['not json', { 'content-type': 'text/plain' }],
      [Buffer.from('{"event":"x"}'), { 'content-type': 'application/json', 'content-encoding': 'gzip' }],
    ] as const) {
      await refusedWithNothingStored(acme, 400, 'invalid_json', () => send(`/e?key=${acme.pk}`, { raw, headers }));
    }
  });

  it('refuses an event over 32 KiB, a body over 1 MiB (sent or inflated) and over 1,000 events with 413', async () => {
    const overhead = Buffer.byteLength(JSON.stringify({ event: 'x', distinct_id: 'u', properties: { pad: '' } }));
    const padded = (bytes: number) => ({ event: 'x', distinct_id: 'u', properties: { pad: 'p'.repeat(bytes - overhead) } });
    const exactly = await send(`/e?key=${acme.pk}`, { body: padded(32 * 1024) });
    assert.equal(exactly.status, 200, 'exactly 32 KiB is accepted');
    const big = await refusedWithNothingStored(acme, 413, 'payload_too_large', () =>
      send(`/e?key=${acme.pk}`, { body: { batch: [pageview(), padded(32 * 1024 + 1)] } }),
    );
    assert.equal(big.body.details?.[0]?.field, 'batch[1]');
    const huge = JSON.stringify({ batch: [pageview()], filler: 'f'.repeat(1024 * 1024) });
    const tooBig = await refusedWithNothingStored(acme, 413, 'payload_too_large', () =>
      send(`/e?key=${acme.pk}`, { raw: huge, headers: { 'content-type': 'application/json', origin: 'https://acme.test' } }),
    );
    assert.equal(tooBig.headers['access-control-allow-origin'], 'https://acme.test');
    await refusedWithNothingStored(acme, 413, 'payload_too_large', () =>
      send(`/e?key=${acme.pk}`, { raw: gzipSync(huge), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }),
    );
    await refusedWithNothingStored(acme, 413, 'payload_too_large', () =>
      send(`/e?key=${acme.pk}`, { body: { batch: Array.from({ length: 1001 }, () => ({ event: 'x', distinct_id: 'u' })) } }),
    );
    const thousand = await send(`/e?key=${acme.pk}`, { body: { batch: Array.from({ length: 1000 }, () => ({ event: 'x', distinct_id: 'u' })) } });
    assert.deepEqual(thousand.body.data, { received: 1000 });
  });

  it('refuses a batch with any invalid event with 400 naming batch[i].field, storing none of it', async () => {
    const res = await refusedWithNothingStored(acme, 400, 'validation_error', () =>
      send(`/e?key=${acme.pk}`, {
        body: { batch: [pageview(), pageview({ uuid: 'no\npe' }), { event: '', distinct_id: 'u' }, pageview({ properties: { x: 'a\u0000' } })] },
      }),
    );
    assert.deepEqual(res.body.details, [
      { field: 'batch[1].uuid', message: 'must be a UUID or another string of 1–200 printable characters (no control characters or line breaks)' },
      { field: 'batch[2].event', message: 'must not be empty' },
      { field: 'batch[3].properties.x', message: 'must not contain NUL characters or unpaired surrogates' },
    ]);
  });

  it('accepts a subdomain of the domain and the client’s extra hostnames, by Origin or Referer', async () => {
    await api.store.addHostname({ hostname: 'acme-shop.example', client_id: acme.id, created_at: api.clock.now });
    const accepted: Record<string, string>[] = [
      { origin: 'https://www.acme.test' },
      { origin: 'https://deep.shop.acme.test:8443' },
      { origin: 'https://acme-shop.example' },
      { referer: 'https://blog.acme.test/post/1' },
      { referer: 'https://acme-shop.example/cart' },
    ];
    for (const headers of accepted) {
      const res = await send(`/e?key=${acme.pk}`, { body: pageview(), headers });
      assert.equal(res.status, 200, JSON.stringify(headers));
    }
  });

  it('refuses other origins with 403 origin_not_allowed, by Origin and by Referer', async () => {
    const other = await createClient({ domain: 'other.test' });
    await api.store.addHostname({ hostname: 'others-shop.example', client_id: other.id, created_at: api.clock.now });
    const refused: Record<string, string>[] = [
      { origin: 'https://evil.test' },
      { origin: 'https://acme.test.evil.test' },
      { origin: 'https://notacme.test' },
      { origin: 'https://other.test' },
      { origin: 'https://others-shop.example' },
      { origin: 'https://sub.acme-shop.example' },
      { origin: 'null' },
      { referer: 'https://evil.test/page' },
      { origin: 'https://evil.test', referer: 'https://acme.test/' },
    ];
    for (const headers of refused) {
      const res = await refusedWithNothingStored(acme, 403, 'origin_not_allowed', () =>
        send(`/e?key=${acme.pk}`, { body: pageview(), headers: { ...headers, 'user-agent': USER_AGENTS.chrome } }),
      );
      if ('origin' in headers) assert.equal(res.headers['access-control-allow-origin'], headers.origin, 'errors are readable by the page too');
    }
  });

  it('accepts any origin for a client with neither domain nor hostnames, and restricts one with hostnames only', async () => {
    const open = await createClient();
    assert.equal((await send(`/e?key=${open.pk}`, { body: pageview(), headers: { origin: 'https://anything.test' } })).status, 200);
    const listed = await createClient();
    await api.store.addHostname({ hostname: 'listed.example', client_id: listed.id, created_at: api.clock.now });
    assert.equal((await send(`/e?key=${listed.pk}`, { body: pageview(), headers: { origin: 'https://listed.example' } })).status, 200);
    await refusedWithNothingStored(listed, 403, 'origin_not_allowed', () =>
      send(`/e?key=${listed.pk}`, { body: pageview(), headers: { origin: 'https://anything.test' } }),
    );
  });

  it('refuses unknown and missing keys with 401, and secret keys on /e', async () => {
    await refusedWithNothingStored(acme, 401, 'unauthorized', () => send(`/e?key=pk_${'0'.repeat(32)}`, { body: pageview() }));
    await refusedWithNothingStored(acme, 401, 'unauthorized', () => send('/e', { body: pageview() }));
    await refusedWithNothingStored(acme, 401, 'unauthorized', () => send(`/e?key=${acme.sk}`, { body: pageview() }));
    await refusedWithNothingStored(acme, 401, 'unauthorized', () => send('/ingest', { body: pageview() }));
    await refusedWithNothingStored(acme, 401, 'unauthorized', () => send('/ingest', { body: pageview(), headers: { authorization: `Bearer sk_${'1'.repeat(32)}` } }));
  });

  it('refuses a deactivated client’s keys with 403 client_inactive', async () => {
    const gone = await createClient();
    assert.equal((await api.request('DELETE', `/api/v1/clients/${gone.id}`)).status, 200);
    await refusedWithNothingStored(gone, 403, 'client_inactive', () => send(`/e?key=${gone.pk}`, { body: pageview() }));
    await refusedWithNothingStored(gone, 403, 'client_inactive', () => send('/batch', { body: pageview(), headers: { authorization: `Bearer ${gone.sk}` } }));
  });

  it('meets an admin API change at once, and a change made by another server within a second', async () => {
    const client = await createClient();
    const sendOne = () => send(`/e?key=${client.pk}`, { body: pageview() });
    assert.equal((await sendOne()).status, 200);
    assert.equal((await api.request('PATCH', `/api/v1/clients/${client.id}`, { body: { status: false } })).status, 200);
    assert.equal((await sendOne()).status, 403, 'the deactivation answered by this server applies to the very next event');
    assert.equal((await api.request('PATCH', `/api/v1/clients/${client.id}`, { body: { status: true } })).status, 200);
    assert.equal((await sendOne()).status, 200);
    // As a second `mythic serve` on the same database would: straight to the store.
    await api.store.updateClient(client.id, { status: false }, api.clock.now);
    assert.equal((await sendOne()).status, 200, 'the key and client looked up a moment ago are reused');
    api.clock.advance(1_000);
    assert.equal((await sendOne()).body.code, 'client_inactive', 'reused for one second at most');
  });

  it('keeps reusing looked-up keys across reports, which are POSTs that change nothing', async () => {
    const client = await createClient();
    const sendOne = () => send(`/e?key=${client.pk}`, { body: pageview() });
    assert.equal((await sendOne()).status, 200);
    await api.store.updateClient(client.id, { status: false }, api.clock.now);
    const report = await api.request('POST', '/api/v1/query', { body: { client_id: client.id, metric: 'events' } });
    assert.equal(report.status, 200);
    // Had the report counted as a change, this event would meet the deactivation at once.
    assert.equal((await sendOne()).status, 200, 'a dashboard’s dozen reports per page do not empty the cache');
  });

  it('accepts a rotated-out publishable key during its grace period, and 401 after it', async () => {
    const client = await createClient();
    const rotated = await api.request<Envelope<{ publishable_key: string }>>('POST', `/api/v1/clients/${client.id}/keys/rotate`, {
      body: { key: 'publishable', grace_seconds: 3600 },
    });
    assert.equal(rotated.status, 200);
    assert.equal((await send(`/e?key=${client.pk}`, { body: pageview() })).status, 200);
    assert.equal((await send(`/e?key=${rotated.body.data.publishable_key}`, { body: pageview() })).status, 200);
    api.clock.advance(HOUR);
    await refusedWithNothingStored(client, 401, 'unauthorized', () => send(`/e?key=${client.pk}`, { body: pageview() }));
    assert.equal((await send(`/e?key=${rotated.body.data.publishable_key}`, { body: pageview() })).status, 200);
  });

  it('keeps a secret key’s backfilled timestamp, and replaces a publishable key’s stale one with the receive time', async () => {
    const old = api.clock.now - 30 * 24 * HOUR;
    const backfill = randomUUID();
    const stale = randomUUID();
    const server = await send('/ingest', { body: pageview({ uuid: backfill, timestamp: old }), headers: { authorization: `Bearer ${acme.sk}` } });
    assert.equal(server.status, 200, JSON.stringify(server.body));
    const browser = await send('/ingest', { body: pageview({ uuid: stale, timestamp: new Date(old).toISOString() }), headers: { authorization: `Bearer ${acme.pk}` } });
    assert.equal(browser.status, 200);
    const events = await stored(acme);
    assert.equal(events.find((e) => e.uuid === backfill)?.timestamp, old);
    assert.equal(events.find((e) => e.uuid === stale)?.timestamp, api.clock.now);
    const future = await refusedWithNothingStored(acme, 400, 'validation_error', () =>
      send('/batch', { body: { batch: [pageview({ timestamp: api.clock.now + HOUR })] }, headers: { authorization: `Bearer ${acme.sk}` } }),
    );
    assert.equal(future.body.details?.[0]?.field, 'batch[0].timestamp');
  });

  it('lets a secret key set the visitor’s IP and user agent, and ignores them from a publishable key', async () => {
    const [fromServer, fromBrowser] = [randomUUID(), randomUUID()];
    const visitor = { $ip: '198.51.100.77', properties: { $current_url: 'https://acme.test/', $user_agent: USER_AGENTS.iphone } };
    await send('/ingest', { body: pageview({ uuid: fromServer, ...visitor }), headers: { authorization: `Bearer ${acme.sk}`, 'user-agent': 'python-requests/2.31' } });
    await send(`/e?key=${acme.pk}`, {
      body: pageview({ uuid: fromBrowser, ...visitor }),
      headers: { 'user-agent': USER_AGENTS.chrome },
      remoteAddress: '203.0.113.5',
    });
    const events = await stored(acme);
    const server = events.find((e) => e.uuid === fromServer);
    assert.equal(server?.ip, '198.51.100.0');
    assert.equal(server?.device_type, 'mobile');
    assert.equal(server?.user_agent, USER_AGENTS.iphone);
    assert.deepEqual(JSON.parse(server?.properties ?? ''), { $current_url: 'https://acme.test/' }, 'never kept raw in properties');
    const browser = events.find((e) => e.uuid === fromBrowser);
    assert.equal(browser?.ip, '203.0.113.0');
    assert.equal(browser?.browser, 'Chrome');
    assert.deepEqual(JSON.parse(browser?.properties ?? ''), { $current_url: 'https://acme.test/' });
  });

  it('does not take a secret-key server’s own address and user agent for the visitor’s', async () => {
    const uuid = randomUUID();
    await send('/batch', { body: { batch: [pageview({ uuid })] }, headers: { authorization: `Bearer ${acme.sk}`, 'user-agent': 'python-requests/2.31' } });
    const event = (await stored(acme)).find((e) => e.uuid === uuid);
    assert.equal(event?.ip, null);
    assert.equal(event?.user_agent, null);
    assert.equal(event?.is_bot, false);
  });

  it('trusts the visitor address and user agent forwarded by the client’s proxy, and 401 for a wrong proxy key', async () => {
    const uuid = randomUUID();
    const res = await send(`/e?key=${acme.pk}`, {
      body: pageview({ uuid }),
      headers: {
        origin: 'https://acme.test',
        'x-mythic-proxy-key': 'proxy-secret-0123456789',
        'x-forwarded-for': '2001:db8:abcd:12:1:2:3:4, 10.0.0.2',
        'user-agent': USER_AGENTS.iphone,
      },
      remoteAddress: '10.0.0.2',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const event = (await stored(acme)).find((e) => e.uuid === uuid);
    assert.equal(event?.ip, '2001:db8:abcd::');
    assert.equal(event?.os, 'iOS');
    await refusedWithNothingStored(acme, 401, 'unauthorized', () =>
      send(`/e?key=${acme.pk}`, { body: pageview(), headers: { 'x-mythic-proxy-key': 'wrong', 'x-forwarded-for': '198.51.100.1' } }),
    );
    const unproxied = await createClient();
    await refusedWithNothingStored(unproxied, 401, 'unauthorized', () =>
      send(`/e?key=${unproxied.pk}`, { body: pageview(), headers: { 'x-mythic-proxy-key': 'anything' } }),
    );
    await refusedWithNothingStored(acme, 400, 'validation_error', () =>
      send(`/e?key=${acme.pk}`, { body: pageview(), headers: { 'x-mythic-proxy-key': 'proxy-secret-0123456789', 'x-forwarded-for': 'unknown' } }),
    );
  });

  it('keeps addresses as the client’s ip_storage says: truncated IPv6, hashed, or not at all', async () => {
    const hashed = await createClient({ ip_storage: 'hashed' });
    const none = await createClient({ ip_storage: 'none' });
    const truncated = await createClient();
    for (const client of [hashed, none, truncated]) {
      const res = await send(`/e?key=${client.pk}`, { body: pageview(), remoteAddress: '2001:db8:1234:5678::9' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    const secret = deriveIpHashSecret(sha256Hex(ADMIN_KEY));
    assert.equal((await stored(hashed))[0]?.ip, hashIp('2001:db8:1234:5678::9', hashed.id, secret));
    assert.match((await stored(hashed))[0]?.ip ?? '', /^[0-9a-f]{32}$/);
    assert.equal((await stored(none))[0]?.ip, null);
    assert.equal((await stored(truncated))[0]?.ip, '2001:db8:1234::');
  });

  it('reads device facts from real user agents, and stores bots flagged', async () => {
    const client = await createClient();
    for (const ua of [USER_AGENTS.chrome, USER_AGENTS.iphone, USER_AGENTS.googlebot]) {
      assert.equal((await send(`/e?key=${client.pk}`, { body: pageview({ properties: { ua } }), headers: { 'user-agent': ua } })).status, 200);
    }
    const byUa = new Map((await stored(client)).map((e) => [JSON.parse(e.properties).ua as string, e]));
    assert.deepEqual(
      [USER_AGENTS.chrome, USER_AGENTS.iphone, USER_AGENTS.googlebot].map((ua) => {
        const e = byUa.get(ua);
        return [e?.browser, e?.os, e?.device_type, e?.is_bot];
      }),
      [
        ['Chrome', 'Windows', 'desktop', false],
        ['Safari', 'iOS', 'mobile', false],
        ['Googlebot', null, 'bot', true],
      ],
    );
  });

  it('links identities from $identify and $create_alias', async () => {
    const client = await createClient();
    const res = await send(`/e?key=${client.pk}`, {
      body: {
        batch: [
          { event: '$pageview', distinct_id: 'anon-1', $device_id: 'anon-1' },
          { event: '$identify', distinct_id: 'user@example.com', $anon_distinct_id: 'anon-1' },
          { event: '$create_alias', distinct_id: 'user@example.com', properties: { alias: 'crm-42' } },
        ],
      },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await api.settled();
    const links = await api.events.identityLinks(client.id);
    assert.deepEqual(
      links.map((l) => [l.distinct_id, l.person_id]).sort(),
      [
        ['anon-1', 'user@example.com'],
        ['crm-42', 'user@example.com'],
      ],
    );
    assert.equal((await stored(client)).length, 3, 'identity events are events too');
  });

  it('answers CORS preflights at once with exactly what the SDK needs, and exposes Retry-After on every answer', async () => {
    for (const url of ['/e', '/batch', '/ingest']) {
      const res = await api.app.inject({
        method: 'OPTIONS',
        url: `${url}?key=pk_unknown`,
        headers: { origin: 'https://anywhere.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');
      assert.equal(res.headers['access-control-allow-origin'], 'https://anywhere.test');
      assert.equal(res.headers.vary, 'Origin');
      assert.equal(res.headers['access-control-allow-methods'], 'POST');
      assert.equal(res.headers['access-control-allow-headers'], 'Content-Type');
      assert.equal(res.headers['access-control-max-age'], '86400');
    }
    // A browser hides Retry-After from a cross-origin script unless it is exposed; the SDK needs it
    // to wait as long as a 429 or 503 asks, so every answer exposes it, refusals included.
    const origin = { origin: 'https://acme.test' };
    const answers = [
      await send(`/e?key=${acme.pk}`, { body: pageview(), headers: origin }),
      await send('/ingest', { body: pageview(), headers: origin }),
      await send(`/e?key=${acme.pk}`, { raw: '{', headers: { ...origin, 'content-type': 'text/plain' } }),
    ];
    assert.deepEqual(answers.map((a) => a.status), [200, 401, 400]);
    for (const answer of answers) assert.equal(answer.headers['access-control-expose-headers'], 'Retry-After');
  });

  it('documents the ingestion endpoints in the OpenAPI document', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const doc = response.json() as { paths: Record<string, Record<string, { tags?: string[] }>>; components: { schemas: Record<string, unknown> } };
    for (const path of ['/e', '/batch', '/ingest']) {
      assert.deepEqual(doc.paths[path]?.post?.tags, ['Ingestion'], path);
      assert.equal(doc.paths[path]?.options, undefined, 'preflights are not part of the API');
    }
    assert.ok(doc.components.schemas.IngestEvent, 'the event schema is described once, as a component');
  });
});

describeEachStoreAndEngine('ingestion limits', (kind, engine) => {
  it('answers 429 with Retry-After beyond the per-address and per-key rates', async () => {
    const { api, send, createClient, stored } = await startIngestApi(kind, {
      ingest: { rateLimits: { perIp: { perSecond: 1, burst: 2 }, perKey: { perSecond: 1, burst: 3 } } },
    }, engine);
    try {
      const client = await createClient();
      const from = (remoteAddress: string) => send(`/e?key=${client.pk}`, { body: pageview(), remoteAddress, headers: { origin: 'https://x.test' } });
      assert.equal((await from('198.51.100.1')).status, 200);
      assert.equal((await from('198.51.100.1')).status, 200);
      const limited = await from('198.51.100.1');
      assert.equal(limited.status, 429);
      assert.equal(limited.body.code, 'rate_limited');
      assert.equal(limited.headers['retry-after'], '1');
      assert.equal(limited.headers['access-control-allow-origin'], 'https://x.test');
      assert.equal(limited.headers['access-control-expose-headers'], 'Retry-After', 'refused before any work, and still readable');
      assert.equal((await from('198.51.100.2')).status, 200, 'another address has its own bucket; the key’s third request');
      const byKey = await from('198.51.100.3');
      assert.equal(byKey.status, 429, 'the key’s fourth request within the second');
      assert.equal(byKey.headers['retry-after'], '1');
      assert.equal((await stored(client)).length, 3);
      api.clock.advance(1000);
      assert.equal((await from('198.51.100.1')).status, 200, 'refilled after a second');
    } finally {
      await api.close();
    }
  });

  it('answers 503 overloaded with Retry-After when the write queue is full, storing nothing of the refused requests', async () => {
    const { api, send, createClient, stored } = await startIngestApi(kind, { writer: { maxQueuedEvents: 1, retryAfterSeconds: 3 } }, engine);
    try {
      const client = await createClient();
      const answers = await Promise.all(Array.from({ length: 10 }, () => send(`/e?key=${client.pk}`, { body: pageview() })));
      const refused = answers.filter((a) => a.status === 503);
      assert.ok(refused.length > 0, 'some requests found the queue full');
      for (const answer of refused) {
        assert.equal(answer.body.code, 'overloaded');
        assert.equal(answer.headers['retry-after'], '3');
      }
      assert.ok(answers.every((a) => a.status === 200 || a.status === 503));
      assert.equal((await stored(client)).length, answers.filter((a) => a.status === 200).length);
    } finally {
      await api.close();
    }
  });
});
