import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startApi, suiteApi, type Envelope, type TestApi } from '../helpers/api.js';
import { describeEachStoreAndEngine } from '../helpers/engines.js';
import { funnel, insert, isoDateTime, query, view, type QueryReply } from './support.js';
import type { ApiError } from '../../src/http/apiError.js';
import { KeysService } from '../../src/keys/service.js';
import { authorizeRead } from '../../src/keys/readAccess.js';
import type { QueryResultView } from '../../src/query/schemas.js';

interface Created {
  id: string;
  publishable_key: string;
  secret_key: string;
}

const SEED = process.env.MYTHIC_FUZZ_SEED ? Number(process.env.MYTHIC_FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);

describeEachStoreAndEngine('query API: the three doors', (kind, engine) => {
  const { api } = suiteApi(kind, 'doors', engine);
  let mine: Created;
  let theirs: Created;
  let n = 0;
  const create = async (): Promise<Created> => {
    n += 1;
    const res = await api().request('POST', '/api/v1/clients', { body: { id: `doors-${n}`, name: `Doors ${n}` } });
    assert.equal(res.status, 201);
    return res.body.data as unknown as Created;
  };
  const publicQuery = (body: Record<string, unknown>, headers: Record<string, string>): Promise<QueryReply> =>
    api().request<Envelope<QueryResultView>>('POST', '/api/v1/public/query', { body, anonymous: true, headers });
  const views = (client: string, body: Record<string, unknown> = {}) => ({ client_id: client, metric: 'page_views', ...body });

  before(async () => {
    mine = await create();
    theirs = await create();
    await insert(api(), mine.id, [view('2026-02-28T10:00:00Z', '/mine')]);
    await insert(api(), theirs.id, [view('2026-02-28T10:00:00Z', '/theirs'), view('2026-02-28T10:01:00Z', '/theirs')]);
  });

  it('lets a publishable key read its own client, and nothing else whatever the body says', async () => {
    const own = await publicQuery(views(mine.id, { dimensions: ['path'] }), { 'x-publishable-key': mine.publishable_key });
    assert.equal(own.status, 200);
    assert.deepEqual(own.body.data.rows, [['/mine', 1]]);
    for (const client of [theirs.id, 'no-such-client']) {
      const res = await publicQuery(views(client), { 'x-publishable-key': mine.publishable_key });
      assert.equal(res.status, 403, client);
      assert.equal(res.body.code, 'forbidden');
    }
  });

  it('refuses the public door without a current publishable key', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { 'x-publishable-key': '' },
      { 'x-publishable-key': mine.secret_key },
      { 'x-publishable-key': `pk_${'0'.repeat(32)}` },
      { 'x-publishable-key': 'not a key' },
      // The admin key opens the admin door, not this one.
      { authorization: 'Bearer mk_test_0123456789abcdef0123456789abcdef' },
    ];
    for (const headers of attempts) {
      const res = await publicQuery(views(mine.id), headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.body.code, 'unauthorized');
    }
  });

  it('lets a secret key read its own client only; the admin key reads any', async () => {
    const own = await query(api(), views(mine.id), { authorization: `Bearer ${mine.secret_key}` });
    assert.equal(own.status, 200);
    assert.deepEqual(own.body.data.rows, [[1]]);
    for (const client of [theirs.id, 'no-such-client']) {
      const res = await query(api(), views(client), { authorization: `Bearer ${mine.secret_key}` });
      assert.equal(res.status, 403, client);
      assert.equal(res.body.code, 'forbidden');
      const f = await funnel(api(), { client_id: client, steps: [{ path: '/a' }, { path: '/b' }] }, { authorization: `Bearer ${mine.secret_key}` });
      assert.equal(f.status, 403);
    }
    const admin = await query(api(), views(theirs.id));
    assert.deepEqual(admin.body.data.rows, [[2]]);
    assert.equal((await query(api(), views('no-such-client'))).status, 404);
    for (const authorization of [`Bearer ${mine.publishable_key}`, `Bearer sk_${'0'.repeat(32)}`, 'Bearer wrong', 'Basic x']) {
      assert.equal((await query(api(), views(mine.id), { authorization })).status, 401, authorization);
      assert.equal((await funnel(api(), { client_id: mine.id, steps: [{ path: '/a' }, { path: '/b' }] }, { authorization })).status, 401);
    }
  });

  it('refuses keys rotated out, and a deactivated client’s keys with 403 (the admin still reads)', async () => {
    const client = await create();
    const rotated = await api().request('POST', `/api/v1/clients/${client.id}/keys/rotate`, { body: { key: 'both', grace_seconds: 0 } });
    assert.equal(rotated.status, 200);
    assert.equal((await publicQuery(views(client.id), { 'x-publishable-key': client.publishable_key })).status, 401);
    assert.equal((await query(api(), views(client.id), { authorization: `Bearer ${client.secret_key}` })).status, 401);
    const fresh = rotated.body.data as unknown as { publishable_key: string; secret_key: string };
    assert.equal((await publicQuery(views(client.id), { 'x-publishable-key': fresh.publishable_key })).status, 200);
    assert.equal((await api().request('DELETE', `/api/v1/clients/${client.id}`)).status, 200);
    const pk = await publicQuery(views(client.id), { 'x-publishable-key': fresh.publishable_key });
    assert.equal(pk.status, 403);
    assert.equal(pk.body.code, 'client_inactive');
    const sk = await query(api(), views(client.id), { authorization: `Bearer ${fresh.secret_key}` });
    assert.equal(sk.status, 403);
    assert.equal(sk.body.code, 'client_inactive');
    assert.equal((await query(api(), views(client.id))).status, 200);
  });

  it('answers CORS on the public door', async () => {
    const res = await publicQuery(views(mine.id), { 'x-publishable-key': mine.publishable_key, origin: 'https://customer.example' });
    assert.equal(res.headers['access-control-allow-origin'], 'https://customer.example');
    const preflight = await api().app.inject({
      method: 'OPTIONS',
      url: '/api/v1/public/query',
      headers: { origin: 'https://customer.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-publishable-key' },
    });
    assert.equal(preflight.statusCode, 204);
    assert.match(String(preflight.headers['access-control-allow-headers']), /X-Publishable-Key/i);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://customer.example');
  });

  it('answers malformed bodies with 4xx, never a 500, and changes nothing', async () => {
    const before = (await api().events.recentEvents(mine.id, { limit: 1000 })).length;
    const anything = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string(), fc.constantFrom('\u0000', '', '__proto__', '2026-02-30', 'day', 'page_views'));
    const metricish = fc.oneof(fc.constantFrom('page_views', 'unique_visitors', 'bounce_rate', 'conversions', 'nope'), anything);
    const dimensionish = fc.oneof(fc.constantFrom('day', 'hour', 'path', 'entry_path', 'week'), anything);
    // Date-times as ISO-8601 allows and as it does not: any instant with Z or any offset, and
    // near misses (no offset, hour 24, a leap second, before 1970, the far future).
    const isoWithOffset = isoDateTime(new Date('1960-01-01T00:00:00Z'), new Date('9999-12-31T23:59:59Z'));
    const dateTimeish = fc.oneof(
      isoWithOffset,
      fc.constantFrom(
        '2024-12-25T10:00:00Z',
        '2024-12-25T10:00:00',
        '2024-12-25T24:00:00Z',
        '2024-12-25T23:59:60Z',
        '2024-12-25T10:00:00+24:00',
        '2024-12-25T10:00:00.1234567890Z',
        '1969-12-31T23:59:59Z',
        '9999-12-31T23:59:59-23:59',
        '2026-02-30T00:00:00Z',
      ),
    );
    const body = fc.record(
      {
        client_id: fc.oneof(fc.constant(mine.id), fc.constant(theirs.id), anything),
        metric: metricish,
        metrics: fc.oneof(fc.array(metricish, { maxLength: 9 }), anything),
        conversion_event: anything,
        dimensions: fc.oneof(fc.array(dimensionish, { maxLength: 4 }), anything),
        filters: fc.oneof(fc.dictionary(fc.constantFrom('path', 'url_contains', 'include_bots', 'browser', 'x'), anything), anything),
        period: fc.oneof(fc.constantFrom('today', '24h', '7d', 'custom', '12mo'), anything),
        from: fc.oneof(fc.constantFrom('2026-02-01', '2026-13-01', '2026-02-30', '0000-01-01', '9999-12-31'), dateTimeish, anything),
        to: fc.oneof(fc.constantFrom('2026-02-01', '2026-03-01', '9999-12-31'), dateTimeish, anything),
        compare: fc.oneof(fc.constant('previous_period'), anything),
        order_by: fc.oneof(fc.array(fc.record({ column: dimensionish, direction: anything }, { requiredKeys: [] }), { maxLength: 3 }), anything),
        limit: fc.oneof(fc.integer({ min: -5, max: 20_000 }), anything),
        steps: fc.oneof(fc.array(fc.oneof(fc.record({ event: anything }), fc.record({ path: anything }), anything), { maxLength: 9 }), anything),
        window_seconds: fc.oneof(fc.integer({ min: 0, max: 10_000_000 }), anything),
      },
      { requiredKeys: [] },
    );
    const publicDoor = '/api/v1/public/query';
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('/api/v1/query', '/api/v1/query/funnel', publicDoor), async (b, url) => {
        let res;
        if (url === publicDoor) {
          // A second per request keeps the per-address rate limit from answering in the body's place.
          api().clock.advance(1000);
          res = await api().request('POST', url, { body: b, anonymous: true, headers: { 'x-publishable-key': mine.publishable_key } });
          assert.notEqual(res.status, 429);
        } else {
          res = await api().request('POST', url, { body: b });
        }
        assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), `${res.status} ${JSON.stringify(b)} → ${JSON.stringify(res.body)}`);
        if (res.status !== 200) assert.equal(res.body.success, false);
      }),
      { numRuns: 300, seed: SEED },
    );
    assert.equal((await api().events.recentEvents(mine.id, { limit: 1000 })).length, before);
  });
});

describe('query API: each door says how to present its key', () => {
  let api: TestApi;
  before(async () => {
    const [sqlite] = (await import('../helpers/stores.js')).STORE_KINDS;
    api = await startApi(sqlite!);
  });
  after(async () => api.close());

  it('names the secret key on the secret door, the publishable key on the public one', async () => {
    const keys = new KeysService(api.store, api.clock.read);
    await assert.rejects(authorizeRead(keys, { door: 'secret', key: '' }, 'any'), (error: ApiError) => {
      assert.equal(error.status, 401);
      assert.match(error.message, /secret key as Authorization: Bearer/);
      assert.doesNotMatch(error.message, /Publishable/i);
      return true;
    });
    await assert.rejects(authorizeRead(keys, { door: 'publishable', key: undefined }, 'any'), /X-Publishable-Key/);
  });
});

describe('query API: the public door is rate limited per address', () => {
  let api: TestApi;
  before(async () => {
    const [sqlite] = (await import('../helpers/stores.js')).STORE_KINDS;
    api = await startApi(sqlite!, { publicQueryRateLimit: { perSecond: 1, burst: 2 } });
  });
  after(async () => api.close());

  it('answers 429 with Retry-After past the burst', async () => {
    const created = await api.request('POST', '/api/v1/clients', { body: { id: 'limited', name: 'Limited' } });
    const pk = created.body.data.publishable_key as string;
    const ask = () => api.request('POST', '/api/v1/public/query', { body: { client_id: 'limited', metric: 'events' }, anonymous: true, headers: { 'x-publishable-key': pk } });
    assert.equal((await ask()).status, 200);
    assert.equal((await ask()).status, 200);
    const refused = await ask();
    assert.equal(refused.status, 429);
    assert.equal(refused.body.code, 'rate_limited');
    assert.equal(refused.headers['retry-after'], '1');
    api.clock.advance(1000);
    assert.equal((await ask()).status, 200);
  });

  it('allows a page a burst of 20 and 5 a second by default', async () => {
    const [sqlite] = (await import('../helpers/stores.js')).STORE_KINDS;
    const defaults = await startApi(sqlite!);
    try {
      const created = await defaults.request('POST', '/api/v1/clients', { body: { id: 'default-limit', name: 'Default' } });
      const pk = created.body.data.publishable_key as string;
      const ask = () => defaults.request('POST', '/api/v1/public/query', { body: { client_id: 'default-limit', metric: 'events' }, anonymous: true, headers: { 'x-publishable-key': pk } });
      for (let i = 0; i < 20; i += 1) assert.equal((await ask()).status, 200, `request ${i + 1}`);
      assert.equal((await ask()).status, 429);
      defaults.clock.advance(1000);
      for (let i = 0; i < 5; i += 1) assert.equal((await ask()).status, 200, `refill ${i + 1}`);
      assert.equal((await ask()).status, 429);
    } finally {
      await defaults.close();
    }
  });
});
