import type { ClickHouseConnection } from './connection.js';
import { chTime } from './values.js';
import {
  addGeoColumns,
  addLinkColumn,
  addSeqIndex,
  materializeSeqIndex,
  createDatabase,
  createEvents,
  createIdentities,
  createLedger,
  createQuarterRollup,
  createQuarterRollupStart,
  createQuarterRollupView,
  createRacedQuarters,
  recordQuarterRollupStart,
  tablesOf,
  type SchemaTarget,
} from './schema.js';

/**
 * Numbered steps, recorded in a ledger. ClickHouse has no transactions around DDL, so safety with
 * several nodes migrating at once comes from every step being idempotent (CREATE … IF NOT EXISTS,
 * ADD COLUMN IF NOT EXISTS): two nodes running one step both succeed and leave the same schema;
 * both may record it, and the ledger (ReplacingMergeTree on version, read with FINAL) keeps one row.
 * A node that stops half-way leaves a step unrecorded, and the next run repeats it harmlessly.
 */
export interface Migration {
  version: number;
  name: string;
  /** `context.freshDatabase`: the run began on a database without the events table (it created it). */
  statements: (target: SchemaTarget, context: { freshDatabase: boolean }) => string[];
}

export const CLICKHOUSE_MIGRATIONS: Migration[] = [
  { version: 1, name: 'events', statements: (t) => [createEvents(t)] },
  { version: 2, name: 'identity links', statements: (t) => [createIdentities(t)] },
  { version: 3, name: 'region and city of the visitor', statements: (t) => [addGeoColumns(t)] },
  { version: 4, name: 'the short link of an event', statements: (t) => [addLinkColumn(t)] },
  { version: 5, name: 'a minmax index on seq for Pub/Sub reads', statements: (t) => [addSeqIndex(t), materializeSeqIndex(t)] },
  {
    version: 6,
    name: 'quarter-hour rollups of visitors',
    // The start is recorded after the view exists (see recordQuarterRollupStart); run again, the
    // step adds a later start, and the earliest counts.
    statements: (t, { freshDatabase }) => [createQuarterRollup(t), createRacedQuarters(t), createQuarterRollupStart(t), createQuarterRollupView(t), recordQuarterRollupStart(t, freshDatabase)],
  },
];

export async function migrate(connection: ClickHouseConnection, target: SchemaTarget): Promise<void> {
  await connection.command(createDatabase(target));
  await connection.command(createLedger(target));
  const ledger = tablesOf(target.database).migrations;
  const applied = await connection.query<{ version: number }>(`SELECT version FROM ${ledger} FINAL`);
  const done = new Set(applied.map((row) => Number(row.version)));
  const context = { freshDatabase: !done.has(1) };
  for (const migration of CLICKHOUSE_MIGRATIONS) {
    if (done.has(migration.version)) continue;
    for (const statement of migration.statements(target, context)) await connection.command(statement);
    await connection.insert(ledger, [{ version: migration.version, name: migration.name, applied_at: chTime(Date.now()) }]);
  }
}
