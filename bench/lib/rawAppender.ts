import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendEventRows } from '../../src/engines/duckdb/appendEvents.js';
import { DUCKDB_MIGRATIONS } from '../../src/engines/duckdb/schema.js';
import type { StoredEvent } from '../../src/events/eventStore.js';

/**
 * The ceiling batched ingestion is compared with (issue 16, target 3): the same enriched rows the
 * app would store, appended through DuckDB's appender in large groups to a fresh `events` table of
 * the same schema, on a file, with no HTTP, validation, journal or duplicate check. What DuckDB
 * itself can take on this machine at this moment, measured in the same run as the app so that the
 * ratio does not depend on the day's load.
 */
export interface RawAppenderRun {
  rowsPerSec: number;
  rows: number;
  seconds: number;
}

/** Appends `rows` (cycled, each with a fresh uuid) for about `durationSec`, in groups of `group`, one commit per group. */
export async function rawAppenderRate(rows: StoredEvent[], durationSec: number, group = 20_000): Promise<RawAppenderRun> {
  const dir = await mkdtemp(join(tmpdir(), 'mythic-bench-appender-'));
  const instance = await DuckDBInstance.create(join(dir, 'raw.duckdb'), { checkpoint_threshold: '128MB' });
  const connection = await instance.connect();
  try {
    await connection.run("SET GLOBAL TimeZone = 'UTC'");
    for (const migration of DUCKDB_MIGRATIONS) await connection.run(migration.sql);
    const appender = await connection.createAppender('events');
    // The group made beforehand, each row with its own uuid (the app makes them at validation):
    // only the appending is timed. `events` has no key on uuid, so every group reuses them.
    const groupRows = Array.from({ length: group }, (_, i) => ({ ...(rows[i % rows.length] as StoredEvent), uuid: crypto.randomUUID() }));
    let seq = 1;
    let stored = 0;
    const started = performance.now();
    const deadline = started + durationSec * 1000;
    while (performance.now() < deadline) {
      await connection.run('BEGIN TRANSACTION');
      // The same row writer as the EventStore's: the baseline differs from the app by everything
      // around the appender (HTTP, validation, enrichment, journal, duplicate check), not by it.
      await appendEventRows(appender, groupRows, seq);
      await connection.run('COMMIT');
      seq += group;
      stored += group;
    }
    const seconds = (performance.now() - started) / 1000;
    appender.closeSync();
    return { rowsPerSec: stored / seconds, rows: stored, seconds };
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}
