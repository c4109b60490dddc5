import { describe } from 'node:test';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import type { EventStore } from '../../src/events/eventStore.js';
import { CLICKHOUSE_SKIP_REASON, openClickHouseTestStore } from './clickhouseEngine.js';
import { POSTGRES_SKIP_REASON, POSTGRES_URL, STORE_KINDS, type StoreKind } from './stores.js';

/**
 * The event engines a suite runs against, as describeEachStore does for the MetaStore: every
 * engine must give the same answer to every plan, and the suites are how that is checked.
 */

export interface OpenedEngine {
  store: EventStore;
  /** Closes the store and removes what the test created. */
  dispose(): Promise<void>;
}

export interface EngineKind {
  name: string;
  /** Why this engine cannot run here (a missing package or server), or undefined when it can. */
  skipReason?: () => string | undefined;
  /** `settleMs`: ClickHouse's Pub/Sub settle window (DuckDB has none). */
  open(options?: { settleMs?: number }): Promise<OpenedEngine>;
}

/** DuckDB in memory: private to one test app, gone when closed. */
export const DUCKDB_ENGINE: EngineKind = {
  name: 'duckdb',
  open: async () => {
    const store = await DuckDbEventStore.open(':memory:');
    await store.migrate();
    return { store, dispose: () => store.close() };
  },
};

/** ClickHouse through chDB: the real engine in this process, a fresh database per store (see clickhouseEngine.ts). */
export const CLICKHOUSE_ENGINE: EngineKind = {
  name: 'clickhouse',
  skipReason: () => CLICKHOUSE_SKIP_REASON,
  open: async (options = {}) => {
    const { store, dispose } = await openClickHouseTestStore(options);
    return { store, dispose };
  },
};

export const ENGINE_KINDS: EngineKind[] = [DUCKDB_ENGINE, CLICKHOUSE_ENGINE];

/**
 * Runs `suite` once per event engine. An engine that cannot run here is reported as skipped,
 * with its reason, rather than silently absent.
 */
export function describeEachEngine(title: string, suite: (engine: EngineKind) => void): void {
  for (const engine of ENGINE_KINDS) {
    const skip = engine.skipReason?.() ?? false;
    describe(`${title} [${engine.name}]`, { skip }, () => suite(engine));
  }
}

/**
 * Runs `suite` once per MetaStore with the default engine (DuckDB), and once per other engine
 * with SQLite: the MetaStore and the event engine are independent, so crossing every pair would
 * only repeat work. Skipped variants say why.
 */
export function describeEachStoreAndEngine(title: string, suite: (kind: StoreKind, engine: EngineKind) => void): void {
  for (const engine of ENGINE_KINDS) {
    for (const kind of STORE_KINDS) {
      if (engine !== DUCKDB_ENGINE && kind.name !== 'sqlite') continue;
      const skip = engine.skipReason?.() ?? (kind.name === 'postgres' && POSTGRES_URL === undefined ? POSTGRES_SKIP_REASON : false);
      describe(`${title} [${kind.name}, ${engine.name}]`, { skip }, () => suite(kind, engine));
    }
  }
}
