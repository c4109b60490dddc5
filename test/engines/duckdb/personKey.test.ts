import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbEventStore } from '../../../src/engines/duckdb/duckdbEventStore.js';
import { personKey } from '../../../src/engines/duckdb/personKey.js';
import { storedEvent } from '../../helpers/events.js';
import { duckdbFileAtVersion } from '../../helpers/duckdbFile.js';

/**
 * Visitors are counted on `events.person_key`. Rows reach DuckDB by two roads (the appender, for
 * groups of any size, and the migration for rows stored before the column): each must give the
 * key that SQL computes for the same distinct_id, or one visitor would count twice.
 */
describe('DuckDB person key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mythic-person-key-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const keysDisagreeing = async (path: string): Promise<number> => {
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    try {
      const result = await connection.runAndReadAll('SELECT count(*) FILTER (WHERE person_key IS DISTINCT FROM md5_number_lower(distinct_id))::INTEGER, count(*)::INTEGER FROM events');
      const [wrong, all] = result.getRows()[0] as [number, number];
      assert.ok(all > 0);
      return wrong;
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  };

  it('is the same in JavaScript as in SQL, for any text', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const id of ['v1', '', 'ünïcødé 🎉', 'x'.repeat(300), "quote ' and \\ backslash"]) {
        const result = await connection.runAndReadAll('SELECT md5_number_lower($1)', [id]);
        assert.equal(result.getRows()[0]?.[0], personKey(id), id);
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('is stored by both insert paths and filled in for events stored before it', async () => {
    const path = join(dir, 'v6.duckdb');
    await duckdbFileAtVersion(path, 6, async (connection) => {
      await connection.run(
        `INSERT INTO events (client_id, uuid, event, distinct_id, "timestamp", received_at, properties, is_bot, seq)
         VALUES ('c', 'old-1', 'e', 'ölder visitor', now(), now(), '{}', false, 1)`,
      );
    });

    const store = await DuckDbEventStore.open(path);
    try {
      await store.migrate();
      await store.append([storedEvent({ client_id: 'c', distinct_id: 'small group 🎉' })], []);
      await store.append(Array.from({ length: 250 }, (_, i) => storedEvent({ client_id: 'c', distinct_id: `large group ${i % 7}` })), []);
    } finally {
      await store.close();
    }
    assert.equal(await keysDisagreeing(path), 0);
  });
});
