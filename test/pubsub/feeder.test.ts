// The feeder's staging steps (MessageFeeder), on SQLite and DuckDB: a fill reads the engine only
// once the window is half empty, and then tops it up whole; stale staged messages are dropped on
// every call all the same. One store and engine: the SQL it drives is covered on both stores in
// test/store/pubsubStore.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MessageFeeder } from '../../src/pubsub/feeder.js';
import type { SubscriptionRow } from '../../src/pubsub/pubsubRows.js';
import type { EventStore } from '../../src/events/eventStore.js';
import type { MetaStore } from '../../src/store/metaStore.js';
import { DUCKDB_ENGINE, type OpenedEngine } from '../helpers/engines.js';
import { storedEvent } from '../helpers/events.js';
import { clientFields, subscriptionRow } from '../helpers/rows.js';
import { STORE_KINDS, type OpenedStore } from '../helpers/stores.js';

const SQLITE = STORE_KINDS.find((k) => k.name === 'sqlite') as (typeof STORE_KINDS)[number];
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const RETENTION = 60_000;

const subscription = (id: string, cursor: number): SubscriptionRow => subscriptionRow(id, { cursor_seq: cursor, created_at: T0, updated_at: T0 });

describe('the feeder', () => {
  let meta: OpenedStore;
  let engine: OpenedEngine;
  let store: MetaStore;
  let events: EventStore;
  let now = T0;
  let feeder: MessageFeeder;
  let serial = 0;
  before(async () => {
    meta = await SQLITE.open();
    engine = await DUCKDB_ENGINE.open();
    store = meta.store;
    events = engine.store;
    await store.insertClient(clientFields('feed'), []);
    feeder = new MessageFeeder({ store, events, now: () => now }, { stageWindow: 10, retentionMs: RETENTION });
  });
  after(async () => {
    await engine.dispose();
    await meta.dispose();
  });

  const row = async (id: string): Promise<SubscriptionRow> => {
    const found = await store.getSubscription(id);
    assert.ok(found);
    return found;
  };
  const publish = (n: number, receivedAt: number) =>
    events.append(Array.from({ length: n }, () => storedEvent({ client_id: 'feed', uuid: `feed-${(serial += 1)}`, received_at: receivedAt })), []);
  const take = async (id: string, n: number): Promise<number> => {
    const leased = await store.leaseMessages(id, now, now + 60_000, n, 5, () => `ack-${(serial += 1)}`);
    return store.acknowledge(id, leased.map((m) => m.ack_id ?? ''));
  };

  it('reads the engine once half the window is gone, then tops it up whole', async () => {
    const id = 'sub_half';
    await store.insertSubscription(subscription(id, await events.streamHorizon()));
    await publish(30, now);
    await feeder.fill(await row(id));
    const first = await row(id);
    assert.equal((await store.backlogCounts(id, now)).available, 10, 'a full window');

    assert.equal(await take(id, 5), 5);
    await feeder.fill(await row(id));
    assert.equal((await row(id)).cursor_seq, first.cursor_seq, 'half the window left: no read');
    assert.equal((await store.backlogCounts(id, now)).available, 5);

    assert.equal(await take(id, 1), 1);
    await feeder.fill(await row(id));
    assert.equal((await store.backlogCounts(id, now)).available, 10, 'below half: topped up to the window');
    assert.equal((await row(id)).cursor_seq, first.cursor_seq + 6, 'the six taken, read at once');
  });

  it('drops stale staged messages on every call, also when it reads nothing', async () => {
    const id = 'sub_stale';
    await store.insertSubscription(subscription(id, await events.streamHorizon()));
    await publish(10, now);
    await feeder.fill(await row(id));
    assert.equal(await take(id, 2), 2);
    now += RETENTION + 1;
    await feeder.fill(await row(id));
    assert.equal((await row(id)).dropped_messages, 8, 'the 8 left grew too old');
    const counts = await store.backlogCounts(id, now);
    assert.equal(counts.available + counts.in_flight, 0);
  });
});
