import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { APPEND_SLICE_ROWS, appendEventRows } from '../../src/engines/duckdb/appendEvents.js';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import { DUCKDB_MIGRATIONS } from '../../src/engines/duckdb/schema.js';
import type { CommittedEvent, StoredEvent } from '../../src/events/eventStore.js';
import { storedEvent } from '../helpers/events.js';

/**
 * Every group goes through the appender now (appendEvents.ts), large ones in slices with turns of
 * the event loop between them: the rows must come out as they went in, whatever the slicing.
 */

const withoutSeq = ({ seq: _seq, ...row }: CommittedEvent): StoredEvent => row;

/** Rows whose nullable columns alternate between null and a value, booleans both ways, times apart. */
function variedRows(n: number, clientId: string): StoredEvent[] {
  return Array.from({ length: n }, (_, i) =>
    storedEvent({
      client_id: clientId,
      event: `e-${i}`,
      distinct_id: `visitor-${i % 37}`,
      timestamp: Date.parse('2026-03-01T00:00:00.000Z') + i * 1_234,
      session_id: i % 3 === 0 ? null : `s-${i % 11}`,
      anon_distinct_id: i % 5 === 0 ? `anon-${i}` : null,
      referrer: i % 2 === 0 ? null : 'https://www.example.org/ü',
      is_bot: i % 7 === 0,
      country: i % 4 === 0 ? 'DE' : null,
      link_id: i % 9 === 0 ? `link-${i}` : null,
    }),
  );
}

describe('appending event rows', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  before(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await connection.run("SET GLOBAL TimeZone = 'UTC'");
    for (const migration of DUCKDB_MIGRATIONS) await connection.run(migration.sql);
  });
  after(() => {
    connection.closeSync();
    instance.closeSync();
  });

  it('lets the event loop turn between slices of a large group, and numbers the rows in order', async () => {
    const n = APPEND_SLICE_ROWS * 4 + 7;
    const appender = await connection.createAppender('events');
    let turns = 0;
    let counting = true;
    const tick = (): void => {
      turns += 1;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    await appendEventRows(appender, variedRows(n, 'slices'), 1_000);
    counting = false;
    appender.closeSync();
    assert.ok(turns >= 4, `the loop turned ${turns} times while ${n} rows were appended`);
    const reader = await connection.runAndReadAll(
      "SELECT count(*)::INTEGER, min(seq)::INTEGER, max(seq)::INTEGER, count(DISTINCT seq)::INTEGER, count(*) FILTER (WHERE person_key <> md5_number_lower(distinct_id))::INTEGER FROM events WHERE client_id = 'slices'",
    );
    assert.deepEqual(reader.getRows()[0], [n, 1_000, 1_000 + n - 1, n, 0]);
  });

  it('stores every field of a large group through the store unchanged, in seq order', async () => {
    const store = await DuckDbEventStore.open(':memory:');
    try {
      await store.migrate();
      const rows = variedRows(APPEND_SLICE_ROWS * 2 + 3, 'fields');
      assert.deepEqual((await store.append(rows, [])).duplicateIndexes, []);
      const stored = (await store.recentEvents('fields', { limit: rows.length })).reverse();
      assert.deepEqual(stored.map(withoutSeq), rows);
      assert.deepEqual(
        stored.map((row) => row.seq),
        rows.map((_, i) => (stored[0] as CommittedEvent).seq + i),
      );
    } finally {
      await store.close();
    }
  });

  it('closing while a large group is appended finishes it and refuses a write asked for meanwhile', async () => {
    const store = await DuckDbEventStore.open(':memory:');
    await store.migrate();
    const large = store.append(variedRows(APPEND_SLICE_ROWS * 6, 'closing'), []);
    const closing = store.close();
    // Asked for while close() waits for the group: refused, never run on a closed connection.
    await assert.rejects(store.append([storedEvent({ client_id: 'closing', uuid: 'late' })], []), /closed/);
    assert.deepEqual((await large).duplicateIndexes, []);
    await closing;
  });
});
