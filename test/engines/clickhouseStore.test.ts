import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EventStore } from '../../src/events/eventStore.js';
import { storedEvent } from '../helpers/events.js';
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
