import { describeLocation, type ClickHouseLocation } from './url.js';

/**
 * The little the engine needs from ClickHouse, the same over a server (`@clickhouse/client`) and
 * chDB in this process: rows as JSON objects with `{name:Type}` parameters bound by ClickHouse
 * itself (never spliced into SQL), statements without rows, and row inserts. Keeping it this
 * small is what lets the tests run the real engine embedded and production run a cluster.
 */
export type QueryParams = Record<string, string | number | boolean | readonly string[] | readonly number[]>;
export type Row = Record<string, unknown>;

export interface ClickHouseConnection {
  readonly description: string;
  /** Rows of a SELECT, each a JSON object (64-bit integers as numbers). */
  query<T extends Row>(sql: string, params?: QueryParams): Promise<T[]>;
  /** A statement that returns no rows (DDL, DELETE). */
  command(sql: string, params?: QueryParams): Promise<void>;
  /** Rows into `table` (database-qualified), as JSONEachRow. */
  insert(table: string, rows: readonly Row[]): Promise<void>;
  close(): Promise<void>;
}

/** Settings every query runs with, in both kinds: numbers as numbers, NULL for an unmatched outer join. */
export const QUERY_SETTINGS = { output_format_json_quote_64bit_integers: 0, join_use_nulls: 1 } as const;

export async function openConnection(location: ClickHouseLocation): Promise<ClickHouseConnection> {
  const description = describeLocation(location);
  if (location.kind === 'chdb') {
    const { openChdbConnection } = await import('./chdbConnection.js');
    return openChdbConnection(location.dir, description);
  }
  const { openHttpConnection } = await import('./httpConnection.js');
  return openHttpConnection(location, description);
}
