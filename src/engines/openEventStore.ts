import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore } from '../events/eventStore.js';
import { DuckDbEventStore } from './duckdb/duckdbEventStore.js';

/**
 * The one place that names an engine: everything else holds an EventStore. DuckDB in the data
 * dir is the embedded default; a configured ClickHouse URL selects the server engine.
 */

export const DUCKDB_FILE = 'events.duckdb';
/** The write-ahead journal in front of the EventStore: acknowledged events not yet stored. */
export const JOURNAL_DIR = 'journal';

export const journalDirOf = (config: { dataDir: string }): string => join(config.dataDir, JOURNAL_DIR);

export interface EventEngineConfig {
  dataDir: string;
  /** Set: events live in ClickHouse (a server URL or `chdb:<dir>`); unset: DuckDB in the data dir. */
  clickhouseUrl?: string | undefined;
  /** With a ClickHouse server: the cluster its DDL runs ON, with Replicated tables. */
  clickhouseCluster?: string | undefined;
  /** ClickHouse: the Pub/Sub settle window (MYTHIC_PUBSUB_SETTLE_MS); unset: the engine's default. */
  pubsubSettleMs?: number | undefined;
}

/** Opens the configured engine and applies its migrations. */
export async function openEventStore(config: EventEngineConfig): Promise<EventStore> {
  switch (config.clickhouseUrl === undefined ? 'duckdb' : 'clickhouse') {
    case 'duckdb': {
      // With PostgreSQL as the MetaStore nothing else may have created the data dir yet.
      mkdirSync(config.dataDir, { recursive: true });
      const store = await DuckDbEventStore.open(join(config.dataDir, DUCKDB_FILE));
      await store.migrate();
      return store;
    }
    case 'clickhouse': {
      // Loaded only when configured: a DuckDB node never loads the ClickHouse client.
      const { openClickHouseEventStore } = await import('./clickhouse/clickhouseEventStore.js');
      return openClickHouseEventStore(config.clickhouseUrl as string, {
        ...(config.clickhouseCluster === undefined ? {} : { cluster: config.clickhouseCluster }),
        ...(config.pubsubSettleMs === undefined ? {} : { settleMs: config.pubsubSettleMs }),
      });
    }
  }
}
