import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { MessageRow, SubscriptionRow } from '../../src/pubsub/pubsubRows.js';
import { UniqueViolation } from '../../src/store/metaStore.js';
import { describeEachStore, storeOfSuite } from '../helpers/stores.js';
import { clientFields, subscriptionRow } from '../helpers/rows.js';

/** The MetaStore's Pub/Sub part (PubSubStore), the same on SQLite and PostgreSQL. */

const T0 = 1_800_000_000_000;
const LEASE = 60_000;

let serial = 0;
function subscription(id: string, extra: Partial<SubscriptionRow> = {}): SubscriptionRow {
  serial += 1;
  return subscriptionRow(id, { created_at: T0 + serial, updated_at: T0 + serial, ...extra });
}

/** A staged message of `clientId` for event `seq` (its message_id names both). */
function message(clientId: string, seq: number, extra: Partial<MessageRow> = {}): MessageRow {
  return {
    subscription_id: 'ignored: the stage call names it',
    message_id: `${clientId}:uuid-${seq}`,
    seq,
    client_id: clientId,
    publish_time: T0 + seq,
    payload: JSON.stringify({ event: '$pageview', seq, client_id: clientId }),
    delivery_attempt: 0,
    ack_id: null,
    lease_until: null,
    dead_at: null,
    last_error: null,
    ...extra,
  };
}

let ackSerial = 0;
const newAckId = (): string => `ack-${(ackSerial += 1)}`;
const ids = (rows: MessageRow[]): string[] => rows.map((m) => m.message_id);

describeEachStore('pub/sub store', (kind) => {
  const suite = storeOfSuite(kind);
  before(async () => {
    for (const id of ['a', 'b', 'c', 'd', 'gone']) await suite.store.insertClient(clientFields(id), []);
  });

  /** A fresh subscription with these messages staged (cursor 0 → 100). */
  async function staged(id: string, messages: MessageRow[], extra: Partial<SubscriptionRow> = {}): Promise<void> {
    await suite.store.insertSubscription(subscription(id, extra));
    assert.equal(await suite.store.stageMessages(id, 0, 100, messages, 0), true);
  }
  const lease = (id: string, now: number, max = 10, maxAttempts = 5) => suite.store.leaseMessages(id, now, now + LEASE, max, maxAttempts, newAckId);

  it('keeps subscriptions: insert, read, list newest first, change, names unique case-insensitively, delete', async () => {
    const push = subscription('sub_push1', {
      name: 'Orders.Feed',
      name_key: 'orders.feed',
      type: 'push',
      push_endpoint: 'https://hooks.example.com/in',
      push_secret_sealed: 'sealed-secret',
      filter: { client_ids: ['a', 'b'], events: ['signup'] },
      cursor_seq: 1_234_567_890_123_456,
    });
    await suite.store.insertSubscription(push);
    assert.deepEqual(await suite.store.getSubscription('sub_push1'), push);
    await assert.rejects(suite.store.insertSubscription(subscription('sub_other', { name: 'ORDERS.feed', name_key: 'orders.feed' })), (error: unknown) => {
      assert.ok(error instanceof UniqueViolation);
      assert.equal(error.field, 'name');
      return true;
    });
    const later = subscription('sub_later');
    await suite.store.insertSubscription(later);
    const page = await suite.store.listSubscriptions({ limit: 1 });
    assert.equal(page.rows[0]?.id, 'sub_later');
    assert.ok(page.total >= 2);
    const next = await suite.store.listSubscriptions({ limit: 1, after: { created_at: later.created_at, id: later.id } });
    assert.equal(next.rows[0]?.id, 'sub_push1');
    const changed = await suite.store.updateSubscription('sub_push1', { state: 'paused', push_secret_sealed: 'rotated', push_failures: 3, push_next_attempt_at: T0 + 9 }, T0 + 500);
    assert.deepEqual(changed, { ...push, state: 'paused', push_secret_sealed: 'rotated', push_failures: 3, push_next_attempt_at: T0 + 9, updated_at: T0 + 500 });
    assert.equal(await suite.store.updateSubscription('sub_missing', { state: 'paused' }, T0), null);
    assert.equal(await suite.store.deleteSubscription('sub_later'), true);
    assert.equal(await suite.store.deleteSubscription('sub_later'), false);
    assert.equal(await suite.store.getSubscription('sub_later'), null);
  });

  it('stages a window and moves the cursor at once, only from the expected cursor; skips duplicates and unknown clients', async () => {
    await suite.store.insertSubscription(subscription('sub_stage'));
    assert.equal(await suite.store.stageMessages('sub_stage', 0, 10, [message('a', 1), message('b', 2), message('a', 1), message('nobody', 3)], 2), true);
    let sub = await suite.store.getSubscription('sub_stage');
    assert.equal(sub?.cursor_seq, 10);
    assert.equal(sub?.dropped_messages, 2);
    // A second stager that read the same range: nothing written, not even its messages.
    assert.equal(await suite.store.stageMessages('sub_stage', 0, 20, [message('c', 4)], 5), false);
    sub = await suite.store.getSubscription('sub_stage');
    assert.equal(sub?.cursor_seq, 10);
    assert.equal(sub?.dropped_messages, 2);
    // An event stored twice (same message_id) is staged once, keeping the first copy.
    assert.equal(await suite.store.stageMessages('sub_stage', 10, 15, [message('b', 12, { message_id: 'b:uuid-2' }), message('c', 13)], 0), true);
    const leased = await lease('sub_stage', T0);
    assert.deepEqual(ids(leased), ['a:uuid-1', 'b:uuid-2', 'c:uuid-13']);
    assert.equal(leased[1]?.seq, 2);
    assert.equal(leased[0]?.payload, message('a', 1).payload);
    assert.equal(leased[0]?.subscription_id, 'sub_stage');
    assert.equal(await suite.store.stageMessages('sub_missing', 0, 5, [message('a', 1)], 0), false);
    assert.equal(await suite.store.stageMessages('sub_stage', 15, 30, [], 0), true, 'an empty window still moves the cursor');
    assert.equal((await suite.store.getSubscription('sub_stage'))?.cursor_seq, 30);
    assert.equal(await suite.store.stageMessages('sub_stage', 30, 25, [], 1), true, 'a horizon behind the cursor (another node’s clock)…');
    assert.equal((await suite.store.getSubscription('sub_stage'))?.cursor_seq, 30, '…never moves it back');
  });

  it("leases in seq order, a client's messages only while none of them is out, to one holder at a time", async () => {
    await staged('sub_order', [message('a', 1), message('a', 2), message('b', 3), message('a', 4), message('b', 5), message('c', 6)]);
    const first = await lease('sub_order', T0, 2);
    assert.deepEqual(ids(first), ['a:uuid-1', 'a:uuid-2']);
    assert.deepEqual(first.map((m) => m.delivery_attempt), [1, 1]);
    assert.ok(first.every((m) => m.ack_id !== null && m.lease_until === T0 + LEASE && m.dead_at === null));
    assert.notEqual(first[0]?.ack_id, first[1]?.ack_id);
    // a is out: its later message waits; b and c go to the next caller.
    const second = await lease('sub_order', T0 + 1);
    assert.deepEqual(ids(second), ['b:uuid-3', 'b:uuid-5', 'c:uuid-6']);
    assert.deepEqual(await lease('sub_order', T0 + 2), []);
    assert.equal(await suite.store.acknowledge('sub_order', [first[0]!.ack_id!]), 1);
    assert.deepEqual(await lease('sub_order', T0 + 3), [], 'a:2 is still out');
    assert.equal(await suite.store.acknowledge('sub_order', [first[1]!.ack_id!, 'ack-unknown']), 1);
    assert.deepEqual(ids(await lease('sub_order', T0 + 4)), ['a:uuid-4']);
    assert.deepEqual(await suite.store.backlogCounts('sub_order', T0 + 5), { available: 0, in_flight: 4, dead: 0, oldest_publish_time: T0 + 3 });
  });

  it('gives an unacknowledged message back when its lease runs out, with the next attempt and a new ack id; stale ack ids do nothing', async () => {
    await staged('sub_expiry', [message('a', 1), message('b', 2)]);
    const [a1, b1] = await lease('sub_expiry', T0);
    assert.deepEqual(await lease('sub_expiry', T0 + LEASE - 1), [], 'still leased');
    const again = await lease('sub_expiry', T0 + LEASE);
    assert.deepEqual(ids(again), ['a:uuid-1', 'b:uuid-2']);
    assert.deepEqual(again.map((m) => m.delivery_attempt), [2, 2]);
    assert.notEqual(again[0]?.ack_id, a1?.ack_id);
    assert.equal(await suite.store.acknowledge('sub_expiry', [a1!.ack_id!, b1!.ack_id!]), 0, 'the first delivery’s ack ids are stale');
    assert.equal(await suite.store.modifyAckDeadline('sub_expiry', [a1!.ack_id!], T0 + 10 * LEASE), 0);
    assert.equal(await suite.store.acknowledge('sub_other', [again[0]!.ack_id!]), 0, 'another subscription’s ack id');
    assert.equal(await suite.store.acknowledge('sub_expiry', [again[0]!.ack_id!, again[0]!.ack_id!]), 1);
    assert.equal(await suite.store.acknowledge('sub_expiry', []), 0);
    assert.deepEqual(await suite.store.backlogCounts('sub_expiry', T0 + LEASE + 1), { available: 0, in_flight: 1, dead: 0, oldest_publish_time: T0 + 2 });
  });

  it('moves ack deadlines: later keeps a message out, now gives it back at once', async () => {
    await staged('sub_modify', [message('a', 1), message('b', 2)]);
    const [a1, b1] = await lease('sub_modify', T0);
    assert.equal(await suite.store.modifyAckDeadline('sub_modify', [a1!.ack_id!, 'ack-unknown'], T0 + 5 * LEASE), 1);
    assert.equal(await suite.store.modifyAckDeadline('sub_modify', [b1!.ack_id!], T0 + 10), 1);
    const next = await lease('sub_modify', T0 + 10);
    assert.deepEqual(ids(next), ['b:uuid-2'], 'b was given back; a stays out past its first deadline');
    assert.equal(next[0]?.delivery_attempt, 2);
    assert.deepEqual(ids(await lease('sub_modify', T0 + 2 * LEASE)), ['b:uuid-2'], 'b ran out again; a is out until its new deadline');
    assert.equal(await suite.store.modifyAckDeadline('sub_modify', [], T0), 0);
  });

  it('dead-letters a message whose lease runs out after its last attempt; lists and replays dead letters', async () => {
    await staged('sub_dead', [message('a', 1), message('a', 2), message('b', 3)]);
    const max = 2;
    let now = T0;
    const first = await lease('sub_dead', now, 10, max);
    assert.deepEqual(ids(first), ['a:uuid-1', 'a:uuid-2', 'b:uuid-3']);
    await suite.store.acknowledge('sub_dead', [first[2]!.ack_id!]);
    now += LEASE;
    const second = await lease('sub_dead', now, 10, max);
    assert.deepEqual(second.map((m) => m.delivery_attempt), [2, 2]);
    await suite.store.noteDeliveryError('sub_dead', [second[0]!.ack_id!], 'HTTP 503');
    await suite.store.noteDeliveryError('sub_dead', [], 'nothing');
    // Push gives a failed batch back at once: the next lease sees it expired at the maximum.
    await suite.store.modifyAckDeadline('sub_dead', second.map((m) => m.ack_id!), now);
    assert.deepEqual(await lease('sub_dead', now, 10, max), []);
    assert.equal(await suite.store.acknowledge('sub_dead', [second[1]!.ack_id!]), 0, 'a dead letter cannot be acknowledged');
    assert.deepEqual(await suite.store.backlogCounts('sub_dead', now), { available: 0, in_flight: 0, dead: 2, oldest_publish_time: null });
    const dead = await suite.store.listDeadLetters('sub_dead', { limit: 10 });
    assert.equal(dead.total, 2);
    assert.deepEqual(ids(dead.rows), ['a:uuid-2', 'a:uuid-1'], 'newest dead first (one instant: by message id, descending)');
    const a1 = dead.rows.find((m) => m.message_id === 'a:uuid-1');
    assert.equal(a1?.dead_at, now);
    assert.equal(a1?.delivery_attempt, 2);
    assert.equal(a1?.last_error, 'HTTP 503');
    assert.equal(a1?.ack_id, null);
    assert.deepEqual(ids((await suite.store.listDeadLetters('sub_dead', { limit: 1, offset: 1 })).rows), ['a:uuid-1']);
    assert.deepEqual(ids((await suite.store.listDeadLetters('sub_dead', { limit: 5, after: { created_at: now, id: 'a:uuid-2' } })).rows), ['a:uuid-1']);

    assert.equal(await suite.store.replayDeadLetters('sub_dead', ['a:uuid-2', 'a:uuid-404']), 1);
    const replayed = await lease('sub_dead', now + 1, 10, max);
    assert.deepEqual(ids(replayed), ['a:uuid-2']);
    assert.equal(replayed[0]?.delivery_attempt, 1, 'attempts start again');
    assert.equal(replayed[0]?.last_error, null);
    assert.equal(await suite.store.replayDeadLetters('sub_dead', null), 1);
    assert.deepEqual(await suite.store.backlogCounts('sub_dead', now + 2), { available: 1, in_flight: 1, dead: 0, oldest_publish_time: T0 + 1 });
    assert.equal(await suite.store.replayDeadLetters('sub_dead', null), 0);
  });

  it('drops staged messages older than the retention, counting them, and keeps dead letters', async () => {
    await staged('sub_stale', [message('a', 1), message('b', 2), message('c', 50), message('d', 3)]);
    const [a1] = await lease('sub_stale', T0, 1, 1);
    assert.equal(a1?.message_id, 'a:uuid-1');
    // a:1 ran out after its one attempt: dead; b:2 goes out.
    assert.deepEqual(ids(await lease('sub_stale', T0 + LEASE, 1, 1)), ['b:uuid-2']);
    assert.equal(await suite.store.dropStaleMessages('sub_stale', T0 + 10), 2, 'b:2 (out or not) and d:3; a:1 is dead, c:50 recent');
    assert.equal((await suite.store.getSubscription('sub_stale'))?.dropped_messages, 2);
    assert.deepEqual(await suite.store.backlogCounts('sub_stale', T0 + LEASE), { available: 1, in_flight: 0, dead: 1, oldest_publish_time: T0 + 50 });
    assert.equal(await suite.store.dropStaleMessages('sub_stale', T0 + 10), 0);
  });

  it('hands push subscriptions to one sender at a time, and records an attempt only from the lease holder', async () => {
    const push = (id: string, extra: Partial<SubscriptionRow> = {}) =>
      suite.store.insertSubscription(subscription(id, { type: 'push', push_endpoint: 'https://hooks.example.com/p', push_secret_sealed: 'sealed', ...extra }));
    await push('sub_p1');
    await push('sub_p2', { push_next_attempt_at: T0 + 1000 });
    await push('sub_p3', { state: 'paused' });
    const now = T0 + 10_000_000;
    const claimedA = await suite.store.claimPushSubscriptions(now, 'node-a', now + 30_000, 10);
    assert.deepEqual(claimedA.map((s) => s.id), ['sub_p1', 'sub_p2'], 'never tried first; paused and pull ones never');
    assert.ok(claimedA.every((s) => s.lease_owner === 'node-a' && s.lease_until === now + 30_000));
    assert.deepEqual(await suite.store.claimPushSubscriptions(now + 1, 'node-b', now + 30_000, 10), [], 'held by a');
    assert.equal(await suite.store.finishPush('sub_p1', 'node-b', { status: 200, error: null, attempted_at: now, next_attempt_at: null, failures: 0 }), false);
    assert.equal(
      await suite.store.finishPush('sub_p1', 'node-a', { status: 503, error: 'HTTP 503', attempted_at: now + 5, next_attempt_at: now + 800, failures: 1 }),
      true,
    );
    const p1 = await suite.store.getSubscription('sub_p1');
    assert.deepEqual(
      { status: p1?.push_last_status, error: p1?.push_last_error, at: p1?.push_last_attempt_at, next: p1?.push_next_attempt_at, failures: p1?.push_failures, owner: p1?.lease_owner, until: p1?.lease_until },
      { status: 503, error: 'HTTP 503', at: now + 5, next: now + 800, failures: 1, owner: null, until: now + 30_000 },
    );
    assert.equal(await suite.store.finishPush('sub_p1', 'node-a', { status: 200, error: null, attempted_at: now, next_attempt_at: null, failures: 0 }), false, 'the lease is gone');
    assert.deepEqual(await suite.store.claimPushSubscriptions(now + 799, 'node-b', now + 60_000, 10), [], 'backing off; p2 still held');
    assert.deepEqual((await suite.store.claimPushSubscriptions(now + 800, 'node-b', now + 60_000, 10)).map((s) => s.id), ['sub_p1']);
    // node-a died holding p2: its lease runs out and node-b takes over.
    assert.deepEqual((await suite.store.claimPushSubscriptions(now + 30_000, 'node-b', now + 60_000, 10)).map((s) => s.id), ['sub_p2']);
    assert.equal(await suite.store.finishPush('sub_p2', 'node-a', { status: 200, error: null, attempted_at: now, next_attempt_at: null, failures: 0 }), false);
    assert.equal(await suite.store.finishPush('sub_p2', 'node-b', { status: 204, error: null, attempted_at: now + 30_001, next_attempt_at: null, failures: 0 }), true);
    assert.equal((await suite.store.getSubscription('sub_p2'))?.push_next_attempt_at, null);
    assert.deepEqual((await suite.store.claimPushSubscriptions(now + 30_002, 'node-a', now + 90_000, 1)).map((s) => s.id), ['sub_p2'], 'limit 1');
  });

  it('gives every due push subscription its turn: the least recently claimed first', async () => {
    for (const earlier of (await suite.store.listSubscriptions({ limit: 100 })).rows) await suite.store.deleteSubscription(earlier.id);
    for (const id of ['sub_r1', 'sub_r2', 'sub_r3']) {
      await suite.store.insertSubscription(subscription(id, { type: 'push', push_endpoint: 'https://hooks.example.com/r', push_secret_sealed: 'sealed' }));
    }
    const turns: string[] = [];
    for (let turn = 0; turn < 6; turn += 1) {
      const at = T0 + 20_000_000 + turn;
      const [claimed] = await suite.store.claimPushSubscriptions(at, 'node-a', at + 30_000, 1);
      assert.ok(claimed !== undefined);
      turns.push(claimed.id);
      // Nothing to send: freed at once, its record unchanged (as the dispatcher does).
      assert.equal(await suite.store.finishPush(claimed.id, 'node-a', { status: null, error: null, attempted_at: null, next_attempt_at: null, failures: 0 }), true);
    }
    assert.deepEqual(turns, ['sub_r1', 'sub_r2', 'sub_r3', 'sub_r1', 'sub_r2', 'sub_r3']);
  });

  it("removes a hard-deleted client's staged messages, and a deleted subscription's", async () => {
    await staged('sub_cascade', [message('gone', 1), message('a', 2), message('gone', 3)]);
    assert.equal(await suite.store.deleteClient('gone'), true);
    assert.deepEqual(ids(await lease('sub_cascade', T0)), ['a:uuid-2']);
    assert.equal(await suite.store.stageMessages('sub_cascade', 100, 200, [message('gone', 150)], 0), true, 'staging skips the deleted client');
    assert.deepEqual(await suite.store.backlogCounts('sub_cascade', T0), { available: 0, in_flight: 1, dead: 0, oldest_publish_time: T0 + 2 });
    assert.equal(await suite.store.deleteSubscription('sub_cascade'), true);
    assert.deepEqual(await suite.store.backlogCounts('sub_cascade', T0), { available: 0, in_flight: 0, dead: 0, oldest_publish_time: null });
    assert.deepEqual(await suite.store.leaseMessages('sub_cascade', T0 + LEASE, T0 + 2 * LEASE, 10, 5, newAckId), []);
  });

  it('never hands one message, or one client, to two concurrent callers', async () => {
    const clients = ['a', 'b', 'c', 'd'];
    await staged('sub_race', clients.flatMap((c, i) => [1, 2, 3, 4, 5].map((n) => message(c, i * 10 + n))));
    for (let round = 0; round < 3; round += 1) {
      const now = T0 + round * LEASE;
      const batches = await Promise.all(Array.from({ length: 8 }, () => suite.store.leaseMessages('sub_race', now, now + LEASE, 3, 10, newAckId)));
      const all = batches.flat();
      assert.equal(new Set(ids(all)).size, all.length, 'no message twice');
      const holders = new Map<string, number>();
      batches.forEach((batch, holder) => {
        for (const m of batch) {
          assert.equal(holders.get(m.client_id) ?? holder, holder, `client ${m.client_id} went to two holders`);
          holders.set(m.client_id, holder);
        }
        // Within a holder, a client's messages come in seq order.
        assert.deepEqual(batch.map((m) => m.seq), [...batch.map((m) => m.seq)].sort((x, y) => x - y));
      });
      assert.ok(all.length >= 3, 'someone got messages');
      // Acknowledge half of each holder's batch: the rest runs out and comes back next round.
      await Promise.all(batches.map((batch) => suite.store.acknowledge('sub_race', batch.slice(0, 1).map((m) => m.ack_id!))));
    }
  });
});
