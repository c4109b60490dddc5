import { DuckDBInstance, DuckDBTimestampTZValue } from '@duckdb/node-api';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { personKey } from '../../src/engines/duckdb/personKey.js';
import { APPENDER_COLUMNS, DUCKDB_MIGRATIONS } from '../../src/engines/duckdb/schema.js';
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
    // Uuids made beforehand (the app makes them at validation) and reused by every group: `events`
    // has no key on them, and the app's duplicate check is not part of this ceiling.
    const uuids = Array.from({ length: group }, () => crypto.randomUUID());
    let seq = 1;
    let stored = 0;
    const started = performance.now();
    const deadline = started + durationSec * 1000;
    while (performance.now() < deadline) {
      await connection.run('BEGIN TRANSACTION');
      for (let i = 0; i < group; i += 1) {
        const row = rows[i % rows.length] as StoredEvent;
        for (const [name, type] of APPENDER_COLUMNS) {
          if (type === 'UBIGINT') {
            appender.appendUBigInt(personKey(row.distinct_id));
            continue;
          }
          const value = name === 'seq' ? seq : name === 'uuid' ? uuids[i] : row[name];
          if (value === null) appender.appendNull();
          else if (type === 'BIGINT') appender.appendBigInt(BigInt(value as number));
          else if (type === 'DOUBLE') appender.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(value as number) * 1000n));
          else if (type === 'BOOLEAN') appender.appendBoolean(value as boolean);
          else appender.appendVarchar(value as string);
        }
        appender.endRow();
        seq += 1;
      }
      appender.flushSync();
      await connection.run('COMMIT');
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
