import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { UptimeStatusView } from '../../src/uptime/schemas.js';
import { startApi, type Envelope, type RequestOptions, type TestApi } from '../helpers/api.js';
import { STORE_KINDS } from '../helpers/stores.js';
import { linkRow } from '../helpers/rows.js';

type Status = Envelope<UptimeStatusView>;

// The API's rules are the service's, the same on both stores (the store suite runs both); SQLite keeps this quick.
describe('uptime API', () => {
  let api: TestApi;
  let secretKey: string;
  let otherKey: string;
  before(async () => {
    // No scheduler: these tests read and write settings; test/uptime/scheduler.test.ts runs checks.
    api = await startApi(STORE_KINDS[0]!, { uptime: false });
    const created = await api.request('POST', '/api/v1/clients', { body: { id: 'watched', name: 'Watched' } });
    secretKey = (created.body.data as unknown as { secret_key: string }).secret_key;
    const other = await api.request('POST', '/api/v1/clients', { body: { id: 'other', name: 'Other' } });
    otherKey = (other.body.data as unknown as { secret_key: string }).secret_key;
    await api.store.insertLink(linkRow('lnk_watched00001', 'watched'));
    await api.store.insertLink(linkRow('lnk_nobody000001', null));
    await api.store.insertLink(linkRow('lnk_valid0000001', null));
  });
  after(() => api.close());

  const as = (key: string): RequestOptions => ({ anonymous: true, headers: { authorization: `Bearer ${key}` } });
  const path = (id: string, action: string) => `/api/v1/links/${encodeURIComponent(id)}/uptime/${action}`;
  const start = (id: string, body?: unknown, options: RequestOptions = {}) =>
    api.request<Status>('POST', path(id, 'start'), { ...options, ...(body === undefined ? {} : { body }) });
  const stop = (id: string, options: RequestOptions = {}) => api.request<Status>('POST', path(id, 'stop'), options);
  const status = (id: string, query = '', options: RequestOptions = {}) => api.request<Status>('GET', `${path(id, 'status')}${query}`, options);

  it('answers a link never monitored as unknown and inactive, then starts, re-configures and stops its monitor', async () => {
    const never = await status('lnk_nobody000001');
    assert.equal(never.status, 200, JSON.stringify(never.body));
    assert.deepEqual(never.body.data, {
      link_id: 'lnk_nobody000001',
      status: 'unknown',
      response_time_ms: null,
      last_checked: null,
      monitoring_active: false,
      interval: null,
      timeout: null,
      consecutive_failures: 0,
      last_status_code: null,
      last_error: null,
      next_check: null,
      history: [],
    });

    const started = await start('lnk_nobody000001');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.deepEqual(started.body.data, {
      ...never.body.data,
      monitoring_active: true,
      interval: 300,
      timeout: 30,
      next_check: '2026-03-01T12:00:00.000Z',
    });
    const changed = await start('lnk_nobody000001', { interval: 60, timeout: 60 });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.data.interval, 60);
    assert.equal(changed.body.data.timeout, 60);
    assert.equal((await start('lnk_nobody000001', {})).body.data.interval, 300, 'an empty body means the defaults');

    const stopped = await stop('lnk_nobody000001');
    assert.equal(stopped.status, 200);
    assert.equal(stopped.body.data.monitoring_active, false);
    assert.equal(stopped.body.data.next_check, null);
    assert.equal((await stop('lnk_nobody000001')).status, 200, 'stopping twice changes nothing');
    assert.equal((await status('lnk_nobody000001')).body.data.monitoring_active, false);
  });

  it('refuses bad settings with a 400 naming the field, and changes nothing', async () => {
    await start('lnk_valid0000001', { interval: 600, timeout: 20 });
    const before = await api.store.getMonitor('lnk_valid0000001');
    for (const [body, field] of [
      [{ interval: 59 }, 'interval'],
      [{ interval: 86_401 }, 'interval'],
      [{ interval: 120.5 }, 'interval'],
      [{ interval: '300' }, 'interval'],
      [{ timeout: 0 }, 'timeout'],
      [{ timeout: 61 }, 'timeout'],
      [{ interval: 300, every: 5 }, 'every'],
    ] as const) {
      const refused = await start('lnk_valid0000001', body);
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.ok(['validation_error', 'unknown_field'].includes(refused.body.code ?? ''), JSON.stringify(refused.body));
      assert.ok(refused.body.details?.some((d) => d.field.includes(field)), JSON.stringify(refused.body.details));
    }
    const bad = await api.request('POST', path('lnk_valid0000001', 'start'), { raw: '{"interval":', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 400);
    assert.equal((await status('lnk_valid0000001', '?limit=501')).status, 400);
    assert.equal((await status('lnk_valid0000001', '?limit=-1')).status, 400);
    assert.deepEqual(await api.store.getMonitor('lnk_valid0000001'), before);
  });

  it('404s an unknown link on every route, and creates no monitor for it', async () => {
    for (const res of [await start('lnk_missing00001'), await stop('lnk_missing00001'), await status('lnk_missing00001')]) {
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'not_found');
      assert.match(res.body.error ?? '', /lnk_missing00001/);
    }
    assert.equal(await api.store.getMonitor('lnk_missing00001'), null);
  });

  it('takes the sk_ of the link’s client for its own links; another client’s link or a link of no client is a 404', async () => {
    const own = await start('lnk_watched00001', { interval: 120 }, as(secretKey));
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal((await status('lnk_watched00001', '', as(secretKey))).body.data.interval, 120);
    assert.equal((await stop('lnk_watched00001', as(secretKey))).body.data.monitoring_active, false);
    for (const res of [
      await start('lnk_watched00001', {}, as(otherKey)),
      await status('lnk_watched00001', '', as(otherKey)),
      await stop('lnk_nobody000001', as(secretKey)),
      await status('lnk_missing00001', '', as(secretKey)),
    ]) {
      assert.equal(res.status, 404, JSON.stringify(res.body));
    }
    assert.equal((await api.store.getMonitor('lnk_watched00001'))?.active, false, 'the other client changed nothing');
    assert.equal((await status('lnk_watched00001', '', as('sk_not_a_key'))).status, 401);
    assert.equal((await status('lnk_watched00001', '', { anonymous: true })).status, 401);
  });
});
