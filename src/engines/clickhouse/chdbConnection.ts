import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ClickHouseConnection, QueryParams, Row } from './connection.js';
import { QUERY_SETTINGS } from './connection.js';

/**
 * ClickHouse embedded through chDB (546 MB, so not a dependency: loaded by dynamic import only
 * when a `chdb:` URL is configured). chDB allows one data directory per process: stores of one
 * process share one Session (refcounted; each store keeps to its own database), and asking for a
 * second directory while one is open is an error. Only the async calls are used: they run off the
 * event loop (bound queries run one at a time inside chDB). The session is closed on the main
 * thread only (closing the last one from a worker thread crashed the process).
 */

interface ChdbResult {
  text(): string;
}
interface ChdbSession {
  queryAsync(query: string, opts?: { format?: string }): Promise<ChdbResult>;
  queryBindAsync(query: string, params: object, opts?: { format?: string }): Promise<ChdbResult>;
  insert(params: { table: string; values: Buffer; format: 'JSONEachRow' }): Promise<unknown>;
  close(): void;
}
interface ChdbModule {
  Session: new (path: string) => ChdbSession;
}

export const CHDB_INSTALL_HINT = 'the chdb: engine needs the chdb package, which is not installed by default (546 MB): run `npm install --no-save chdb@3.4.0`';

/** The chdb module, or an error saying how to install it. */
export async function loadChdb(): Promise<ChdbModule> {
  // A variable specifier: the type checker and bundlers must not require the package.
  const specifier = 'chdb';
  try {
    return (await import(specifier)) as ChdbModule;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new Error(CHDB_INSTALL_HINT);
    throw error;
  }
}

let shared: { dir: string; session: Promise<ChdbSession>; users: number } | undefined;

async function acquire(dir: string): Promise<ChdbSession> {
  if (shared !== undefined && shared.dir !== dir) {
    throw new Error(`chDB allows one data directory per process: ${shared.dir} is open, so ${dir} cannot be (use ?database=<name> to keep stores apart in one directory)`);
  }
  if (shared === undefined) {
    const session = (async () => {
      const chdb = await loadChdb();
      mkdirSync(dir, { recursive: true });
      return new chdb.Session(dir);
    })();
    const entry = { dir, session, users: 0 };
    shared = entry;
    session.catch(() => {
      if (shared === entry) shared = undefined;
    });
  }
  const entry = shared;
  entry.users += 1;
  try {
    return await entry.session;
  } catch (error) {
    entry.users -= 1;
    throw error;
  }
}

async function release(dir: string): Promise<void> {
  const entry = shared;
  if (entry === undefined || entry.dir !== dir) return;
  entry.users -= 1;
  if (entry.users === 0) {
    shared = undefined;
    (await entry.session).close();
  }
}

/**
 * Puts the settings into the statement: chDB takes no per-call settings. A statement with its own
 * SETTINGS clause (`SETTINGS name = …`) is left as it is; the bare word is not enough, since a
 * database may be called `settings` (`FROM settings.events`).
 */
const withSettings = (sql: string): string =>
  /\bSETTINGS\s+\w+\s*=/i.test(sql) ? sql : `${sql} SETTINGS ${Object.entries(QUERY_SETTINGS).map(([k, v]) => `${k} = ${v}`).join(', ')}`;

export async function openChdbConnection(dirText: string, description: string): Promise<ClickHouseConnection> {
  const dir = resolve(dirText);
  const session = await acquire(dir);
  let closed = false;
  const run = async (sql: string, params: QueryParams, format: string): Promise<string> => {
    if (closed) throw new Error('the ClickHouse connection is closed');
    const result = Object.keys(params).length === 0 ? await session.queryAsync(sql, { format }) : await session.queryBindAsync(sql, params, { format });
    return result.text();
  };
  return {
    description,
    async query<T extends Row>(sql: string, params: QueryParams = {}): Promise<T[]> {
      const text = await run(withSettings(sql), params, 'JSONEachRow');
      return text === '' ? [] : text.trimEnd().split('\n').map((line) => JSON.parse(line) as T);
    },
    async command(sql: string, params: QueryParams = {}): Promise<void> {
      await run(sql, params, 'JSONEachRow');
    },
    async insert(table: string, rows: readonly Row[]): Promise<void> {
      if (closed) throw new Error('the ClickHouse connection is closed');
      if (rows.length === 0) return;
      await session.insert({ table, values: Buffer.from(rows.map((row) => JSON.stringify(row)).join('\n')), format: 'JSONEachRow' });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await release(dir);
    },
  };
}
