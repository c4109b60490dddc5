// Pub/Sub over HTTP, in process, on both MetaStores (the leases, counts and dead letters are SQL
// of each store) with DuckDB. Events are appended to the engine directly, with the received_at a
// test needs; the clock of Pub/Sub (leases, deadlines, retention) is moved by hand.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { McpKeyView } from '../../src/mcp/schemas.js';
import type { CreatedSubscriptionView, DeadLetterView, ReceivedMessageView, SubscriptionView } from '../../src/pubsub/schemas.js';
import { startApi, type AppOverrides, type Envelope, type TestApi } from '../helpers/api.js';
import { storedEvent } from '../helpers/events.js';
import { STORE_KINDS } from '../helpers/stores.js';
import { callTool, textOf } from '../mcp/support.js';
import { Receiver, signatureValid } from '../webhooks/receiver.js';

const BASE = '/api/v1/admin/pubsub/subscriptions';
const DAY = 24 * 60 * 60 * 1000;
const SQLITE = STORE_KINDS.find((k) => k.name === 'sqlite') as (typeof STORE_KINDS)[number];

/** The app under test, its Pub/Sub clock (real time plus a skew the test moves) and helpers. */
function pubsubSuite(kind: (typeof STORE_KINDS)[number], feeder: { stageWindow?: number; maxBacklog?: number } = {}, overrides: AppOverrides = {}) {
  let api: TestApi | undefined;
  let skew = 0;
  const now = (): number => Date.now() + skew;
  let names = 0;
  before(async () => {
    const started = await startApi(kind, { logLevel: 'error', ...overrides, pubsub: { now, feeder, ...overrides.pubsub } });
    api = started;
    for (const id of ['ps-a', 'ps-b']) {
      const res = await started.request('POST', '/api/v1/clients', { body: { id, name: id } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
  });
  after(async () => {
    assert.ok(the().contract.checked > 0);
    await the().close();
  });
  const the = (): TestApi => {
    if (api === undefined) throw new Error('used before the suite started');
    return api;
  };
  const create = async (body: Record<string, unknown> = {}): Promise<CreatedSubscriptionView> => {
    names += 1;
    const res = await the().request<Envelope<CreatedSubscriptionView>>('POST', BASE, { body: { name: `sub-${names}`, type: 'pull', ...body } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data;
  };
  /** Stores events in the engine: one per name, for `client`, received now (Pub/Sub's now) unless told. */
  const publish = async (client: string, events: string[], receivedAt = now()): Promise<string[]> => {
    const rows = events.map((event) => storedEvent({ client_id: client, event, uuid: randomUUID(), received_at: receivedAt, timestamp: receivedAt }));
    await the().events.append(rows, []);
    return rows.map((row) => `${client}:${row.uuid}`);
  };
  const pull = async (id: string, max = 10): Promise<ReceivedMessageView[]> => {
    const res = await the().request<Envelope<{ received_messages: ReceivedMessageView[] }>>('POST', `${BASE}/${id}/pull`, { body: { max_messages: max } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data.received_messages;
  };
  const ack = async (id: string, ackIds: string[]): Promise<number> => {
    const res = await the().request<Envelope<{ acknowledged: number }>>('POST', `${BASE}/${id}/acknowledge`, { body: { ack_ids: ackIds } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data.acknowledged;
  };
  const get = async (id: string): Promise<SubscriptionView> => {
    const res = await the().request<Envelope<SubscriptionView>>('GET', `${BASE}/${id}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data;
  };
  return { api: the, create, publish, pull, ack, get, advance: (ms: number) => (skew += ms), now };
}

// SQLite only: the store's SQL (leases, ordering, dead letters, counts) runs on both stores in
// test/store/pubsubStore.test.ts, and over HTTP on PostgreSQL in twoNodes.test.ts.
describe('Pub/Sub over HTTP', () => {
  const s = pubsubSuite(SQLITE);

  it('delivers the events stored after creation, as stored, with a message_id to dedupe on; acknowledged ones are done', async () => {
    await s.publish('ps-a', ['before']);
    const sub = await s.create();
    assert.match(sub.id, /^sub_[0-9A-Za-z]{12}$/);
    assert.equal(sub.topic, 'analytics.events');
    assert.equal(sub.ack_deadline_seconds, 60);
    assert.equal(sub.max_delivery_attempts, 5);
    assert.deepEqual(sub.filter, { client_ids: null, events: null });
    assert.equal(sub.push, null);
    assert.ok(!('push_secret' in sub));
    const ids = [...(await s.publish('ps-a', ['one', 'two'])), ...(await s.publish('ps-b', ['three']))];
    const messages = await s.pull(sub.id);
    assert.deepEqual(messages.map((m) => m.message_id), ids, 'only what came after creation, in commit order');
    const first = messages[0]!;
    assert.equal(first.delivery_attempt, 1);
    assert.equal(first.client_id, 'ps-a');
    assert.equal(first.event.client_id, 'ps-a');
    assert.equal(first.event.event, 'one');
    assert.equal(first.event.browser, 'Chrome', 'the enriched event');
    assert.equal(first.message_id, `ps-a:${first.event.uuid}`);
    assert.match(first.ack_id, /^[A-Za-z0-9_-]{24,}$/);
    assert.equal(new Set(messages.map((m) => m.ack_id)).size, 3);
    const leased = await s.get(sub.id);
    assert.equal(leased.backlog.in_flight, 3);
    assert.equal(leased.backlog.messages, 0);
    assert.equal(await s.ack(sub.id, messages.map((m) => m.ack_id)), 3);
    assert.equal(await s.ack(sub.id, [first.ack_id]), 0, 'acknowledging twice counts once');
    assert.deepEqual(await s.pull(sub.id), []);
    const done = await s.get(sub.id);
    assert.deepEqual(
      { ...done.backlog },
      { messages: 0, in_flight: 0, dead_letters: 0, oldest_unacked_at: null, lag_seconds: null, dropped_messages: 0 },
    );
  });

  it('an unacknowledged message comes back after its deadline with the next attempt and a new ack id; the old ack id acknowledges nothing', async () => {
    const sub = await s.create({ ack_deadline_seconds: 10 });
    await s.publish('ps-a', ['late']);
    const [first] = await s.pull(sub.id);
    assert.equal(first?.delivery_attempt, 1);
    assert.deepEqual(await s.pull(sub.id), [], 'leased: not handed to another puller');
    s.advance(9_000);
    assert.deepEqual(await s.pull(sub.id), [], 'still inside its deadline');
    s.advance(2_000);
    const [second] = await s.pull(sub.id);
    assert.equal(second?.message_id, first.message_id);
    assert.equal(second?.delivery_attempt, 2);
    assert.notEqual(second?.ack_id, first.ack_id);
    assert.equal(await s.ack(sub.id, [first.ack_id]), 0);
    // modify-ack-deadline 0 gives it back at once; a longer one keeps it.
    const res = await s.api().request<Envelope<{ modified: number }>>('POST', `${BASE}/${sub.id}/modify-ack-deadline`, {
      body: { ack_ids: [second!.ack_id], ack_deadline_seconds: 0 },
    });
    assert.equal(res.body.data.modified, 1);
    const [third] = await s.pull(sub.id);
    assert.equal(third?.delivery_attempt, 3);
    await s.api().request('POST', `${BASE}/${sub.id}/modify-ack-deadline`, { body: { ack_ids: [third!.ack_id], ack_deadline_seconds: 600 } });
    s.advance(60_000);
    assert.deepEqual(await s.pull(sub.id), [], 'the extended deadline holds');
    assert.equal(await s.ack(sub.id, [third!.ack_id]), 1);
  });

  it('after max_delivery_attempts a message goes to the dead letters, which list and replay from attempt 0', async () => {
    const sub = await s.create({ ack_deadline_seconds: 10, max_delivery_attempts: 2 });
    const [id] = await s.publish('ps-b', ['poison']);
    assert.equal((await s.pull(sub.id))[0]?.delivery_attempt, 1);
    s.advance(11_000);
    assert.equal((await s.pull(sub.id))[0]?.delivery_attempt, 2);
    s.advance(11_000);
    assert.deepEqual(await s.pull(sub.id), [], 'its last attempt expired: dead, not delivered');
    const dead = await s.api().request<Envelope<DeadLetterView[]>>('GET', `${BASE}/${sub.id}/dead-letters`);
    assert.equal(dead.status, 200);
    assert.equal(dead.body.count, 1);
    assert.equal(dead.body.data[0]?.message_id, id);
    assert.equal(dead.body.data[0]?.delivery_attempt, 2);
    assert.equal(dead.body.data[0]?.event.event, 'poison');
    assert.equal((await s.get(sub.id)).backlog.dead_letters, 1);
    // Without a body: every dead letter.
    const replay = await s.api().request<Envelope<{ replayed: number }>>('POST', `${BASE}/${sub.id}/dead-letters/replay`);
    assert.equal(replay.body.data.replayed, 1);
    const bare = await s.api().request<Envelope<{ received_messages: ReceivedMessageView[] }>>('POST', `${BASE}/${sub.id}/pull`);
    assert.equal(bare.status, 200, 'a pull without a body takes the defaults');
    const [again] = bare.body.data.received_messages;
    assert.equal(again?.message_id, id);
    assert.equal(again?.delivery_attempt, 1);
    assert.equal(await s.ack(sub.id, [again!.ack_id]), 1);
    assert.equal((await s.get(sub.id)).backlog.dead_letters, 0);
  });

  it('a paused subscription keeps its backlog and says how far behind it is; resumed, it delivers it', async () => {
    const sub = await s.create();
    const paused = await s.api().request<Envelope<SubscriptionView>>('POST', `${BASE}/${sub.id}/pause`);
    assert.equal(paused.body.data.state, 'paused');
    const ids = await s.publish('ps-a', ['p1', 'p2', 'p3'], s.now() - 30_000);
    const refused = await s.api().request('POST', `${BASE}/${sub.id}/pull`, { body: {} });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'conflict');
    assert.match(refused.body.error ?? '', /subscription is paused/);
    const behind = await s.get(sub.id);
    assert.equal(behind.backlog.messages, 3);
    assert.equal(behind.backlog.in_flight, 0);
    assert.ok(behind.backlog.lag_seconds !== null && behind.backlog.lag_seconds >= 30, JSON.stringify(behind.backlog));
    assert.ok(behind.backlog.oldest_unacked_at !== null);
    const resumed = await s.api().request<Envelope<SubscriptionView>>('POST', `${BASE}/${sub.id}/resume`);
    assert.equal(resumed.body.data.state, 'active');
    const messages = await s.pull(sub.id);
    assert.deepEqual(messages.map((m) => m.message_id), ids);
    const leased = await s.get(sub.id);
    assert.equal(leased.backlog.messages, 0);
    assert.equal(leased.backlog.in_flight, 3);
  });

  it('filters by client and by event name', async () => {
    const sub = await s.create({ filter: { client_ids: ['ps-a'], events: ['signup', 'purchase'] } });
    assert.deepEqual(sub.filter, { client_ids: ['ps-a'], events: ['signup', 'purchase'] });
    const [signup, , purchase] = await s.publish('ps-a', ['signup', '$pageview', 'purchase']);
    await s.publish('ps-b', ['signup']);
    assert.deepEqual((await s.pull(sub.id)).map((m) => m.message_id), [signup, purchase]);
    assert.equal((await s.get(sub.id)).backlog.messages, 0);
  });

  it('a client id deleted and created again is a new client: the old MCP key and subscription filter no longer name it', async () => {
    const api = s.api();
    assert.equal((await api.request('POST', '/api/v1/clients', { body: { id: 'ps-reused', name: 'first life' } })).status, 201);
    const made = await api.request<Envelope<McpKeyView & { key: string }>>('POST', '/api/v1/mcp/api-keys', {
      body: { name: 'reused', scopes: ['tools:read', 'tools:execute'], client_ids: ['ps-reused'] },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const sub = await s.create({ filter: { client_ids: ['ps-reused'] } });
    assert.equal((await api.request('DELETE', '/api/v1/clients/ps-reused?hard=true')).status, 200);
    assert.equal((await api.request('POST', '/api/v1/clients', { body: { id: 'ps-reused', name: 'second life' } })).status, 201);
    await s.publish('ps-reused', ['signup']);
    assert.deepEqual(await s.pull(sub.id), [], 'the subscription does not receive the new client’s events');
    assert.deepEqual((await s.get(sub.id)).filter.client_ids, [], 'no client, not every client');
    const key = await api.request<Envelope<McpKeyView>>('GET', `/api/v1/mcp/api-keys/${made.body.data.id}`);
    assert.deepEqual(key.body.data.client_ids, []);
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
    const refused = await callTool(base, made.body.data.key, 'recent_events', { client_id: 'ps-reused' });
    assert.equal(refused.isError, true);
    assert.equal(textOf(refused), "forbidden: This MCP key may not read client 'ps-reused'");
    const listed = await callTool(base, made.body.data.key, 'list_clients', {});
    assert.deepEqual((listed.structuredContent as { clients: unknown[] }).clients, []);
  });

  it('hands one client’s messages out in order, to one holder at a time', async () => {
    const sub = await s.create();
    const [a1, a2, a3] = await s.publish('ps-a', ['a1', 'a2', 'a3']);
    const [b1] = await s.publish('ps-b', ['b1']);
    const first = await s.pull(sub.id, 1);
    assert.deepEqual(first.map((m) => m.message_id), [a1]);
    const second = await s.pull(sub.id, 10);
    assert.deepEqual(second.map((m) => m.message_id), [b1], 'a2 waits while a1 is held');
    assert.equal(await s.ack(sub.id, [first[0]!.ack_id]), 1);
    const third = await s.pull(sub.id, 10);
    assert.deepEqual(third.map((m) => m.message_id), [a2, a3]);
  });

  it('retention: events and staged messages older than 7 days are dropped and counted', async () => {
    const sub = await s.create();
    await s.publish('ps-a', ['old1', 'old2'], s.now() - 8 * DAY);
    const [fresh] = await s.publish('ps-a', ['fresh']);
    const got = await s.pull(sub.id);
    assert.deepEqual(got.map((m) => m.message_id), [fresh]);
    assert.equal((await s.get(sub.id)).backlog.dropped_messages, 2);
    // Staged (one leased, one waiting behind it), then 7 days pass unacknowledged.
    await s.publish('ps-a', ['x1', 'x2']);
    assert.equal(await s.ack(sub.id, [got[0]!.ack_id]), 1);
    assert.equal((await s.pull(sub.id, 1)).length, 1);
    s.advance(7 * DAY + 60_000);
    assert.deepEqual(await s.pull(sub.id), []);
    const after = await s.get(sub.id);
    assert.equal(after.backlog.dropped_messages, 4);
    assert.equal(after.backlog.in_flight + after.backlog.messages, 0);
  });

  it('list, get and delete; push subscriptions answer their secret once; rotate-secret is for push only', async () => {
    const pull = await s.create();
    const push = await s.create({ type: 'push', push_endpoint: 'https://collector.example.com/mythic', ack_deadline_seconds: 30 });
    assert.match(push.push_secret ?? '', /^whsec_[0-9A-Za-z]{32}$/);
    assert.equal(push.push_endpoint, 'https://collector.example.com/mythic');
    assert.deepEqual(push.push, { last_status: null, last_error: null, last_attempt_at: null, next_attempt_at: null, consecutive_failures: 0 });
    const row = await s.api().store.getSubscription(push.id);
    assert.ok(row?.push_secret_sealed && !row.push_secret_sealed.includes((push.push_secret ?? '').slice(6)), 'stored sealed');
    const listed = await s.api().request<Envelope<SubscriptionView[]>>('GET', `${BASE}?limit=2`);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.data.map((x) => x.id), [push.id, pull.id], 'newest first');
    assert.ok(!JSON.stringify(listed.body).includes('whsec_'));
    assert.ok(typeof listed.body.next_cursor === 'string');
    const rotated = await s.api().request<Envelope<CreatedSubscriptionView>>('POST', `${BASE}/${push.id}/rotate-secret`);
    assert.equal(rotated.status, 200);
    assert.match(rotated.body.data.push_secret ?? '', /^whsec_/);
    assert.notEqual(rotated.body.data.push_secret, push.push_secret);
    assert.equal((await s.api().request('POST', `${BASE}/${pull.id}/rotate-secret`)).status, 400);
    assert.equal((await s.api().request('POST', `${BASE}/${push.id}/pull`, { body: {} })).status, 400, 'a push subscription is not pulled');
    const deleted = await s.api().request('DELETE', `${BASE}/${push.id}`);
    assert.deepEqual(deleted.body, { success: true, deleted: push.id });
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['DELETE', '', undefined],
      ['POST', '/pause', undefined],
      ['POST', '/pull', {}],
      ['POST', '/acknowledge', { ack_ids: ['x'] }],
      ['GET', '/dead-letters', undefined],
    ] as const) {
      const res = await s.api().request(method, `${BASE}/${push.id}${path}`, body === undefined ? {} : { body });
      assert.equal(res.status, 404, `${method} ${path}`);
    }
  });
});

describe('Pub/Sub requests refused, push through the app, size retention', () => {
  // Push to a loopback receiver: allowed here, with a fast sender. A stage window of 3 and a
  // backlog of 5: the oldest events beyond the newest 5 are skipped and counted.
  // Dead letters: swept every 30 ms, at most 2 kept per subscription.
  const s = pubsubSuite(
    SQLITE,
    { stageWindow: 3, maxBacklog: 5 },
    { outboundAllow: ['127.0.0.1/32'], pubsub: { push: { pollMs: 20, timeoutMs: 1000, stopWaitMs: 2000 }, deadLetters: { intervalMs: 30, maxDeadLetters: 2 } } },
  );
  const receiver = new Receiver();
  before(() => receiver.start());
  after(() => receiver.stop());

  it('the app runs the push sender: a push subscription’s events arrive signed with its secret, and are acknowledged', async () => {
    const sub = await s.create({ type: 'push', push_endpoint: receiver.url('/pubsub'), filter: { client_ids: ['ps-b'] } });
    const ids = await s.publish('ps-b', ['pushed1', 'pushed2']);
    await receiver.waitFor(() => receiver.delivered().length > 0);
    const [request] = receiver.delivered();
    assert.equal(request?.headers['mythic-subscription'], sub.id);
    assert.ok(signatureValid(sub.push_secret ?? '', request?.headers['mythic-signature'], request?.body ?? ''));
    const body = JSON.parse(request?.body ?? '{}') as { subscription: { id: string; name: string }; messages: Array<{ message_id: string }> };
    assert.deepEqual(body.subscription, { id: sub.id, name: sub.name });
    assert.deepEqual(body.messages.map((m) => m.message_id), ids);
    for (let i = 0; i < 100 && (await s.get(sub.id)).backlog.in_flight > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const after = await s.get(sub.id);
    assert.equal(after.backlog.in_flight + after.backlog.messages, 0, 'acknowledged by the 2xx');
    assert.equal(after.push?.last_status, 204, 'the receiver’s answer');
    await s.api().request('DELETE', `${BASE}/${sub.id}`);
  });

  it('each bad request is a 4xx naming its field, and stores nothing', async () => {
    await s.create({ name: 'Taken' });
    const before = (await s.api().store.listSubscriptions({ limit: 100, offset: 0 })).total;
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ name: 'taken', type: 'pull' }, 409, 'name'],
      [{ name: '', type: 'pull' }, 400, 'name'],
      [{ name: '-dash', type: 'pull' }, 400, 'name'],
      [{ name: 'x'.repeat(101), type: 'pull' }, 400, 'name'],
      [{ name: 'ok', type: 'pull', topic: 'other.topic' }, 400, 'topic'],
      [{ name: 'ok', type: 'stream' }, 400, 'type'],
      [{ name: 'ok' }, 400, 'type'],
      [{ name: 'ok', type: 'push' }, 400, 'push_endpoint'],
      [{ name: 'ok', type: 'pull', push_endpoint: 'https://collector.example.com/' }, 400, 'push_endpoint'],
      [{ name: 'ok', type: 'push', push_endpoint: 'ftp://collector.example.com/' }, 400, 'push_endpoint'],
      [{ name: 'ok', type: 'push', push_endpoint: 'https://user:pw@collector.example.com/' }, 400, 'push_endpoint'],
      [{ name: 'ok', type: 'push', push_endpoint: 'http://10.0.0.1/hook' }, 400, 'push_endpoint'],
      [{ name: 'ok', type: 'push', push_endpoint: `https://collector.example.com/${'x'.repeat(2048)}` }, 400, 'push_endpoint'],
      [{ name: 'ok', type: 'pull', ack_deadline_seconds: 9 }, 400, 'ack_deadline_seconds'],
      [{ name: 'ok', type: 'pull', ack_deadline_seconds: 601 }, 400, 'ack_deadline_seconds'],
      [{ name: 'ok', type: 'pull', max_delivery_attempts: 0 }, 400, 'max_delivery_attempts'],
      [{ name: 'ok', type: 'pull', max_delivery_attempts: 101 }, 400, 'max_delivery_attempts'],
      [{ name: 'ok', type: 'pull', filter: { client_ids: [] } }, 400, 'filter.client_ids'],
      [{ name: 'ok', type: 'pull', filter: { client_ids: ['ps-a', 'nope-1', 'nope-2'] } }, 400, 'filter.client_ids'],
      [{ name: 'ok', type: 'pull', filter: { events: Array.from({ length: 101 }, (_, i) => `e${i}`) } }, 400, 'filter.events'],
      [{ name: 'ok', type: 'pull', filter: { other: 1 } }, 400, 'filter'],
      [{ name: 'ok', type: 'pull', extra: true }, 400, 'extra'],
    ];
    for (const [body, status, field] of cases) {
      const res = await s.api().request('POST', BASE, { body });
      assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 120)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.success, false);
      const named = (res.body.details ?? []).some((d) => d.field === field || d.field.startsWith(`${field}.`) || d.field.startsWith(field));
      assert.ok(named || (res.body.error ?? '').includes(field), `${field} named in ${JSON.stringify(res.body)}`);
    }
    const unknown = await s.api().request('POST', BASE, { body: { name: 'ok', type: 'pull', filter: { client_ids: ['ps-a', 'nope-1', 'nope-2'] } } });
    assert.match(unknown.body.error ?? '', /'nope-1', 'nope-2'/);
    assert.ok(!(unknown.body.error ?? '').includes("'ps-a'"));
    assert.equal((await s.api().store.listSubscriptions({ limit: 100, offset: 0 })).total, before, 'nothing stored');

    const sub = await s.create();
    for (const [path, body] of [
      ['/pull', { max_messages: 0 }],
      ['/pull', { max_messages: 101 }],
      ['/acknowledge', { ack_ids: [] }],
      ['/acknowledge', { ack_ids: Array.from({ length: 1001 }, (_, i) => `a${i}`) }],
      ['/acknowledge', {}],
      ['/modify-ack-deadline', { ack_ids: ['a'], ack_deadline_seconds: 601 }],
      ['/modify-ack-deadline', { ack_ids: ['a'], ack_deadline_seconds: -1 }],
      ['/modify-ack-deadline', { ack_ids: ['a'] }],
      ['/dead-letters/replay', { message_ids: [] }],
    ] as const) {
      const res = await s.api().request('POST', `${BASE}/${sub.id}${path}`, { body });
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body).slice(0, 80)}`);
    }
    assert.equal((await s.api().request('GET', `${BASE}/${sub.id}/dead-letters?cursor=bogus`)).status, 400);
  });

  it('a client’s secret key gets 403, no key or a wrong one 401', async () => {
    const res = await s.api().request<Envelope<{ secret_key: string }>>('POST', '/api/v1/clients', { body: { id: 'ps-sk', name: 'sk' } });
    const sk = res.body.data.secret_key;
    const sub = await s.create();
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['POST', '', { name: 'by-sk', type: 'pull' }],
      ['POST', `/${sub.id}/pull`, {}],
      ['POST', `/${sub.id}/acknowledge`, { ack_ids: ['x'] }],
      ['DELETE', `/${sub.id}`, undefined],
    ] as const) {
      const options = body === undefined ? {} : { body };
      const asClient = await s.api().request(method, `${BASE}${path}`, { ...options, anonymous: true, headers: { authorization: `Bearer ${sk}` } });
      assert.equal(asClient.status, 403, `${method} ${path}: ${JSON.stringify(asClient.body)}`);
      assert.equal(asClient.body.code, 'forbidden');
      const forged = await s.api().request(method, `${BASE}${path}`, { ...options, anonymous: true, headers: { authorization: `Bearer sk_${'0'.repeat(32)}` } });
      assert.equal(forged.status, 401);
      assert.equal((await s.api().request(method, `${BASE}${path}`, { ...options, anonymous: true })).status, 401);
    }
    // Before the body is looked at, as the MCP key routes do (the same shared hook).
    for (const body of [{}, { name: 'by-sk', type: 'carrier-pigeon' }, { name: 'nul\u0000', type: 'pull' }]) {
      const asClient = await s.api().request('POST', BASE, { body, anonymous: true, headers: { authorization: `Bearer ${sk}` } });
      assert.equal(asClient.status, 403, JSON.stringify(asClient.body));
      assert.equal(asClient.body.code, 'forbidden');
    }
    assert.equal((await s.get(sub.id)).state, 'active', 'still there');
    assert.equal((await s.api().store.listSubscriptions({ limit: 100, offset: 0 })).rows.filter((r) => r.name === 'by-sk').length, 0);
  });

  it('dead letters expire: the newest maxDeadLetters are kept, none older than the retention; both counted as dropped', async () => {
    const sub = await s.create({ ack_deadline_seconds: 10, max_delivery_attempts: 1, filter: { client_ids: ['ps-a'] } });
    const ids = await s.publish('ps-a', ['d1', 'd2', 'd3']);
    assert.equal((await s.pull(sub.id, 3)).length, 3);
    s.advance(11_000);
    assert.deepEqual(await s.pull(sub.id), [], 'their one attempt ran out: dead');
    const settled = async (test: (view: SubscriptionView) => boolean): Promise<SubscriptionView> => {
      for (let i = 0; i < 200; i++) {
        const view = await s.get(sub.id);
        if (test(view)) return view;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error('the sweep did not come');
    };
    const capped = await settled((v) => v.backlog.dead_letters === 2);
    assert.equal(capped.backlog.dropped_messages, 1);
    const dead = await s.api().request<Envelope<DeadLetterView[]>>('GET', `${BASE}/${sub.id}/dead-letters`);
    assert.deepEqual(new Set(dead.body.data.map((m) => m.message_id)).size, 2);
    assert.ok(dead.body.data.every((m) => ids.includes(m.message_id)));
    s.advance(7 * DAY + 1000);
    const expired = await settled((v) => v.backlog.dead_letters === 0);
    assert.equal(expired.backlog.dropped_messages, 3);
  });

  it('keeps the newest maxBacklog events behind the cursor, staging a window at a time', async () => {
    const sub = await s.create();
    const ids = await s.publish('ps-b', ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8']);
    const first = await s.pull(sub.id, 100);
    assert.deepEqual(first.map((m) => m.message_id), ids.slice(3, 6), 'the oldest 3 skipped; a window of 3 staged');
    assert.equal((await s.get(sub.id)).backlog.dropped_messages, 3);
    assert.equal((await s.get(sub.id)).backlog.messages, 2);
    assert.equal(await s.ack(sub.id, first.map((m) => m.ack_id)), 3);
    assert.deepEqual((await s.pull(sub.id, 100)).map((m) => m.message_id), ids.slice(6));
  });
});
