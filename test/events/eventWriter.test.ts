import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DuckDbEventStore } from '../../src/events/duckdb/duckdbEventStore.js';
import { Overloaded } from '../../src/ingest/eventSink.js';
import { EventWriter } from '../../src/ingest/eventWriter.js';
import { storedEvent } from '../helpers/events.js';

describe('group-commit event writer', () => {
  let store: DuckDbEventStore;
  before(async () => {
    store = await DuckDbEventStore.open(':memory:');
    await store.migrate();
  });
  after(() => store.close());

  it('resolves each write only once its events can be read back, with its own duplicate count', async () => {
    const writer = new EventWriter(store);
    const repeated = storedEvent({ client_id: 'w1' });
    const writes = Array.from({ length: 40 }, (_, i) =>
      writer.write(i === 39 ? [repeated, storedEvent({ client_id: 'w1' })] : [i === 0 ? repeated : storedEvent({ client_id: 'w1' })], []).then(async (result) => {
        const stored = await store.recentEvents('w1', { limit: 100 });
        return { result, visible: stored.length };
      }),
    );
    const outcomes = await Promise.all(writes);
    assert.deepEqual(outcomes[0]!.result, { inserted: 1, duplicates: 0 });
    assert.deepEqual(outcomes[39]!.result, { inserted: 1, duplicates: 1 });
    for (const outcome of outcomes) assert.ok(outcome.visible >= 1, 'an acknowledged event is already stored');
    assert.equal((await store.recentEvents('w1', { limit: 100 })).length, 40);
    assert.equal(writer.pendingEvents, 0);
  });

  it('groups writes that arrive during a commit into fewer transactions', async () => {
    let transactions = 0;
    // The real store, with its transactions counted.
    const counting = Object.create(store, {
      append: { value: (...args: Parameters<typeof store.append>) => (transactions++, store.append(...args)) },
    }) as DuckDbEventStore;
    const grouped = new EventWriter(counting);
    await Promise.all(Array.from({ length: 50 }, () => grouped.write([storedEvent({ client_id: 'w2' })], [])));
    assert.ok(transactions < 10, `50 concurrent writes took ${transactions} transactions`);
    assert.equal((await store.recentEvents('w2', { limit: 100 })).length, 50);
  });

  it('refuses writes beyond the queue bound with Overloaded, and stores every accepted one', async () => {
    const writer = new EventWriter(store, { maxQueuedEvents: 20, retryAfterSeconds: 2 });
    const attempts = Array.from({ length: 30 }, (_, i) =>
      writer.write([storedEvent({ client_id: 'w3', event: `e${i}` }), storedEvent({ client_id: 'w3', event: `e${i}` })], []).then(
        () => 'stored' as const,
        (error: unknown) => {
          assert.ok(error instanceof Overloaded);
          assert.equal(error.retryAfterSeconds, 2);
          return 'refused' as const;
        },
      ),
    );
    const results = await Promise.all(attempts);
    const stored = results.filter((r) => r === 'stored').length;
    assert.ok(results.includes('refused'), 'some writes were refused');
    assert.ok(stored >= 10, `${stored} writes accepted`);
    assert.equal((await store.recentEvents('w3', { limit: 500 })).length, stored * 2);
  });

  it('rejects every write of a failed transaction, and recovers for the next ones', async () => {
    const broken = await DuckDbEventStore.open(':memory:');
    await broken.migrate();
    const writer = new EventWriter(broken);
    // A missing event name violates a NOT NULL column inside the transaction (ingestion never sends one).
    const bad = writer.write([storedEvent({ client_id: 'w4', event: null as unknown as string })], []);
    const sameGroup = writer.write([storedEvent({ client_id: 'w4' })], []);
    await assert.rejects(bad);
    await sameGroup.catch(() => undefined);
    await writer.write([storedEvent({ client_id: 'w4', event: 'after' })], []);
    const rows = await broken.recentEvents('w4', { limit: 10 });
    assert.ok(rows.some((r) => r.event === 'after'));
    assert.ok(rows.every((r) => r.event !== null));
    await broken.close();
  });
});
