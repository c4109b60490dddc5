import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadChdb } from '../../src/engines/clickhouse/chdbConnection.js';
import { openClickHouseEventStore, type ClickHouseEventStore } from '../../src/engines/clickhouse/clickhouseEventStore.js';

/**
 * The ClickHouse engine for tests: real ClickHouse through chDB, in this process. chDB takes one
 * data directory per process, so every store of a test process lives in one temporary directory,
 * each in a fresh database. chDB is not a dependency (546 MB): where it is not installed the
 * ClickHouse suites skip and say why, unless MYTHIC_TEST_REQUIRE_CLICKHOUSE=1 (CI) makes that a
 * failure.
 */

async function skipReason(): Promise<string | undefined> {
  try {
    await loadChdb();
    return undefined;
  } catch (error) {
    const reason = `ClickHouse suite skipped: ${(error as Error).message}`;
    if (process.env.MYTHIC_TEST_REQUIRE_CLICKHOUSE === '1') throw new Error(`MYTHIC_TEST_REQUIRE_CLICKHOUSE=1 but ${reason}`);
    return reason;
  }
}

/** Undefined when chDB loads; else why the ClickHouse suites skip (for `{ skip: CLICKHOUSE_SKIP_REASON }`). */
export const CLICKHOUSE_SKIP_REASON: string | undefined = await skipReason();

let dir: string | undefined;
let open = 0;

/** `settleMs`: Pub/Sub's settle window (tests of the event stream use 0: one node, no skew). */
export async function openClickHouseTestStore(options: { settleMs?: number } = {}): Promise<{ store: ClickHouseEventStore; url: string; dispose(): Promise<void> }> {
  dir ??= mkdtempSync(join(tmpdir(), 'mythic-chdb-'));
  const database = `t_${randomBytes(6).toString('hex')}`;
  const url = `chdb:${dir}?database=${database}`;
  const store = await openClickHouseEventStore(url, options);
  open += 1;
  return {
    store,
    url,
    dispose: async () => {
      await store.close().catch(() => undefined);
      open -= 1;
      // The directory goes with the last store (chDB's session closes with it).
      if (open === 0 && dir !== undefined) {
        rmSync(dir, { recursive: true, force: true });
        dir = undefined;
      }
    },
  };
}
