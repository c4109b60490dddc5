import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DUCKDB_MIGRATIONS } from '../../src/engines/duckdb/schema.js';

/**
 * A DuckDB events file as a release that knew migrations up to `version` left it: the tables of
 * those steps, recorded as applied, then `fill` writes the rows such a release stored. Closed on
 * return, for DuckDbEventStore to open and migrate the rest of the way.
 */
export async function duckdbFileAtVersion(path: string, version: number, fill: (connection: DuckDBConnection) => Promise<void>): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    await connection.run('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)');
    for (const migration of DUCKDB_MIGRATIONS.filter((m) => m.version <= version)) {
      await connection.run(migration.sql);
      await connection.run('INSERT INTO schema_migrations VALUES ($1, $2, now())', [migration.version, migration.name]);
    }
    await fill(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
