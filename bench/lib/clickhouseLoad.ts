import { DuckDBInstance } from '@duckdb/node-api';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openConnection } from '../../src/engines/clickhouse/connection.js';
import { EVENT_COLUMNS } from '../../src/engines/clickhouse/schema.js';
import { parseClickHouseUrl } from '../../src/engines/clickhouse/url.js';

/**
 * Gives the ClickHouse engine the very rows a DuckDB bench file holds, so both engines answer the
 * same queries over the same data. Millions of rows through the engine's append (a uuid check
 * and a JSON insert per group) would take longer than the benchmark, so they go through a Parquet
 * file: DuckDB writes it, ClickHouse reads it with file() into the tables its own migrations made.
 * Returns the milliseconds it took.
 */
export async function copyIntoClickHouse(duckdbPath: string, clickhouseUrl: string, workDir: string): Promise<number> {
  const started = performance.now();
  const eventsFile = join(workDir, 'events.parquet');
  const linksFile = join(workDir, 'identities.parquet');
  const instance = await DuckDBInstance.create(duckdbPath, { access_mode: 'READ_ONLY' });
  const duck = await instance.connect();
  try {
    await duck.run(`COPY (SELECT ${EVENT_COLUMNS.map((c) => (c === 'uuid' ? 'uuid::VARCHAR AS uuid' : c === 'properties' ? 'properties::VARCHAR AS properties' : `"${c}"`)).join(', ')}, seq FROM events ORDER BY seq) TO '${eventsFile}' (FORMAT parquet)`);
    await duck.run(`COPY (SELECT client_id, distinct_id, person_id, created_at, row_number() OVER (ORDER BY created_at, client_id, distinct_id) AS seq FROM identities) TO '${linksFile}' (FORMAT parquet)`);
  } finally {
    duck.closeSync();
    instance.closeSync();
  }
  const location = parseClickHouseUrl(clickhouseUrl);
  const connection = await openConnection(location);
  try {
    // The tables exist already: the engine was opened (and migrated) before this is called.
    await connection.command(`INSERT INTO ${location.database}.events (${EVENT_COLUMNS.join(', ')}, seq) SELECT ${EVENT_COLUMNS.join(', ')}, seq FROM file('${eventsFile}', Parquet)`);
    await connection.command(`INSERT INTO ${location.database}.identities (client_id, distinct_id, person_id, created_at, seq) SELECT client_id, distinct_id, person_id, created_at, seq FROM file('${linksFile}', Parquet)`);
    // One bulk insert leaves many parts that background merges would join over the next minutes,
    // competing with the timed queries; a server that ingested the same rows over 90 days would
    // hold merged parts. Merging now times the queries over the table as it would settle.
    await connection.command(`OPTIMIZE TABLE ${location.database}.events FINAL`);
  } finally {
    await connection.close();
    await rm(eventsFile, { force: true });
    await rm(linksFile, { force: true });
  }
  return performance.now() - started;
}
