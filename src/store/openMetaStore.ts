import { join } from 'node:path';
import type { MetaStore } from './metaStore.js';
import { SqliteMetaStore } from './sqlite/sqliteMetaStore.js';

export const SQLITE_FILE = 'mythic.db';

/** PostgreSQL when a database URL is configured, otherwise SQLite inside the data dir. */
export async function openMetaStore(config: { dataDir: string; databaseUrl: string | undefined }): Promise<MetaStore> {
  if (config.databaseUrl === undefined) return new SqliteMetaStore(join(config.dataDir, SQLITE_FILE));
  // Loaded only when asked for, so the embedded default never pays for the pg driver.
  const { PostgresMetaStore } = await import('./postgres/postgresMetaStore.js');
  return new PostgresMetaStore(config.databaseUrl);
}

/** Where the store lives, for start-up messages; a database URL is shown without its password. */
export function describeMetaStore(config: { dataDir: string; databaseUrl: string | undefined }): string {
  if (config.databaseUrl === undefined) return `sqlite at ${join(config.dataDir, SQLITE_FILE)}`;
  const url = new URL(config.databaseUrl);
  url.password = url.password ? '***' : '';
  return `postgres at ${url.toString()}`;
}
