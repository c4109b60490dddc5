// Dead-letter retention in the store (expireDeadLetters), the same on SQLite and PostgreSQL: dead
// letters older than a time go, then all but the newest `keep`; both count as dropped.
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { PUBSUB_TOPIC, type MessageRow, type SubscriptionRow } from '../../src/pubsub/pubsubRows.js';
import { clientFields } from '../helpers/rows.js';
import { describeEachStore, storeOfSuite } from '../helpers/stores.js';

const T0 = 1_800_000_000_000;

const subscription = (id: string): SubscriptionRow => ({
  id, name: id, name_key: id, topic: PUBSUB_TOPIC, type: 'pull', push_endpoint: null, push_secret_sealed: null,
  ack_deadline_seconds: 60, max_delivery_attempts: 1, filter: { client_ids: null, events: null }, state: 'active', cursor_seq: 0,
  dropped_messages: 0, push_next_attempt_at: null, push_failures: 0, push_last_status: null, push_last_error: null, push_last_attempt_at: null,
  lease_owner: null, lease_until: null, created_at: T0, updated_at: T0,
});

const message = (clientId: string, seq: number): MessageRow => ({
  subscription_id: 'named by the stage call', message_id: `${clientId}:uuid-${seq}`, seq, client_id: clientId, publish_time: T0 + seq,
  payload: '{}', delivery_attempt: 0, ack_id: null, lease_until: null, dead_at: null, last_error: null,
});

let acks = 0;
const newAckId = (): string => `ack-${(acks += 1)}`;

describeEachStore('dead-letter retention', (kind) => {
  const suite = storeOfSuite(kind);
  before(async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e']) await suite.store.insertClient(clientFields(id), []);
  });

  /** Kills every available message at `at`: leased a minute before with one attempt, expired at `at`. */
  const kill = async (id: string, at: number): Promise<void> => {
    const leased = await suite.store.leaseMessages(id, at - 60_000, at, 100, 1, newAckId);
    assert.ok(leased.length > 0);
    assert.deepEqual(await suite.store.leaseMessages(id, at, at + 60_000, 0, 1, newAckId), []);
  };

  it('deletes dead letters older than the cut, then all but the newest `keep`, counting them; leaves the rest alone', async () => {
    await suite.store.insertSubscription(subscription('sub_dl'));
    await suite.store.insertSubscription(subscription('sub_other'));
    const clients = ['a', 'b', 'c', 'd', 'e'];
    assert.equal(await suite.store.stageMessages('sub_dl', 0, 100, clients.map((c, i) => message(c, i + 1)), 0), true);
    assert.equal(await suite.store.stageMessages('sub_other', 0, 100, [message('a', 1)], 0), true);
    // All die at T0 + 1 h; c, d and e are replayed and die again at T0 + 2 h.
    await kill('sub_dl', T0 + 3_600_000);
    await kill('sub_other', T0 + 3_600_000);
    assert.equal(await suite.store.replayDeadLetters('sub_dl', ['c:uuid-3', 'd:uuid-4', 'e:uuid-5']), 3);
    await kill('sub_dl', T0 + 7_200_000);
    // And one message staged, not dead.
    assert.equal(await suite.store.stageMessages('sub_dl', 100, 200, [message('a', 150)], 0), true);
    assert.equal((await suite.store.listDeadLetters('sub_dl', { limit: 100 })).total, 5);

    assert.equal(await suite.store.expireDeadLetters('sub_dl', T0 + 3_600_000, 10), 0, 'nothing died before the cut');
    assert.equal(await suite.store.expireDeadLetters('sub_dl', T0 + 3_600_001, 10), 2, 'a and b died before it');
    assert.equal(await suite.store.expireDeadLetters('sub_dl', T0, 2), 1, 'the oldest of c, d, e (by message_id at the same dead_at) goes');
    const left = await suite.store.listDeadLetters('sub_dl', { limit: 100 });
    assert.deepEqual(left.rows.map((m) => m.message_id), ['e:uuid-5', 'd:uuid-4']);
    assert.equal((await suite.store.getSubscription('sub_dl'))?.dropped_messages, 3);
    const counts = await suite.store.backlogCounts('sub_dl', T0 + 7_200_000);
    assert.equal(counts.dead, 2);
    assert.equal(counts.available, 1, 'a staged message is not a dead letter');
    assert.equal((await suite.store.backlogCounts('sub_other', T0)).dead, 1, 'another subscription keeps its own');
    assert.equal(await suite.store.expireDeadLetters('sub_dl', T0 + 10_000_000, 0), 2);
    assert.equal(await suite.store.expireDeadLetters('sub_missing', T0 + 10_000_000, 0), 0);
  });
});
