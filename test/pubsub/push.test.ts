import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { EventStore } from '../../src/events/eventStore.js';
import { createOutbound } from '../../src/outbound/nodeOutbound.js';
import type { Outbound } from '../../src/outbound/outbound.js';
import { MessageFeeder } from '../../src/pubsub/feeder.js';
import type { SubscriptionRow } from '../../src/pubsub/pubsubRows.js';
import { backoffDelay, PushDispatcher, type PushDispatcherOptions } from '../../src/pubsub/pushDispatcher.js';
import type { MetaStore } from '../../src/store/metaStore.js';
import { PostgresMetaStore } from '../../src/store/postgres/postgresMetaStore.js';
import { generateWebhookSecret, SecretBox } from '../../src/webhooks/secretBox.js';
import { DUCKDB_ENGINE, type OpenedEngine } from '../helpers/engines.js';
import { storedEvent } from '../helpers/events.js';
import { clientFields, subscriptionRow } from '../helpers/rows.js';
import { POSTGRES_SKIP_REASON, POSTGRES_URL, STORE_KINDS, type OpenedStore, type StoreKind } from '../helpers/stores.js';
import { Receiver, type Received } from '../webhooks/receiver.js';

/**
 * The push dispatcher against real stores (SQLite, and PostgreSQL for two nodes), the real feeder
 * over DuckDB, real HTTP to a loopback receiver through the real Outbound. Timings are injected
 * in milliseconds so retries, back-off and dead letters happen within a test.
 */

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const box = new SecretBox('ab'.repeat(32));
const loopback: Outbound = createOutbound({ allow: ['127.0.0.1/32'] });
const FAST: Partial<PushDispatcherOptions> = {
  pollMs: 15,
  timeoutMs: 1000,
  leaseMs: 3000,
  backoff: { firstDelayMs: 20, maxDelayMs: 80 },
  stopWaitMs: 3000,
};
const quietLog = { warn: () => {}, error: (fields: Record<string, unknown>, message: string) => console.error(message, fields) };

interface PushBody {
  subscription: { id: string; name: string };
  messages: { message_id: string; delivery_attempt: number; publish_time: string; client_id: string; event: Record<string, unknown> & { uuid: string; client_id: string } }[];
}
const bodyOf = (r: Received): PushBody => JSON.parse(r.body) as PushBody;

/** A real MetaStore, DuckDB, the feeder and two clients; subscriptions and events written directly. */
class Rig {
  readonly dispatchers: PushDispatcher[] = [];
  feeder!: MessageFeeder;
  private constructor(
    readonly opened: OpenedStore,
    readonly engine: OpenedEngine,
  ) {}

  static async open(kind: StoreKind): Promise<Rig> {
    const rig = new Rig(await kind.open(), await DUCKDB_ENGINE.open());
    rig.feeder = new MessageFeeder({ store: rig.store, events: rig.events, now: Date.now });
    for (const id of ['acme', 'globex']) await rig.store.insertClient(clientFields(id), []);
    return rig;
  }

  get store(): MetaStore {
    return this.opened.store;
  }

  get events(): EventStore {
    return this.engine.store;
  }

  /** A push subscription whose cursor is the engine's horizon now, and its signing secret. */
  async subscribe(endpoint: string, extra: Partial<SubscriptionRow> = {}): Promise<{ id: string; secret: string }> {
    const id = `sub_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const secret = generateWebhookSecret();
    const now = Date.now();
    await this.store.insertSubscription(
      subscriptionRow(id, {
        type: 'push',
        push_endpoint: endpoint,
        push_secret_sealed: box.seal(secret, id),
        cursor_seq: await this.events.streamHorizon(),
        created_at: now,
        updated_at: now,
        ...extra,
      }),
    );
    return { id, secret };
  }

  /** Stores `count` events alternating between the two clients; their uuids in order. */
  async ingest(count: number, clients = ['acme', 'globex']): Promise<string[]> {
    const rows = Array.from({ length: count }, (_, i) => storedEvent({ client_id: clients[i % clients.length] as string, event: `step_${i}`, received_at: Date.now(), timestamp: Date.now() }));
    await this.events.append(rows, []);
    return rows.map((r) => r.uuid);
  }

  dispatcher(options: Partial<PushDispatcherOptions> = {}, outbound: Outbound = loopback, store: MetaStore = this.store): PushDispatcher {
    const dispatcher = new PushDispatcher({ store, feeder: new MessageFeeder({ store, events: this.events, now: Date.now }), outbound, box, log: quietLog }, { ...FAST, ...options });
    this.dispatchers.push(dispatcher);
    dispatcher.start();
    return dispatcher;
  }

  async waitFor(predicate: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await predicate())) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Stops this test's dispatchers, so the next test's subscriptions see only its own. */
  async stopDispatchers(): Promise<void> {
    await Promise.all(this.dispatchers.splice(0).map((d) => d.stop()));
  }

  async close(): Promise<void> {
    await this.stopDispatchers();
    await this.engine.dispose();
    await this.opened.dispose();
  }
}

/** The README's verification snippet (Pub/Sub, push), run as written. */
function readmeVerifier(): (req: { headers: Record<string, unknown> }, rawBody: string, secret: string) => boolean {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('#### Push subscriptions');
  assert.ok(start >= 0, 'README has a push subsection');
  const code = /```js\n([\s\S]*?)```/.exec(readme.slice(start))?.[1];
  assert.ok(code !== undefined, 'the push subsection has a js block');
  const run = new Function('createHmac', 'timingSafeEqual', 'req', 'rawBody', 'secret', `${code}\nreturn valid;`) as (...args: unknown[]) => boolean;
  return (req, rawBody, secret) => run(createHmac, timingSafeEqual, req, rawBody, secret);
}

const SQLITE = STORE_KINDS.find((k) => k.name === 'sqlite') as StoreKind;
const POSTGRES = STORE_KINDS.find((k) => k.name === 'postgres') as StoreKind;

describe('Pub/Sub push', () => {
  let rig: Rig;
  const receivers: Receiver[] = [];
  const receiver = async (): Promise<Receiver> => {
    const r = await new Receiver().start();
    receivers.push(r);
    return r;
  };
  before(async () => {
    rig = await Rig.open(SQLITE);
  });
  afterEach(() => rig.stopDispatchers());
  after(async () => {
    await rig.close();
    await Promise.all(receivers.map((r) => r.stop()));
  });

  it('POSTs signed batches of at most 100, in order per client, and acknowledges them on 2xx', async () => {
    const r = await receiver();
    const { id, secret } = await rig.subscribe(r.url('/push'), { name: 'Orders.Feed' });
    const uuids = await rig.ingest(230);
    rig.dispatcher();
    await r.waitFor(() => r.delivered().flatMap((x) => bodyOf(x).messages).length >= 230);
    const verify = readmeVerifier();
    for (const request of r.received) {
      assert.equal(request.headers['content-type'], 'application/json');
      assert.equal(request.headers['mythic-subscription'], id);
      assert.ok(verify({ headers: request.headers }, request.body, secret), 'the README code verifies the signature');
      assert.ok(!verify({ headers: request.headers }, request.body.replace('step_', 'stop_'), secret), 'a changed body does not verify');
      assert.ok(!verify({ headers: request.headers }, request.body, generateWebhookSecret()), 'another secret does not verify');
    }
    const bodies = r.received.map(bodyOf);
    assert.ok(bodies.every((b) => b.messages.length <= 100 && b.subscription.id === id && b.subscription.name === 'Orders.Feed'));
    const messages = bodies.flatMap((b) => b.messages);
    assert.deepEqual(
      messages.map((m) => m.event.uuid),
      uuids,
      'one sender at a time: every event once, in commit order',
    );
    const first = messages[0];
    assert.ok(first !== undefined);
    assert.equal(first.message_id, `${first.client_id}:${first.event.uuid}`);
    assert.equal(first.delivery_attempt, 1);
    assert.match(first.publish_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(first.event.client_id, first.client_id);
    await rig.waitFor(async () => (await rig.store.backlogCounts(id, Date.now())).in_flight === 0);
    const backlog = await rig.store.backlogCounts(id, Date.now());
    assert.deepEqual([backlog.available, backlog.in_flight, backlog.dead], [0, 0, 0], 'acknowledged messages are gone');
    const row = await rig.store.getSubscription(id);
    assert.equal(row?.push_last_status, 204);
    assert.equal(row?.push_failures, 0);
    await rig.store.deleteSubscription(id);
  });

  it('a 500 hands the batch back: it is sent again with delivery_attempt 2, same message ids', async () => {
    const r = await receiver();
    r.next.push('fail');
    const { id } = await rig.subscribe(r.url());
    await rig.ingest(3);
    rig.dispatcher();
    await r.waitFor(() => r.delivered().length >= 1);
    const [failed, delivered] = r.received.map(bodyOf);
    assert.ok(failed !== undefined && delivered !== undefined);
    assert.deepEqual(failed.messages.map((m) => m.delivery_attempt), [1, 1, 1]);
    assert.deepEqual(delivered.messages.map((m) => m.delivery_attempt), [2, 2, 2]);
    assert.deepEqual(delivered.messages.map((m) => m.message_id), failed.messages.map((m) => m.message_id));
    await rig.waitFor(async () => (await rig.store.getSubscription(id))?.push_last_status === 204);
    const row = await rig.store.getSubscription(id);
    assert.equal(row?.push_failures, 0, 'a success resets the failures');
    await rig.store.deleteSubscription(id);
  });

  it('after max_delivery_attempts failed deliveries a message goes to the dead letters with the error', async () => {
    const r = await receiver();
    r.behaviour = 'fail';
    const { id } = await rig.subscribe(r.url(), { max_delivery_attempts: 2 });
    await rig.ingest(2);
    rig.dispatcher();
    await rig.waitFor(async () => (await rig.store.listDeadLetters(id, { limit: 10 })).total === 2);
    const attempts = r.received.length;
    assert.equal(attempts, 2, 'two attempts, then dead');
    const dead = await rig.store.listDeadLetters(id, { limit: 10 });
    assert.ok(dead.rows.every((m) => m.delivery_attempt === 2 && m.last_error === 'The endpoint answered HTTP 500' && m.dead_at !== null));
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(r.received.length, attempts, 'dead letters are not sent');
    const row = await rig.store.getSubscription(id);
    assert.equal(row?.push_last_error, 'The endpoint answered HTTP 500');
    assert.ok((row?.push_failures ?? 0) >= 2);
    await rig.store.deleteSubscription(id);
  });

  it('backs off between failed batches: full jitter under a cap that doubles, up to the maximum', async () => {
    const backoff = { firstDelayMs: 1000, maxDelayMs: 600_000 };
    assert.deepEqual([1, 2, 3, 4, 11, 12, 50].map((n) => backoffDelay(n, backoff, () => 0.999999)), [999, 1999, 3999, 7999, 599_999, 599_999, 599_999]);
    assert.equal(backoffDelay(3, backoff, () => 0), 0);
    const r = await receiver();
    r.behaviour = 'fail';
    const { id } = await rig.subscribe(r.url(), { max_delivery_attempts: 100 });
    await rig.ingest(1);
    rig.dispatcher({ backoff: { firstDelayMs: 50, maxDelayMs: 400 }, random: () => 0.99 });
    await r.waitFor(() => r.received.length >= 5);
    // Arrival gaps are the back-off plus a poll and a few store calls: at least the wait, and growing.
    const gaps = r.received.slice(1, 5).map((x, i) => x.at - (r.received[i] as Received).at);
    const waits = [49, 99, 198, 396];
    gaps.forEach((gap, i) => assert.ok(gap >= (waits[i] as number) - 5, `gap ${i} ${gap} >= ${waits[i]} (${gaps.join(', ')})`));
    assert.ok(gaps.every((gap, i) => i === 0 || gap > (gaps[i - 1] as number)), `the wait grows (${gaps.join(', ')})`);
    assert.ok((gaps[3] as number) - (gaps[0] as number) >= 250, `the wait doubles (${gaps.join(', ')})`);
    const row = await rig.store.getSubscription(id);
    assert.ok(row !== null && row.push_next_attempt_at !== null && row.push_last_attempt_at !== null);
    await rig.store.deleteSubscription(id);
  });

  it('a paused subscription is not sent; resumed, it sends its backlog', async () => {
    const r = await receiver();
    const { id } = await rig.subscribe(r.url());
    const dispatcher = rig.dispatcher();
    await rig.store.updateSubscription(id, { state: 'paused' }, Date.now());
    const uuids = await rig.ingest(5);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(r.received.length, 0, 'nothing sent while paused');
    await rig.store.updateSubscription(id, { state: 'active' }, Date.now());
    dispatcher.wake();
    await r.waitFor(() => r.delivered().length >= 1 && r.delivered().flatMap((x) => bodyOf(x).messages).length === 5);
    assert.deepEqual(
      r.received.flatMap((x) => bodyOf(x).messages.map((m) => m.event.uuid)),
      uuids,
    );
    await rig.store.deleteSubscription(id);
  });

  it('refuses a private address unless the operator allows it, and says why', async () => {
    const r = await receiver();
    const { id } = await rig.subscribe(r.url(), { max_delivery_attempts: 1 });
    await rig.ingest(1);
    rig.dispatcher({}, createOutbound());
    await rig.waitFor(async () => (await rig.store.getSubscription(id))?.push_last_error != null);
    const row = await rig.store.getSubscription(id);
    assert.match(row?.push_last_error ?? '', /not public.*MYTHIC_OUTBOUND_ALLOW/);
    assert.equal(row?.push_last_status, null);
    assert.equal(r.received.length, 0, 'no request reached the receiver');
    await rig.waitFor(async () => (await rig.store.listDeadLetters(id, { limit: 10 })).total === 1);
    await rig.store.deleteSubscription(id);
  });
});

describe('Pub/Sub push, two nodes on PostgreSQL', { skip: POSTGRES_URL === undefined ? POSTGRES_SKIP_REASON : false }, () => {
  it('two dispatchers never send one subscription at the same time, and together send everything in order', async () => {
    const rig = await Rig.open(POSTGRES);
    const second = new PostgresMetaStore(rig.opened.location.databaseUrl as string);
    const r = await new Receiver().start();
    try {
      r.delayMs = 15;
      const subscriptions = [await rig.subscribe(r.url('/a')), await rig.subscribe(r.url('/b')), await rig.subscribe(r.url('/c'))];
      const uuids = await rig.ingest(160);
      // One subscription at a time per dispatcher, polling often: with three subscriptions both
      // nodes must take part (with the default eight, the first to poll could hold all three).
      const options = { batchSize: 20, concurrency: 1, pollMs: 50 };
      const sent = [0, 0];
      const counting =
        (node: 0 | 1): Outbound =>
        (request) => {
          sent[node] = (sent[node] as number) + 1;
          return loopback(request);
        };
      rig.dispatcher(options, counting(0));
      rig.dispatcher(options, counting(1), second);
      await r.waitFor(() => r.delivered().reduce((n, x) => n + bodyOf(x).messages.length, 0) >= 480, 15_000);
      for (const { id } of subscriptions) {
        const requests = r.received.filter((x) => x.headers['mythic-subscription'] === id).sort((a, b) => a.at - b.at);
        for (let i = 1; i < requests.length; i += 1) {
          const previous = requests[i - 1] as Received;
          assert.ok(previous.answeredAt !== null && (requests[i] as Received).at >= previous.answeredAt, `${id}: a batch was sent before the previous one was answered`);
        }
        assert.deepEqual(
          requests.flatMap((x) => bodyOf(x).messages.map((m) => m.event.uuid)),
          uuids,
          `${id}: every event once, in order`,
        );
      }
      assert.ok((sent[0] ?? 0) > 0 && (sent[1] ?? 0) > 0, `both nodes sent batches (${sent.join(' and ')})`);
    } finally {
      await rig.stopDispatchers();
      await r.stop();
      await second.close();
      await rig.close();
    }
  });
});
