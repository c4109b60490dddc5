import { DuckDBTimestampTZValue, type DuckDBAppender } from '@duckdb/node-api';
import type { StoredEvent } from '../../events/eventStore.js';
import { personKey } from './personKey.js';
import { APPENDER_COLUMNS } from './schema.js';

/**
 * Event rows into `events` through DuckDB's appender: one native call per value on the JavaScript
 * thread. Against the other way in (the rows as one JSON text that DuckDB parses on its threads)
 * this measured about half the CPU per row for 20,000-row groups (32–45 against 43–66 µs, three
 * alternated runs on the shared 2-core machine), so every group takes it; the work is cut into
 * slices with a turn of the event loop between them, so a large group does not hold up the HTTP
 * requests and journal appends waiting behind it for hundreds of milliseconds.
 */

/** How each column's value is appended, decided once rather than per value. */
type Kind = 'text' | 'time' | 'bool' | 'seq' | 'personKey';

type Column = keyof StoredEvent;

const PLAN: readonly { name: Column; kind: Kind }[] = APPENDER_COLUMNS.map(([name, type]) => {
  if (name === 'seq') return { name: 'uuid', kind: 'seq' };
  if (type === 'UBIGINT') return { name: 'distinct_id', kind: 'personKey' };
  if (type === 'DOUBLE') return { name, kind: 'time' };
  if (type === 'BOOLEAN') return { name, kind: 'bool' };
  if (type !== 'VARCHAR') throw new Error(`no appender conversion for ${name} (${type})`);
  return { name, kind: 'text' };
});

/**
 * Rows appended between two turns of the event loop: about 30 ms of work. A turn serves whatever
 * requests are ready, so the slice decides how the one JavaScript thread is shared between taking
 * requests and storing them. At 500 rows the store fell behind a sustained batched load: the
 * queue filled and 4–30% of the requests were answered 503 (19,800–24,400 events/s stored in
 * alternated runs); at 2,000 rows there were none in those runs and 25,900–27,700/s were stored,
 * for a batched p99 of 133–138 ms against 77–118. Single events' p99 did not move (15–16 ms).
 */
export const APPEND_SLICE_ROWS = 2_000;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function appendRow(appender: DuckDBAppender, row: StoredEvent, seq: number): void {
  for (let c = 0; c < PLAN.length; c += 1) {
    const { name, kind } = PLAN[c] as { name: Column; kind: Kind };
    if (kind === 'seq') {
      appender.appendBigInt(BigInt(seq));
      continue;
    }
    const value = row[name];
    if (value === null) appender.appendNull();
    else if (kind === 'text') appender.appendVarchar(value as string);
    else if (kind === 'time') appender.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(value as number) * 1000n));
    else if (kind === 'bool') appender.appendBoolean(value as boolean);
    else appender.appendUBigInt(personKey(value as string));
  }
  appender.endRow();
}

/**
 * Appends `rows` numbered from `firstSeq` and flushes them into the connection's open transaction
 * (or as their own commit when none is open). The caller must not use the appender's connection
 * meanwhile: between slices it is only waiting, not free.
 */
export async function appendEventRows(appender: DuckDBAppender, rows: readonly StoredEvent[], firstSeq: number): Promise<void> {
  for (let i = 0; i < rows.length; i += 1) {
    if (i > 0 && i % APPEND_SLICE_ROWS === 0) await nextTurn();
    appendRow(appender, rows[i] as StoredEvent, firstSeq + i);
  }
  appender.flushSync();
}
