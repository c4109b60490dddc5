import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openClickHouseEventStore } from '../../src/engines/clickhouse/clickhouseEventStore.js';
import { openConnection } from '../../src/engines/clickhouse/connection.js';
import { createDatabase, createEvents, createIdentities, createLedger, tablesOf } from '../../src/engines/clickhouse/schema.js';
import { parseClickHouseUrl } from '../../src/engines/clickhouse/url.js';
import { chTime } from '../../src/engines/clickhouse/values.js';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import type { EventStore, StoredEvent } from '../../src/events/eventStore.js';
import { CLICKHOUSE_SKIP_REASON, openClickHouseTestStore } from '../helpers/clickhouseEngine.js';
import { storedEvent } from '../helpers/events.js';
import { duckdbFileAtVersion } from '../helpers/duckdbFile.js';

/**
 * Data directories made before events had a region and a city keep working after the upgrade:
 * their events read back with no place, new events store theirs, and reports group by them. DuckDB
 * inserts by two paths (the appender for small groups, a JSON insert for large ones), and both
 * must put the new columns where the migrated table has them (after seq).
 */

const OLD = storedEvent({ client_id: 'legacy', uuid: 'old-1', country: 'DE' });
const placed = (n: number, extra: Partial<StoredEvent> = {}): StoredEvent =>
  storedEvent({ client_id: 'legacy', uuid: `new-${n}`, distinct_id: `v-${n}`, country: 'GB', region: 'England', city: 'London', ...extra });

/** What every upgraded store must do, whichever engine. */
async function checkUpgraded(store: EventStore): Promise<void> {
  const [old] = await store.recentEvents('legacy', { limit: 5 });
  assert.deepEqual([old?.uuid, old?.country, old?.region, old?.city], ['old-1', 'DE', null, null]);
  await store.append([placed(1)], []);
  // A large group (DuckDB's JSON insert), one of which has a region but no city.
  await store.append([...Array.from({ length: 300 }, (_, i) => placed(i + 2)), placed(999, { region: 'Scotland', city: null })], []);
  const events = await store.recentEvents('legacy', { limit: 1000 });
  assert.equal(events.length, 303);
  const byUuid = new Map(events.map((event) => [event.uuid, event]));
  assert.deepEqual([byUuid.get('new-1')?.region, byUuid.get('new-1')?.city, byUuid.get('new-1')?.user_agent], ['England', 'London', OLD.user_agent]);
  assert.deepEqual([byUuid.get('new-150')?.region, byUuid.get('new-150')?.city], ['England', 'London']);
  assert.deepEqual([byUuid.get('new-999')?.region, byUuid.get('new-999')?.city], ['Scotland', null]);
  const report = await store.report({
    clientId: 'legacy',
    from: OLD.timestamp - 1000,
    to: OLD.timestamp + 1000,
    filters: {},
    metrics: ['events'],
    dimensions: ['region', 'city'],
    offsets: [{ from: OLD.timestamp - 1000, offset: 0 }],
    sortAndLimit: { orderBy: [{ column: 'events', direction: 'desc' }], limit: 10 },
  });
  assert.deepEqual(
    report.rows.map((row) => [row.dimensions.region, row.dimensions.city, row.metrics.events]),
    // Most events first; ties by region, no region last.
    [['England', 'London', 301], ['Scotland', null, 1], [null, null, 1]],
  );
}

describe('DuckDB: a data dir from before region and city', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mythic-geo-migration-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gains the columns, keeps its events, and stores new ones by both insert paths', async () => {
    const path = join(dir, 'events.duckdb');
    await duckdbFileAtVersion(path, 4, async (connection) => {
      await connection.run(
        `INSERT INTO events (client_id, uuid, event, distinct_id, "timestamp", received_at, properties, is_bot, country, user_agent, seq)
         VALUES ($1, $2, $3, $4, make_timestamp(CAST($5 AS BIGINT) * 1000)::TIMESTAMPTZ, make_timestamp(CAST($6 AS BIGINT) * 1000)::TIMESTAMPTZ, $7, false, 'DE', $8, 1)`,
        [OLD.client_id, OLD.uuid, OLD.event, OLD.distinct_id, OLD.timestamp, OLD.received_at, OLD.properties, OLD.user_agent as string],
      );
    });

    const store = await DuckDbEventStore.open(path);
    try {
      await store.migrate();
      await checkUpgraded(store);
    } finally {
      await store.close();
    }
  });
});

describe('ClickHouse: a database from before region and city', { skip: CLICKHOUSE_SKIP_REASON ?? false }, () => {
  it('gains the columns (idempotently), keeps its events, and stores new ones', async () => {
    // A chDB directory of the test helper's, with a database of its own made the way migrations 1
    // and 2 made it before: the events table without region and city.
    const anchor = await openClickHouseTestStore();
    const database = `old_${randomBytes(6).toString('hex')}`;
    const url = anchor.url.replace(/\?database=\w+$/, `?database=${database}`);
    const target = { database };
    const connection = await openConnection(parseClickHouseUrl(url));
    try {
      await connection.command(createDatabase(target));
      await connection.command(createLedger(target));
      await connection.command(createEvents(target));
      await connection.command(`ALTER TABLE ${tablesOf(database).events} DROP COLUMN region, DROP COLUMN city`);
      await connection.command(createIdentities(target));
      await connection.insert(tablesOf(database).migrations, [
        { version: 1, name: 'events', applied_at: chTime(Date.now()) },
        { version: 2, name: 'identity links', applied_at: chTime(Date.now()) },
      ]);
      const { region: _region, city: _city, ...oldRow } = OLD;
      await connection.insert(tablesOf(database).events, [{ ...oldRow, timestamp: chTime(OLD.timestamp), received_at: chTime(OLD.received_at), seq: 1 }]);
      const columns = await connection.query<{ name: string }>(`SELECT name FROM system.columns WHERE database = '${database}' AND table = 'events' AND name IN ('region', 'city')`);
      assert.deepEqual(columns, [], 'the old shape');

      const store = await openClickHouseEventStore(url);
      try {
        await checkUpgraded(store);
        // A second node migrating the same database at the same time repeats the step harmlessly.
        await connection.command(`ALTER TABLE ${tablesOf(database).migrations} DELETE WHERE version = 3 SETTINGS mutations_sync = 1`);
        await store.migrate();
        assert.equal((await store.recentEvents('legacy', { limit: 1000 })).length, 303);
      } finally {
        await store.close();
      }
    } finally {
      await connection.close();
      await anchor.dispose();
    }
  });
});
