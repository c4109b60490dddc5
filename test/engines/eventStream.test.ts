import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { openConnection } from '../../src/engines/clickhouse/connection.js';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import { clickhouseHorizon } from '../../src/engines/clickhouse/stream.js';
import { parseClickHouseUrl } from '../../src/engines/clickhouse/url.js';
import { openEventStore } from '../../src/engines/openEventStore.js';
import { CLICKHOUSE_SKIP_REASON, openClickHouseTestStore } from '../helpers/clickhouseEngine.js';
import type { EventStore } from '../../src/events/eventStore.js';
import type { StreamQuery } from '../../src/pubsub/eventStream.js';
import { describeEachEngine, type OpenedEngine } from '../helpers/engines.js';
import { storedEvent } from '../helpers/events.js';

/** What Pub/Sub reads from an engine (EventStream): the same answers from both engines. */

const ALL = { client_ids: null, events: null };
const DAY = Date.parse('2026-03-01T00:00:00.000Z');

describeEachEngine('event stream', (engine) => {
  let opened: OpenedEngine;
  let store: EventStore;
  /** The horizon before anything was stored, and after the fixture's events were. */
  let start: number;
  let horizon: number;
  let seqOf: Map<string, number>;
  const q = (query: Partial<StreamQuery>): StreamQuery => ({ afterSeq: start, uptoSeq: horizon, filter: ALL, ...query });

  before(async () => {
    // ClickHouse with no settle window: one node in one process, whose own inserts the horizon
    // waits for anyway (the window itself is covered below, by clickhouseHorizon).
    opened = await engine.open({ settleMs: 0 });
    store = opened.store;
    start = await store.streamHorizon();
    // Three commits, in an order unlike the events' times and clients.
    await store.append([storedEvent({ client_id: 'b', uuid: 's1', event: 'signup', received_at: DAY + 30 }), storedEvent({ client_id: 'a', uuid: 's2', received_at: DAY + 10 })], []);
    await store.append([storedEvent({ client_id: "o'brien", uuid: 's3', received_at: DAY + 20 })], []);
    await store.append([storedEvent({ client_id: 'a', uuid: 's4', event: 'signup', received_at: DAY + 40 }), storedEvent({ client_id: 'b', uuid: 's5', received_at: DAY + 5 })], []);
    // ClickHouse stamps seqs from the clock: let it pass the last stamp (a microsecond per event).
    await sleep(5);
    horizon = await store.streamHorizon();
    const events = await store.streamEvents(q({}), 100);
    seqOf = new Map(events.map((e) => [e.uuid, e.seq]));
  });
  after(() => opened.dispose());

  it('reads the events above a cursor up to a horizon in commit order, whole, at most `limit`', async () => {
    const events = await store.streamEvents(q({}), 100);
    assert.deepEqual(events.map((e) => e.uuid), ['s1', 's2', 's3', 's4', 's5']);
    const seqs = events.map((e) => e.seq);
    assert.deepEqual([...seqs].sort((x, y) => x - y), seqs, 'ascending seq');
    assert.equal(new Set(seqs).size, 5);
    assert.ok(seqs.every((s) => s > start && s <= horizon));
    const first = events[0]!;
    assert.equal(first.client_id, 'b');
    assert.equal(first.event, 'signup');
    assert.equal(first.received_at, DAY + 30);
    assert.equal(first.path, '/pricing');
    assert.equal(first.is_bot, false);
    assert.deepEqual((await store.streamEvents(q({}), 2)).map((e) => e.uuid), ['s1', 's2']);
    assert.deepEqual((await store.streamEvents(q({ afterSeq: seqOf.get('s2')! }), 2)).map((e) => e.uuid), ['s3', 's4'], 'strictly after the cursor');
    assert.deepEqual((await store.streamEvents(q({ uptoSeq: seqOf.get('s3')! }), 100)).map((e) => e.uuid), ['s1', 's2', 's3'], 'up to the horizon, inclusive');
    assert.deepEqual(await store.streamEvents(q({ afterSeq: horizon }), 100), []);
    assert.deepEqual(await store.streamEvents(q({}), 0), []);
  });

  it('filters by clients and by event names, both bound as values', async () => {
    const uuids = async (filter: StreamQuery['filter']) => (await store.streamEvents(q({ filter }), 100)).map((e) => e.uuid);
    assert.deepEqual(await uuids({ client_ids: ['a'], events: null }), ['s2', 's4']);
    assert.deepEqual(await uuids({ client_ids: ["o'brien", 'b'], events: null }), ['s1', 's3', 's5']);
    assert.deepEqual(await uuids({ client_ids: null, events: ['signup'] }), ['s1', 's4']);
    assert.deepEqual(await uuids({ client_ids: ['b'], events: ['signup', '$pageview'] }), ['s1', 's5']);
    assert.deepEqual(await uuids({ client_ids: ["a') OR ('1'='1"], events: null }), []);
    assert.deepEqual(await uuids({ client_ids: ['nobody'], events: null }), []);
  });

  it('matches nothing with an empty client list (every client a filter named was deleted), never everything', async () => {
    const none = { client_ids: [], events: null };
    assert.deepEqual(await store.streamEvents(q({ filter: none }), 100), []);
    assert.deepEqual(await store.streamBacklog(q({ filter: none })), { events: 0, oldest_received_at: null });
    assert.equal(await store.streamSeqKeeping(q({ filter: none }), 0), null);
  });

  it('counts the backlog of a query and finds its oldest received_at', async () => {
    assert.deepEqual(await store.streamBacklog(q({})), { events: 5, oldest_received_at: DAY + 5 });
    assert.deepEqual(await store.streamBacklog(q({ filter: { client_ids: ['a'], events: null } })), { events: 2, oldest_received_at: DAY + 10 });
    assert.deepEqual(await store.streamBacklog(q({ afterSeq: seqOf.get('s4')! })), { events: 1, oldest_received_at: DAY + 5 });
    assert.deepEqual(await store.streamBacklog(q({ afterSeq: horizon })), { events: 0, oldest_received_at: null });
    assert.deepEqual(await store.streamBacklog(q({ filter: { client_ids: ['nobody'], events: null } })), { events: 0, oldest_received_at: null });
  });

  it('names the seq below which only the newest `keep` events of a query are left', async () => {
    assert.equal(await store.streamSeqKeeping(q({}), 2), seqOf.get('s3'), 'the third newest: drop it and every older one');
    assert.equal(await store.streamSeqKeeping(q({}), 0), seqOf.get('s5'));
    assert.equal(await store.streamSeqKeeping(q({}), 3), seqOf.get('s2'), 'found from the oldest end');
    assert.equal(await store.streamSeqKeeping(q({}), 4), seqOf.get('s1'));
    assert.equal(await store.streamSeqKeeping(q({}), 5), null, 'no more than keep: nothing to drop');
    assert.equal(await store.streamSeqKeeping(q({ filter: { client_ids: ['b'], events: null } }), 1), seqOf.get('s1'));
    assert.equal(await store.streamSeqKeeping(q({ afterSeq: seqOf.get('s1')! }), 3), seqOf.get('s2'));
  });

  it('puts every event committed after a horizon above it, deletes notwithstanding', async () => {
    const before = await store.streamHorizon();
    assert.ok(before >= horizon, 'the horizon does not go back');
    await store.append([storedEvent({ client_id: 'late', uuid: 'late-1' })], []);
    await sleep(5);
    const [late] = await store.streamEvents(q({ afterSeq: before, uptoSeq: await store.streamHorizon(), filter: { client_ids: ['late'], events: null } }), 10);
    assert.equal(late?.uuid, 'late-1');
    assert.ok(late.seq > before);
    // Deleting the newest events must not bring the horizon (or the next seq) back below them.
    const highest = await store.streamHorizon();
    await store.deleteClient('late');
    assert.ok((await store.streamHorizon()) >= Math.min(highest, late.seq));
    await store.append([storedEvent({ client_id: 'later', uuid: 'later-1' })], []);
    await sleep(5);
    const [later] = await store.streamEvents(q({ afterSeq: late.seq, uptoSeq: await store.streamHorizon() }), 10);
    assert.equal(later?.uuid, 'later-1');
  });
});

describe('the DuckDB horizon', () => {
  it('is the highest seq ever committed, read back after a restart, deleted events included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mythic-horizon-'));
    try {
      let store = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
      await store.migrate();
      assert.equal(await store.streamHorizon(), 0);
      await store.append([storedEvent({ client_id: 'kept' }), storedEvent({ client_id: 'gone' }), storedEvent({ client_id: 'gone' })], []);
      const highest = await store.streamHorizon();
      assert.deepEqual((await store.streamEvents({ afterSeq: 0, uptoSeq: highest, filter: ALL }, 10)).map((e) => e.seq), [highest - 2, highest - 1, highest]);
      await store.deleteClient('gone');
      assert.equal(await store.streamHorizon(), highest);
      await store.close();
      store = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
      assert.equal(await store.streamHorizon(), highest, 'from the high-water mark: the newest events were deleted');
      await store.append([storedEvent({ client_id: 'new' })], []);
      assert.equal(await store.streamHorizon(), highest + 1);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the DuckDB event stream', () => {
  it('reads in seq spans: finds a query’s events past long runs of others’ events and of deleted ones, in order, up to the limit', async () => {
    const store = await DuckDbEventStore.open(':memory:');
    try {
      await store.migrate();
      const start = await store.streamHorizon();
      const others = (client: string, n: number) => Array.from({ length: n }, () => storedEvent({ client_id: client }));
      await store.append([storedEvent({ client_id: 'mine', uuid: 'm1' }), ...others('other', 50), storedEvent({ client_id: 'mine', uuid: 'm2' })], []);
      await store.append([...others('other', 3000), storedEvent({ client_id: 'mine', uuid: 'm3' }), storedEvent({ client_id: 'mine', uuid: 'm4' })], []);
      await store.append([...others('gone', 700), storedEvent({ client_id: 'mine', uuid: 'm5' })], []);
      await store.deleteClient('gone');
      const horizon = await store.streamHorizon();
      const mine = { client_ids: ['mine'], events: null };
      const read = (afterSeq: number, limit: number, filter: StreamQuery['filter'] = mine) => store.streamEvents({ afterSeq, uptoSeq: horizon, filter }, limit);
      const all = await read(start, 100);
      assert.deepEqual(all.map((e) => e.uuid), ['m1', 'm2', 'm3', 'm4', 'm5']);
      const seq = new Map(all.map((e) => [e.uuid, e.seq]));
      assert.deepEqual((await read(start, 3)).map((e) => e.uuid), ['m1', 'm2', 'm3'], 'the limit, across spans');
      assert.deepEqual((await read(seq.get('m2')!, 1)).map((e) => e.uuid), ['m3'], 'past 3,000 others');
      assert.deepEqual((await read(seq.get('m4')!, 10, ALL)).map((e) => e.uuid), ['m5'], 'past 700 deleted');
      assert.deepEqual(await store.streamEvents({ afterSeq: start, uptoSeq: seq.get('m3')! - 1, filter: mine }, 10).then((es) => es.map((e) => e.uuid)), ['m1', 'm2'], 'not above uptoSeq');
      const unfiltered = await read(start, 160, ALL);
      assert.equal(unfiltered.length, 160);
      assert.deepEqual(unfiltered.map((e) => e.seq), Array.from({ length: 160 }, (_, i) => start + 1 + i), 'dense, ascending');
      // The backlog bound: a range no longer than `keep` needs no count; a longer one is counted.
      assert.equal(await store.streamSeqKeeping({ afterSeq: start, uptoSeq: horizon, filter: ALL }, horizon - start), null);
      assert.equal(await store.streamSeqKeeping({ afterSeq: start, uptoSeq: horizon, filter: mine }, 4), seq.get('m1'));
      assert.equal(await store.streamSeqKeeping({ afterSeq: start, uptoSeq: horizon, filter: ALL }, 3055), null, '700 deleted: 3,055 events left in a longer range');
      assert.equal(await store.streamSeqKeeping({ afterSeq: start, uptoSeq: horizon, filter: ALL }, 3054), seq.get('m1'));
    } finally {
      await store.close();
    }
  });
});

describe('the ClickHouse horizon', () => {
  it('stays a settle window behind the clock, and below this node’s insert in flight', () => {
    const now = Date.parse('2026-03-01T12:00:00.000Z');
    assert.equal(clickhouseHorizon(now, 5000, undefined), (now - 5000) * 1000);
    assert.equal(clickhouseHorizon(now, 0, undefined), now * 1000);
    // An insert stamped before the window closed is waited for whatever the window says.
    assert.equal(clickhouseHorizon(now, 0, now * 1000 - 7), now * 1000 - 8);
    assert.equal(clickhouseHorizon(now, 5000, now * 1000), (now - 5000) * 1000, 'an insert in flight above the window changes nothing');
    assert.equal(clickhouseHorizon(1000, 5000, undefined), 0, 'never below zero');
  });
});

describe('the ClickHouse event stream', { skip: CLICKHOUSE_SKIP_REASON ?? false }, () => {
  it('takes its settle window from the configuration (MYTHIC_PUBSUB_SETTLE_MS), 5 s unless set', async () => {
    const fixture = await openClickHouseTestStore();
    const dataDir = mkdtempSync(join(tmpdir(), 'mythic-stream-'));
    const configured = await openEventStore({ dataDir, clickhouseUrl: fixture.url, pubsubSettleMs: 60_000 });
    try {
      const before = Date.now();
      const [byDefault, bySetting] = [await fixture.store.streamHorizon(), await configured.streamHorizon()];
      const after = Date.now();
      assert.ok(byDefault >= (before - 5000) * 1000 && byDefault <= (after - 5000) * 1000, `${byDefault} is 5 s behind`);
      assert.ok(bySetting >= (before - 60_000) * 1000 && bySetting <= (after - 60_000) * 1000, `${bySetting} is 60 s behind`);
      // An event just stored is not read yet: another node's insert stamped as long ago might still be in flight.
      await fixture.store.append([storedEvent({ client_id: 'fresh' })], []);
      assert.deepEqual(await fixture.store.streamEvents({ afterSeq: 0, uptoSeq: await fixture.store.streamHorizon(), filter: ALL }, 10), []);
    } finally {
      await configured.close();
      await fixture.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('reads above a cursor through the seq_minmax skip index (migration 5), not the whole table', async () => {
    const fixture = await openClickHouseTestStore({ settleMs: 0 });
    const connection = await openConnection(parseClickHouseUrl(fixture.url));
    try {
      for (const group of [1, 2, 3]) await fixture.store.append([storedEvent({ client_id: `c${group}` }), storedEvent({ client_id: `c${group}` })], []);
      const database = parseClickHouseUrl(fixture.url).database;
      const plan = await connection.query<{ explain: string }>(`EXPLAIN indexes = 1 SELECT seq FROM ${database}.events WHERE seq > {after:UInt64}`, { after: 1 });
      assert.match(plan.map((row) => row.explain).join('\n'), /Name: seq_minmax/);
    } finally {
      await connection.close();
      await fixture.dispose();
    }
  });
});
