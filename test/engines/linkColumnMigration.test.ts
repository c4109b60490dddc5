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
 * Stores made before events had a link_id (short links) keep working after the upgrade: old
 * events read back with none, new ones store theirs by both DuckDB insert paths (appender and
 * JSON), and reports group by it.
 */

const OLD = storedEvent({ client_id: 'pre-links', uuid: 'old-1', region: 'Bavaria', city: 'Munich' });
const clicked = (n: number, extra: Partial<StoredEvent> = {}): StoredEvent =>
  storedEvent({ client_id: 'pre-links', uuid: `new-${n}`, distinct_id: `v-${n}`, event: '$link_click', link_id: 'lnk_AAAAAAAAAAAA', ...extra });

async function checkUpgraded(store: EventStore): Promise<void> {
  const [old] = await store.recentEvents('pre-links', { limit: 5 });
  assert.deepEqual([old?.uuid, old?.city, old?.link_id], ['old-1', 'Munich', null]);
  await store.append([clicked(1)], []);
  await store.append([...Array.from({ length: 300 }, (_, i) => clicked(i + 2)), clicked(999, { link_id: 'lnk_BBBBBBBBBBBB', city: 'Paris' })], []);
  const byUuid = new Map((await store.recentEvents('pre-links', { limit: 1000 })).map((event) => [event.uuid, event]));
  assert.equal(byUuid.size, 303);
  assert.deepEqual([byUuid.get('new-1')?.link_id, byUuid.get('new-150')?.link_id, byUuid.get('new-999')?.link_id, byUuid.get('new-999')?.city], ['lnk_AAAAAAAAAAAA', 'lnk_AAAAAAAAAAAA', 'lnk_BBBBBBBBBBBB', 'Paris']);
  const report = await store.report({
    clientId: 'pre-links',
    from: OLD.timestamp - 1000,
    to: OLD.timestamp + 1000,
    filters: {},
    metrics: ['events'],
    dimensions: ['link_id'],
    offsets: [{ from: OLD.timestamp - 1000, offset: 0 }],
    sortAndLimit: { orderBy: [{ column: 'events', direction: 'desc' }], limit: 10 },
  });
  assert.deepEqual(report.rows.map((row) => [row.dimensions.link_id, row.metrics.events]), [['lnk_AAAAAAAAAAAA', 301], ['lnk_BBBBBBBBBBBB', 1], [null, 1]]);
}

describe('DuckDB: a data dir from before link_id', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mythic-link-migration-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gains the column, keeps its events, and stores new ones by both insert paths', async () => {
    const path = join(dir, 'events.duckdb');
    await duckdbFileAtVersion(path, 5, async (connection) => {
      await connection.run(
        `INSERT INTO events (client_id, uuid, event, distinct_id, "timestamp", received_at, properties, is_bot, user_agent, seq, region, city)
         VALUES ($1, $2, $3, $4, make_timestamp(CAST($5 AS BIGINT) * 1000)::TIMESTAMPTZ, make_timestamp(CAST($6 AS BIGINT) * 1000)::TIMESTAMPTZ, $7, false, $8, 1, 'Bavaria', 'Munich')`,
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

describe('ClickHouse: a database from before link_id', { skip: CLICKHOUSE_SKIP_REASON ?? false }, () => {
  it('gains the column (idempotently), keeps its events, and stores new ones', async () => {
    const anchor = await openClickHouseTestStore();
    const database = `old_${randomBytes(6).toString('hex')}`;
    const url = anchor.url.replace(/\?database=\w+$/, `?database=${database}`);
    const target = { database };
    const connection = await openConnection(parseClickHouseUrl(url));
    try {
      // The shape migrations 1–3 left: events with region and city, without link_id.
      await connection.command(createDatabase(target));
      await connection.command(createLedger(target));
      await connection.command(createEvents(target));
      await connection.command(`ALTER TABLE ${tablesOf(database).events} DROP COLUMN link_id`);
      await connection.command(createIdentities(target));
      await connection.insert(
        tablesOf(database).migrations,
        ['events', 'identity links', 'region and city of the visitor'].map((name, i) => ({ version: i + 1, name, applied_at: chTime(Date.now()) })),
      );
      const { link_id: _link, ...oldRow } = OLD;
      await connection.insert(tablesOf(database).events, [{ ...oldRow, timestamp: chTime(OLD.timestamp), received_at: chTime(OLD.received_at), seq: 1 }]);

      const store = await openClickHouseEventStore(url);
      try {
        await checkUpgraded(store);
        // A second node running the step again changes nothing.
        await connection.command(`ALTER TABLE ${tablesOf(database).migrations} DELETE WHERE version = 4 SETTINGS mutations_sync = 1`);
        await store.migrate();
        assert.equal((await store.recentEvents('pre-links', { limit: 1000 })).length, 303);
      } finally {
        await store.close();
      }
    } finally {
      await connection.close();
      await anchor.dispose();
    }
  });
});
