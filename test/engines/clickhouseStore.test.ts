import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EventStore } from '../../src/events/eventStore.js';
import { storedEvent } from '../helpers/events.js';
import { openClickHouseEventStore } from '../../src/engines/clickhouse/clickhouseEventStore.js';
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
    ]);
    const all = (await store.exportEvents(0, 100)).filter((e) => e.client_id === 'ex');
    assert.deepEqual(all.map((e) => e.uuid), ['x1', 'x2', 'x3']);
    const rest = await store.exportEvents(all[0]!.seq, 100);
    assert.deepEqual(rest.filter((e) => e.client_id === 'ex').map((e) => e.uuid), ['x2', 'x3']);
    assert.deepEqual((await store.exportEvents(all[0]!.seq, 1)).map((e) => e.uuid), ['x2']);
    const links = (await store.exportLinks()).filter((l) => l.client_id === 'ex');
    // The first link of `a` wins, though the later one says it was created earlier.
    assert.deepEqual(links.map((l) => [l.distinct_id, l.person_id]), [['a', 'p'], ['b', 'p']]);
    const counts = (await store.counts()).find((c) => c.client_id === 'ex');
    assert.deepEqual(counts, { client_id: 'ex', events: 3, links: 2 });
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
