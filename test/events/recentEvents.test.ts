import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { RecentEventView } from '../../src/events/schemas.js';
import { startApi, type Envelope, type TestApi } from '../helpers/api.js';
import { storedEvent } from '../helpers/events.js';
import { describeEachStoreAndEngine } from '../helpers/engines.js';

describeEachStoreAndEngine('recent events (live debugger) and hard delete', (kind, engine) => {
  let api: TestApi;
  let n = 0;
  before(async () => {
    api = await startApi(kind, {}, engine);
  });
  after(async () => api.close());

  async function newClient() {
    n += 1;
    const res = await api.request('POST', '/api/v1/clients', { body: { id: `debug-${n}`, name: `Debug ${n}` } });
    assert.equal(res.status, 201);
    return res.body.data as { id: string; publishable_key: string; secret_key: string };
  }
  const recent = (id: string, query = '', headers?: Record<string, string>) =>
    api.request<Envelope<RecentEventView[]>>('GET', `/api/v1/clients/${id}/events${query}`, headers ? { anonymous: true, headers } : {});

  it('lists the client’s events newest first, as ISO times and parsed properties', async () => {
    const c = await newClient();
    const base = Date.parse('2026-03-01T10:00:00.000Z');
    await api.events.append(
      [0, 1, 2].map((i) => storedEvent({ client_id: c.id, event: `step-${i}`, received_at: base + i * 1000, properties: JSON.stringify({ i }) })),
      [],
    );
    const res = await recent(c.id, '?limit=2');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data.map((e) => e.event), ['step-2', 'step-1']);
    assert.equal(res.body.count, 2);
    assert.equal(res.body.data[0]!.received_at, '2026-03-01T10:00:02.000Z');
    assert.deepEqual(res.body.data[0]!.properties, { i: 2 });
    assert.equal(res.body.data[0]!.$session_id, 'session-1');
    const newer = await recent(c.id, `?after=${encodeURIComponent('2026-03-01T10:00:00.000Z')}`);
    assert.deepEqual(newer.body.data.map((e) => e.event), ['step-2', 'step-1']);
  });

  it('accepts the client’s own secret key, and refuses another client’s secret and any publishable key', async () => {
    const mine = await newClient();
    const other = await newClient();
    await api.events.append([storedEvent({ client_id: mine.id })], []);
    const own = await recent(mine.id, '', { authorization: `Bearer ${mine.secret_key}` });
    assert.equal(own.status, 200);
    assert.equal(own.body.data.length, 1);
    const viaQuery = await recent(mine.id, `?admin_key=${mine.secret_key}`, {});
    assert.equal(viaQuery.status, 200);
    const foreign = await recent(mine.id, '', { authorization: `Bearer ${other.secret_key}` });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.code, 'forbidden');
    const publishable = await recent(mine.id, '', { authorization: `Bearer ${mine.publishable_key}` });
    assert.equal(publishable.status, 401);
    const forged = await recent(mine.id, '', { authorization: `Bearer sk_${'0'.repeat(32)}` });
    assert.equal(forged.status, 401);
    // A secret key opens only this route: the rest of the admin API still wants the admin key.
    const elsewhere = await api.request('GET', `/api/v1/clients/${mine.id}`, { anonymous: true, headers: { authorization: `Bearer ${mine.secret_key}` } });
    assert.equal(elsewhere.status, 401);
  });

  it('answers 404 for an unknown client and 400 for bad paging', async () => {
    assert.equal((await recent('no-such-client')).status, 404);
    const c = await newClient();
    for (const query of ['?limit=0', '?limit=501', '?after=yesterday', '?colour=red']) {
      const res = await recent(c.id, query);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.success, false);
    }
  });

  it('removes the client’s events and identity links on hard delete, and keeps them on soft delete', async () => {
    const soft = await newClient();
    const hard = await newClient();
    for (const c of [soft, hard]) {
      await api.events.append([storedEvent({ client_id: c.id })], [{ client_id: c.id, distinct_id: 'anon', person_id: 'user', created_at: 1 }]);
    }
    assert.equal((await api.request('DELETE', `/api/v1/clients/${soft.id}`)).status, 200);
    assert.equal((await api.request('DELETE', `/api/v1/clients/${hard.id}?hard=true`)).status, 200);
    assert.equal((await api.events.recentEvents(soft.id, { limit: 5 })).length, 1);
    assert.equal((await api.events.recentEvents(hard.id, { limit: 5 })).length, 0);
    assert.equal((await api.events.identityLinks(hard.id)).length, 0);
    assert.equal((await api.events.identityLinks(soft.id)).length, 1);
  });
});
