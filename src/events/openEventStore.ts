import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDbEventStore } from './duckdb/duckdbEventStore.js';
import type { EventStore } from './eventStore.js';

export const DUCKDB_FILE = 'events.duckdb';
/** The write-ahead journal in front of the EventStore: acknowledged events not yet in DuckDB. */
export const JOURNAL_DIR = 'journal';

export const journalDirOf = (config: { dataDir: string }): string => join(config.dataDir, JOURNAL_DIR);

/** The embedded DuckDB file inside the data dir (a ClickHouse engine will be chosen by URL). */
export async function openEventStore(config: { dataDir: string }): Promise<EventStore> {
  // With PostgreSQL as the MetaStore nothing else may have created the data dir yet.
  mkdirSync(config.dataDir, { recursive: true });
  const store = await DuckDbEventStore.open(join(config.dataDir, DUCKDB_FILE));
  await store.migrate();
  return store;
}

export function describeEventStore(config: { dataDir: string }): string {
  return `duckdb at ${join(config.dataDir, DUCKDB_FILE)}`;
}
