import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { openConnection, type ClickHouseConnection } from '../../src/engines/clickhouse/connection.js';
import { parseClickHouseUrl } from '../../src/engines/clickhouse/url.js';
import { MessageFeeder } from '../../src/pubsub/feeder.js';
import { PUBSUB_TOPIC } from '../../src/pubsub/pubsubRows.js';
import { CLICKHOUSE_SKIP_REASON, openClickHouseTestStore } from '../helpers/clickhouseEngine.js';
import { storedEvent } from '../helpers/events.js';
import { clientFields } from '../helpers/rows.js';
import { STORE_KINDS, type OpenedStore } from '../helpers/stores.js';

/**
 * On ClickHouse seq is a microsecond stamp taken by each node's writer: two nodes inserting in
 * the same instant give their events the same seq. A full read of the stage window ends at a seq
 * that may have more events than the limit let through; the cursor then moves to that seq, so the
 * feeder must stage every event at it, or the rest are skipped for good.
 */
describe('the feeder on ClickHouse, with two nodes’ events at one seq', { skip: CLICKHOUSE_SKIP_REASON ?? false }, () => {
  let fixture: Awaited<ReturnType<typeof openClickHouseTestStore>>;
  let connection: ClickHouseConnection;
  let meta: OpenedStore;

  before(async () => {
    fixture = await openClickHouseTestStore({ settleMs: 0 });
    connection = await openConnection(parseClickHouseUrl(fixture.url));
    meta = await STORE_KINDS[0]!.open();
    await meta.store.insertClient(clientFields('a'), []);
  });
  after(async () => {
    await connection.close();
    await meta.dispose();
    await fixture.dispose();
  });

  it('stages every event of the seq a full read ends at', async () => {
    const events = fixture.store;
    const start = await events.streamHorizon();
    await sleep(2);
    const now = Date.now();
    await events.append([storedEvent({ client_id: 'a', uuid: 'e1', received_at: now }), storedEvent({ client_id: 'a', uuid: 'e2', received_at: now })], []);
    // Another node's event stamped with e2's seq, as a second writer in the same microsecond gives it.
    const database = parseClickHouseUrl(fixture.url).database;
    // (WHERE on the seq: in ClickHouse a WHERE naming `uuid` would read the replaced value.)
    const [{ seq }] = await connection.query<{ seq: number }>(`SELECT seq FROM ${database}.events WHERE uuid = 'e2'`) as [{ seq: number }];
    await connection.command(`INSERT INTO ${database}.events SELECT * REPLACE ('e2-other-node' AS uuid) FROM ${database}.events WHERE seq = {seq:UInt64}`, { seq });
    await sleep(2);
    await events.append([storedEvent({ client_id: 'a', uuid: 'e3', received_at: now })], []);
    await sleep(2);

    await meta.store.insertSubscription({
      id: 'sub_ties', name: 'ties', name_key: 'ties', topic: PUBSUB_TOPIC, type: 'pull', push_endpoint: null, push_secret_sealed: null,
      ack_deadline_seconds: 60, max_delivery_attempts: 5, filter: { client_ids: null, events: null }, state: 'active', cursor_seq: start,
      dropped_messages: 0, push_next_attempt_at: null, push_failures: 0, push_last_status: null, push_last_error: null, push_last_attempt_at: null,
      lease_owner: null, lease_until: null, created_at: now, updated_at: now,
    });
    const feeder = new MessageFeeder({ store: meta.store, events, now: Date.now }, { stageWindow: 2 });
    const delivered: string[] = [];
    for (let round = 0; round < 4; round++) {
      const row = await meta.store.getSubscription('sub_ties');
      await feeder.fill(row!);
      const leased = await meta.store.leaseMessages('sub_ties', Date.now(), Date.now() + 60_000, 10, 5, () => `ack_${round}_${Math.random()}`);
      delivered.push(...leased.map((m) => m.message_id));
      await meta.store.acknowledge('sub_ties', leased.map((m) => m.ack_id!));
    }
    assert.deepEqual(delivered.sort(), ['a:e1', 'a:e2', 'a:e2-other-node', 'a:e3']);
  });
});
