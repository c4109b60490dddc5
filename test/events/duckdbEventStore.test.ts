import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import type { CommittedEvent, StoredEvent } from '../../src/events/eventStore.js';
import { storedEvent } from '../helpers/events.js';

/** A row as read back, without its commit position (checked on its own below). */
const withoutSeq = ({ seq: _seq, ...row }: CommittedEvent): StoredEvent => row;

describe('DuckDB event store', () => {
  let store: DuckDbEventStore;
  before(async () => {
    store = await DuckDbEventStore.open(':memory:');
    await store.migrate();
  });
  after(() => store.close());

  it('stores every field and reads it back unchanged', async () => {
    const row = storedEvent({ client_id: 'fields', properties: JSON.stringify({ a: [1, { b: 'ü€😀' }], c: null }), is_bot: true, anon_distinct_id: 'anon-1' });
    assert.deepEqual(await store.append([row], []), { duplicateIndexes: [] });
    assert.deepEqual((await store.recentEvents('fields', { limit: 10 })).map(withoutSeq), [row]);
  });

  it('stores a uuid once: repeats within one call and across calls are reported, not stored', async () => {
    const first = storedEvent({ client_id: 'dedup' });
    const second = storedEvent({ client_id: 'dedup' });
    const outcome = await store.append([first, second, { ...first, event: 'retry' }], []);
    assert.deepEqual(outcome.duplicateIndexes, [2]);
    const later = await store.append([storedEvent({ client_id: 'dedup' }), { ...second, event: 'retry' }], []);
    assert.deepEqual(later.duplicateIndexes, [1]);
    const rows = await store.recentEvents('dedup', { limit: 10 });
    assert.equal(rows.length, 3);
    assert.ok(rows.every((row) => row.event === '$pageview'), 'the first copy is the one kept');
  });

  it('dedups large groups (keys found by a join) exactly like small ones', async () => {
    const first = Array.from({ length: 600 }, (_, i) => storedEvent({ client_id: 'bulk', event: `first-${i}` }));
    assert.deepEqual((await store.append(first, [])).duplicateIndexes, []);
    const fresh = Array.from({ length: 10 }, () => storedEvent({ client_id: 'bulk', event: 'fresh' }));
    // 300 known + 10 new keys go the small way (IN list); 600 known + 10 new the large way (join).
    const small = await store.append([...first.slice(0, 300), ...fresh.slice(0, 5)], []);
    assert.deepEqual(small.duplicateIndexes, Array.from({ length: 300 }, (_, i) => i));
    const large = await store.append([...first, ...fresh.slice(5)], []);
    assert.deepEqual(large.duplicateIndexes, Array.from({ length: 600 }, (_, i) => i));
    const rows = await store.recentEvents('bulk', { limit: 1000 });
    assert.equal(rows.length, 610);
    const byUuid = new Map(rows.map((r) => [r.uuid, withoutSeq(r)]));
    assert.deepEqual(byUuid.get(first[42]!.uuid), first[42], 'every field survives a large group');
  });

  it('stores each key once over any run of new events, retries of stored ones and repeats in one write, small and large', async () => {
    // Writes of new events insert their keys without looking first; a write meeting a stored key
    // is redone looking first, and so are the writes after it until one meets none. Any order of
    // such writes must answer and store exactly what one key set would.
    const write = fc.record({
      fresh: fc.nat({ max: 6 }),
      // Indexes into the events stored so far (modulo their count), resent as retries.
      retries: fc.array(fc.nat(), { maxLength: 4 }),
      repeatInWrite: fc.boolean(),
      // Now and then a write over 500 keys, whose stored keys are found by a join.
      large: fc.nat({ max: 7 }).map((n) => n === 0),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 8 }), async (writes) => {
        const clientId = `claims-${(run += 1)}`;
        const kept: StoredEvent[] = [];
        for (const w of writes) {
          const fresh = Array.from({ length: w.large ? 520 : w.fresh }, (_, i) => storedEvent({ client_id: clientId, event: `new-${i}` }));
          const retries = kept.length === 0 ? [] : w.retries.map((i) => ({ ...kept[i % kept.length]!, event: 'retry' }));
          const events = [...fresh, ...retries, ...(w.repeatInWrite && fresh.length > 0 ? [{ ...fresh[0]!, event: 'repeat' }] : [])];
          if (events.length === 0) continue;
          const seen = new Set(kept.map((e) => e.uuid));
          const expected: number[] = [];
          events.forEach((event, i) => {
            if (seen.has(event.uuid)) expected.push(i);
            else seen.add(event.uuid);
          });
          assert.deepEqual((await store.append(events, [])).duplicateIndexes, expected);
          kept.push(...fresh);
        }
        const rows = await store.recentEvents(clientId, { limit: 10_000 });
        assert.deepEqual(rows.map((r) => r.uuid).sort(), kept.map((e) => e.uuid).sort(), 'every new event once, no retry or repeat');
        assert.ok(rows.every((r) => r.event.startsWith('new-')), 'the first copy is the one kept');
      }),
      { numRuns: 40 },
    );
  });

  it('forgets the keys of a transaction that failed, so the retry is stored', async () => {
    const good = storedEvent({ client_id: 'rollback' });
    const broken = storedEvent({ client_id: 'rollback', distinct_id: null as unknown as string });
    await assert.rejects(store.append([good, broken], []));
    assert.equal((await store.recentEvents('rollback', { limit: 5 })).length, 0, 'nothing of the failed group is stored');
    assert.deepEqual((await store.append([good], [])).duplicateIndexes, [], 'the retried event is not taken for a duplicate');
    assert.equal((await store.recentEvents('rollback', { limit: 5 })).length, 1);
  });

  it('treats the same uuid under two clients as two events', async () => {
    const shared = storedEvent({ client_id: 'left' });
    const outcome = await store.append([shared, { ...shared, client_id: 'right' }], []);
    assert.deepEqual(outcome.duplicateIndexes, []);
    assert.equal((await store.recentEvents('right', { limit: 5 })).length, 1);
  });

  it('lists newest first, honours limit and receivedAfter, and never shows another client', async () => {
    const base = Date.parse('2026-05-01T00:00:00.000Z');
    const rows = [0, 1, 2, 3].map((i) => storedEvent({ client_id: 'recent', received_at: base + i * 1000, event: `e${i}` }));
    await store.append(rows, []);
    await store.append([storedEvent({ client_id: 'recent-other', received_at: base + 10_000 })], []);
    assert.deepEqual((await store.recentEvents('recent', { limit: 3 })).map((r) => r.event), ['e3', 'e2', 'e1']);
    assert.deepEqual((await store.recentEvents('recent', { limit: 10, receivedAfter: base + 1000 })).map((r) => r.event), ['e3', 'e2']);
  });

  it('numbers events in commit order, whatever their received_at, and pages after a seq without skipping', async () => {
    const base = Date.parse('2026-05-02T00:00:00.000Z');
    // Received in one order, committed in another: the second commit holds the earlier receipt.
    await store.append([storedEvent({ client_id: 'seq', received_at: base + 5000, event: 'late-received' })], []);
    await store.append([storedEvent({ client_id: 'seq', received_at: base + 1000, event: 'early-received' })], []);
    const large = Array.from({ length: 250 }, (_, i) => storedEvent({ client_id: 'seq', received_at: base + 3000, event: `bulk-${i}` }));
    await store.append(large, []);
    await store.append([storedEvent({ client_id: 'seq-other' }), storedEvent({ client_id: 'seq', event: 'last' })], []);
    const all = await store.recentEvents('seq', { limit: 500 });
    assert.equal(all.length, 253);
    assert.deepEqual([all.at(-1)?.event, all.at(-2)?.event, all[0]?.event], ['late-received', 'early-received', 'last'], 'newest committed first');
    const seqs = all.map((r) => r.seq);
    assert.ok(seqs.every((seq, i) => i === 0 || seq < seqs[i - 1]!), 'strictly decreasing, newest first');
    // A poller that goes on from the highest seq it got sees every event once.
    const seen: string[] = [];
    let cursor = 0;
    for (;;) {
      const page = await store.recentEvents('seq', { limit: 40, afterSeq: cursor });
      if (page.length === 0) break;
      assert.ok(page.every((r, i) => i === 0 || r.seq < page[i - 1]!.seq), 'a page is newest first too');
      seen.push(...page.map((r) => r.uuid).reverse());
      cursor = page[0]!.seq;
    }
    assert.deepEqual(seen, all.map((r) => r.uuid).reverse());
    assert.deepEqual(
      (await store.recentEvents('seq', { limit: 10, afterSeq: all[2]!.seq })).map((r) => r.event),
      ['last', 'bulk-249'],
    );
  });

  it('deletes a client’s events and identity links, and only that client’s', async () => {
    await store.append([storedEvent({ client_id: 'gone' })], [{ client_id: 'gone', distinct_id: 'a', person_id: 'p', created_at: 1 }]);
    await store.append([storedEvent({ client_id: 'kept' })], []);
    const resent = storedEvent({ client_id: 'gone' });
    await store.append([resent], []);
    await store.deleteClient('gone');
    assert.equal((await store.recentEvents('gone', { limit: 5 })).length, 0);
    assert.deepEqual((await store.append([resent], [])).duplicateIndexes, [], 'a recreated client starts with no remembered uuids');
    assert.equal((await store.recentEvents('kept', { limit: 5 })).length, 1);
  });

  it('keeps the first person of a distinct id', async () => {
    await store.append([], [{ client_id: 'ids', distinct_id: 'anon', person_id: 'alice', created_at: 1 }]);
    await store.append([], [{ client_id: 'ids', distinct_id: 'anon', person_id: 'mallory', created_at: 2 }, { client_id: 'ids', distinct_id: 'anon2', person_id: 'alice', created_at: 2 }]);
    const links = await store.identityLinks('ids');
    assert.deepEqual(links.map((l) => [l.distinct_id, l.person_id]), [['anon', 'alice'], ['anon2', 'alice']]);
  });
});

describe('DuckDB event store on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mythic-duck-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps committed events across a reopen, and schema migrations run once', async () => {
    const path = join(dir, 'events.duckdb');
    const first = await DuckDbEventStore.open(path);
    await first.migrate();
    const row = storedEvent({ client_id: 'disk' });
    await first.append([row], []);
    await first.close();
    const second = await DuckDbEventStore.open(path);
    await second.migrate();
    assert.deepEqual((await second.recentEvents('disk', { limit: 5 })).map(withoutSeq), [row]);
    const again = await second.append([row], []);
    assert.deepEqual(again.duplicateIndexes, [0], 'dedup holds across restarts');
    await second.close();
  });

  it('checkpoints every 128 MB of WAL rather than DuckDB’s default 16 MB (fewer rewrites of the key index)', async () => {
    const store = await DuckDbEventStore.open(join(dir, 'checkpoints.duckdb'));
    try {
      const [[threshold]] = (await store.inspect({ sql: "SELECT current_setting('checkpoint_threshold')", params: [] })) as [[string]];
      assert.match(threshold, /^12\d(\.\d+)? MiB$/);
    } finally {
      await store.close();
    }
  });
});
