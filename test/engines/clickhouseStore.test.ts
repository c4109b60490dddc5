import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EventStore } from '../../src/events/eventStore.js';
import { storedEvent } from '../helpers/events.js';
import { openClickHouseEventStore } from '../../src/engines/clickhouse/clickhouseEventStore.js';
import { openConnection } from '../../src/engines/clickhouse/connection.js';
import { parseClickHouseUrl } from '../../src/engines/clickhouse/url.js';
import { chTime } from '../../src/engines/clickhouse/values.js';
import { CLICKHOUSE_SKIP_REASON, openClickHouseTestStore } from '../helpers/clickhouseEngine.js';

const DAY = Date.parse('2026-03-01T00:00:00.000Z');

describe('ClickHouse event store', { skip: CLICKHOUSE_SKIP_REASON }, () => {
  let store: EventStore;
  let dispose: () => Promise<void>;
  before(async () => {
    ({ store, dispose } = await openClickHouseTestStore());
  });
  after(() => dispose());

  it('stores events, skips retries (also with another timestamp) and reads them newest first', async () => {
    const a = storedEvent({ client_id: 'c1', uuid: 'u-a', timestamp: DAY + 1000 });
    const b = storedEvent({ client_id: 'c1', uuid: 'u-b', timestamp: DAY + 2000, distinct_id: 'v2' });
    const first = await store.append([a, b, { ...a, timestamp: DAY + 5000 }], []);
    assert.deepEqual(first.duplicateIndexes, [2]);
    const again = await store.append([{ ...b, timestamp: DAY - 86_400_000 }, storedEvent({ client_id: 'c2', uuid: 'u-b' })], []);
    assert.deepEqual(again.duplicateIndexes, [0]);
    const recent = await store.recentEvents('c1', { limit: 10 });
    assert.deepEqual(recent.map((e) => e.uuid), ['u-b', 'u-a']);
    assert.equal(recent[1]!.timestamp, DAY + 1000);
    assert.equal(recent[1]!.properties, a.properties);
    assert.ok(recent[0]!.seq > recent[1]!.seq);
    const later = await store.recentEvents('c1', { limit: 1, afterSeq: recent[1]!.seq });
    assert.deepEqual(later.map((e) => e.uuid), ['u-b']);
    // Received strictly after an instant: a's received_at is exactly that instant.
    const received = await store.recentEvents('c1', { limit: 10, receivedAfter: a.received_at });
    assert.deepEqual(received.map((e) => e.uuid), []);
    const before = await store.recentEvents('c1', { limit: 10, receivedAfter: a.received_at - 1 });
    assert.deepEqual(before.map((e) => e.uuid), ['u-b', 'u-a']);
  });

  it('buckets local times before 1970 (west of UTC) by floor, as period.ts does', async () => {
    // 1970-01-01T00:00Z at −10:40 is 1969-12-31 13:20 local: hour 13:00 local, day −1, week from
    // Monday 1969-12-29 (day −3), month 1969-12.
    await store.append([storedEvent({ client_id: 'epoch', uuid: 'e0', timestamp: 0 })], []);
    const offset = -(10 * 60 + 40) * 60_000;
    for (const [grain, key] of [['hour', -11 * 3_600_000 - offset], ['day', -1], ['week', -3], ['month', 1969 * 12 + 11]] as const) {
      const result = await store.report({ clientId: 'epoch', from: 0, to: 1, filters: {}, metrics: ['events'], dimensions: [grain], offsets: [{ from: 0, offset }], maxRows: 10 });
      assert.deepEqual(result.rows, [{ dimensions: { [grain]: key }, metrics: { events: 1 } }], grain);
    }
  });

  it('reports page views and visitors, counting a person once across linked ids', async () => {
    await store.append(
      [
        storedEvent({ client_id: 'r1', distinct_id: 'anon', timestamp: DAY + 10, path: '/a' }),
        storedEvent({ client_id: 'r1', distinct_id: 'user', timestamp: DAY + 20, path: '/a' }),
        storedEvent({ client_id: 'r1', distinct_id: 'other', timestamp: DAY + 30, path: '/b' }),
      ],
      [{ client_id: 'r1', distinct_id: 'anon', person_id: 'user', created_at: DAY }],
    );
    const result = await store.report({
      clientId: 'r1',
      from: DAY,
      to: DAY + 86_400_000,
      filters: {},
      metrics: ['page_views', 'unique_visitors'],
      dimensions: ['path'],
      offsets: [],
      sortAndLimit: { orderBy: [{ column: 'page_views', direction: 'desc' }], limit: 10 },
    });
    assert.deepEqual(result, {
      rows: [
        { dimensions: { path: '/a' }, metrics: { page_views: 2, unique_visitors: 1 } },
        { dimensions: { path: '/b' }, metrics: { page_views: 1, unique_visitors: 1 } },
      ],
      total: 2,
    });
  });
});

describe('ClickHouse event store: deletes, export, counts, several writers', { skip: CLICKHOUSE_SKIP_REASON }, () => {
  let opened: { store: EventStore; url: string; dispose(): Promise<void> };
  before(async () => {
    opened = await openClickHouseTestStore();
  });
  after(() => opened.dispose());

  it('deletes a client’s events and links, and a report right after sees none', async () => {
    const { store } = opened;
    await store.append(
      [storedEvent({ client_id: 'gone', timestamp: DAY + 5 }), storedEvent({ client_id: 'kept', timestamp: DAY + 5 })],
      [{ client_id: 'gone', distinct_id: 'a', person_id: 'b', created_at: DAY }],
    );
    await store.deleteClient('gone');
    const plan = { from: DAY, to: DAY + 86_400_000, filters: {}, metrics: ['events' as const], dimensions: [], offsets: [], sortAndLimit: { orderBy: [{ column: 'events' as const, direction: 'desc' as const }], limit: 5 } };
    assert.deepEqual((await store.report({ ...plan, clientId: 'gone' })).rows[0]!.metrics, { events: 0 });
    assert.deepEqual((await store.report({ ...plan, clientId: 'kept' })).rows[0]!.metrics, { events: 1 });
    assert.deepEqual(await store.identityLinks('gone'), []);
    assert.deepEqual(await store.recentEvents('gone', { limit: 5 }), []);
  });

  it('exports events in seq order from a cursor, links oldest first, and counts each client', async () => {
    const { store } = opened;
    const events = [1, 2, 3].map((i) => storedEvent({ client_id: 'ex', uuid: `x${i}`, timestamp: DAY + i }));
    await store.append(events.slice(0, 2), [{ client_id: 'ex', distinct_id: 'a', person_id: 'p', created_at: DAY }]);
    await store.append(events.slice(2), [
      { client_id: 'ex', distinct_id: 'a', person_id: 'later', created_at: DAY - 1 },
      { client_id: 'ex', distinct_id: 'b', person_id: 'p', created_at: DAY + 1 },
      { client_id: 'ex', distinct_id: 'c', person_id: 'p', created_at: DAY - 5 },
    ]);
    const all = (await store.exportEvents(0, 100)).filter((e) => e.client_id === 'ex');
    assert.deepEqual(all.map((e) => e.uuid), ['x1', 'x2', 'x3']);
    const rest = await store.exportEvents(all[0]!.seq, 100);
    assert.deepEqual(rest.filter((e) => e.client_id === 'ex').map((e) => e.uuid), ['x2', 'x3']);
    assert.deepEqual((await store.exportEvents(all[0]!.seq, 1)).map((e) => e.uuid), ['x2']);
    const links = (await store.exportLinks()).filter((l) => l.client_id === 'ex');
    // The first link of `a` wins, though the later one says it was created earlier; oldest first.
    assert.deepEqual(links.map((l) => [l.distinct_id, l.person_id]), [['c', 'p'], ['a', 'p'], ['b', 'p']]);
    const counts = (await store.counts()).find((c) => c.client_id === 'ex');
    assert.deepEqual(counts, { client_id: 'ex', events: 3, links: 3 });
  });

  it('counts an event once when two writers (two nodes) store it at the same moment', async () => {
    const second = await openClickHouseEventStore(opened.url);
    try {
      const event = storedEvent({ client_id: 'race', uuid: 'same', timestamp: DAY + 1 });
      // Both check before either inserts; both insert; the later copy is removed.
      await Promise.all([opened.store.append([event], []), second.append([{ ...event, timestamp: DAY + 2 }], [])]);
      const plan = { clientId: 'race', from: DAY, to: DAY + 86_400_000, filters: {}, metrics: ['events' as const], dimensions: [], offsets: [] };
      assert.deepEqual((await second.report({ ...plan, sortAndLimit: { orderBy: [{ column: 'events', direction: 'desc' }], limit: 1 } })).rows[0]!.metrics, { events: 1 });
      assert.equal((await opened.store.counts()).find((c) => c.client_id === 'race')?.events, 1);
      // A retry after that, through either writer, is a duplicate.
      assert.deepEqual((await second.append([event], [])).duplicateIndexes, [0]);
    } finally {
      await second.close();
    }
  });

  it('removes the copy a writer left when it stopped between its insert and its recheck, once that group is retried', async () => {
    const event = storedEvent({ client_id: 'left', uuid: 'twice', timestamp: DAY + 1 });
    await opened.store.append([event], []);
    // Another node inserted the same event at the same moment and stopped (killed, or its recheck
    // failed) before looking again: its copy sits beside this one.
    const location = parseClickHouseUrl(opened.url);
    const other = await openConnection(location);
    try {
      await other.insert(`${location.database}.events`, [{ ...event, timestamp: chTime(event.timestamp), received_at: chTime(event.received_at), seq: 1 }]);
    } finally {
      await other.close();
    }
    assert.equal((await opened.store.counts()).find((c) => c.client_id === 'left')?.events, 2);
    // That node's journal gives it the group again: a duplicate now, and the copy goes.
    const retry = await openClickHouseEventStore(opened.url, { migrate: false });
    try {
      assert.deepEqual((await retry.append([event], [])).duplicateIndexes, [0]);
    } finally {
      await retry.close();
    }
    assert.equal((await opened.store.counts()).find((c) => c.client_id === 'left')?.events, 1);
  });

  it('stores a link once when it comes again (a retried $identify, a second migrate-events run), keeping the first person', async () => {
    const link = { client_id: 'relink', distinct_id: 'anon', person_id: 'first', created_at: DAY };
    await opened.store.append([], [link]);
    await opened.store.append([], [link, { ...link, person_id: 'second' }]);
    await opened.store.append([], [{ ...link, distinct_id: 'other' }, { ...link, distinct_id: 'other', person_id: 'second' }]);
    assert.deepEqual((await opened.store.identityLinks('relink')).map((l) => [l.distinct_id, l.person_id]), [['anon', 'first'], ['other', 'first']]);
    const location = parseClickHouseUrl(opened.url);
    const raw = await openConnection(location);
    try {
      const [row] = await raw.query<{ n: number }>(`SELECT count() AS n FROM ${location.database}.identities WHERE client_id = {client:String}`, { client: 'relink' });
      assert.equal(Number(row?.n), 2);
    } finally {
      await raw.close();
    }
  });

  it('answers right in a database called settings (chDB adds its settings to every query there too)', async () => {
    const store = await openClickHouseEventStore(opened.url.replace(/database=\w+/, 'database=settings'));
    try {
      // Without join_use_nulls, visitors no link names would all count as one person (key 0).
      await store.append(
        ['a', 'b', 'c', 'd'].map((id, i) => storedEvent({ client_id: 'named', distinct_id: id, timestamp: DAY + i })),
        [{ client_id: 'named', distinct_id: 'a', person_id: 'c', created_at: DAY }],
      );
      const plan = { clientId: 'named', from: DAY, to: DAY + 86_400_000, filters: {}, metrics: ['unique_visitors' as const], dimensions: [], offsets: [] };
      const result = await store.report({ ...plan, sortAndLimit: { orderBy: [{ column: 'unique_visitors', direction: 'desc' }], limit: 1 } });
      assert.deepEqual(result.rows[0]!.metrics, { unique_visitors: 3 });
    } finally {
      await store.close();
    }
  });

  it('migrates again from several writers at once without harm', async () => {
    const others = await Promise.all([1, 2].map(() => openClickHouseEventStore(opened.url, { migrate: false })));
    try {
      await Promise.all([opened.store.migrate(), ...others.map((s) => s.migrate())]);
      await opened.store.ping();
    } finally {
      await Promise.all(others.map((s) => s.close()));
    }
  });

  it('refuses a second chDB directory in one process, saying why', async () => {
    await assert.rejects(openClickHouseEventStore('chdb:/tmp/mythic-another-dir'), /one data directory per process/);
  });
});
