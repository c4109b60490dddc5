import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PUBSUB_TOPIC } from '../../src/pubsub/pubsubRows.js';
import { clientFields } from '../helpers/rows.js';
import { POSTGRES_SKIP_REASON, POSTGRES_URL, STORE_KINDS, type OpenedStore } from '../helpers/stores.js';

/**
 * Several nodes on one PostgreSQL: every Pub/Sub step that writes both a subscription row and its
 * messages must lock the subscription row first (as leaseMessages does), or two of them deadlock
 * and one fails. Here a lease (its lock order played by hand: the subscription row, then a
 * message) meets a fill dropping stale messages of the same subscription.
 */
describe('pub/sub lock order [postgres]', { skip: POSTGRES_URL === undefined ? POSTGRES_SKIP_REASON : false }, () => {
  let opened: OpenedStore;
  const T0 = 1_800_000_000_000;

  before(async () => {
    opened = await STORE_KINDS[1]!.open();
    await opened.store.insertClient(clientFields('a'), []);
    await opened.store.insertSubscription({
      id: 'sub_lock', name: 'lock', name_key: 'lock', topic: PUBSUB_TOPIC, type: 'pull', push_endpoint: null, push_secret_sealed: null,
      ack_deadline_seconds: 60, max_delivery_attempts: 5, filter: { client_ids: null, events: null }, state: 'active', cursor_seq: 0,
      dropped_messages: 0, push_next_attempt_at: null, push_failures: 0, push_last_status: null, push_last_error: null, push_last_attempt_at: null,
      lease_owner: null, lease_until: null, created_at: T0, updated_at: T0,
    });
    const message = { subscription_id: 'sub_lock', message_id: 'a:old', seq: 1, client_id: 'a', publish_time: T0, payload: '{}', delivery_attempt: 0, ack_id: null, lease_until: null, dead_at: null, last_error: null };
    assert.equal(await opened.store.stageMessages('sub_lock', 0, 1, [message], 0), true);
  });
  after(() => opened.dispose());

  it('drops stale messages while a lease holds the subscription, without a deadlock', async () => {
    const lease = new pg.Client({ connectionString: opened.location.databaseUrl as string });
    await lease.connect();
    try {
      await lease.query('BEGIN');
      await lease.query("SELECT 1 FROM pubsub_subscriptions WHERE id = 'sub_lock' FOR UPDATE");
      const dropping = opened.store.dropStaleMessages('sub_lock', T0 + 10).then(
        (n) => ({ n, error: null }),
        (error: unknown) => ({ n: -1, error }),
      );
      // Until the drop waits on a lock this lease holds.
      for (let i = 0; i < 200; i++) {
        const waiting = await lease.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))');
        if ((waiting.rows[0] as { n: number }).n > 0) break;
        await sleep(10);
      }
      // The lease goes on to its messages, as leaseMessages does.
      await lease.query("UPDATE pubsub_messages SET delivery_attempt = delivery_attempt + 1 WHERE subscription_id = 'sub_lock'");
      await lease.query('COMMIT');
      const dropped = await dropping;
      assert.equal(dropped.error, null);
      assert.equal(dropped.n, 1);
    } finally {
      await lease.end();
    }
  });
});
