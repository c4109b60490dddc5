import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { ClickHouseConnection, QueryParams, Row } from './connection.js';
import { QUERY_SETTINGS } from './connection.js';
import type { ClickHouseLocation } from './url.js';

/**
 * A ClickHouse server or cluster through the official client (HTTP, keep-alive pool). No default
 * database on the connection: every statement names `db.table`, so `migrate` can create the
 * database through the same connection.
 */
export function openHttpConnection(location: Extract<ClickHouseLocation, { kind: 'http' }>, description: string): ClickHouseConnection {
  const client = createClient({
    url: location.url,
    username: location.username,
    password: location.password,
    clickhouse_settings: { ...QUERY_SETTINGS },
    request_timeout: 120_000,
    // Failures reach the caller as errors; the client's own console logging would bypass the
    // app's logger (and its redaction).
    log: { level: ClickHouseLogLevel.OFF },
  });
  return {
    description,
    async query<T extends Row>(sql: string, params: QueryParams = {}): Promise<T[]> {
      const result = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      return result.json<T>();
    },
    async command(sql: string, params: QueryParams = {}): Promise<void> {
      await client.command({ query: sql, query_params: params, clickhouse_settings: { wait_end_of_query: 1 } });
    },
    async insert(table: string, rows: readonly Row[]): Promise<void> {
      if (rows.length === 0) return;
      // A 2xx of ingestion lets the journal forget the rows once this resolves: a server profile
      // with asynchronous inserts (and no wait) would answer before the rows are stored.
      await client.insert({ table, values: [...rows], format: 'JSONEachRow', clickhouse_settings: { async_insert: 0 } });
    },
    async close(): Promise<void> {
      await client.close();
    },
  };
}
