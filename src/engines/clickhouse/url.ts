/**
 * Where the ClickHouse engine lives, from MYTHIC_CLICKHOUSE_URL. Two kinds: a server (or cluster)
 * over HTTP(S), and chDB embedded in this process for one machine and for the tests. Both name a
 * database, so several stores (tests, tenants of a shared server) can live side by side; its name
 * is spliced into SQL as `db.table`, so only plain identifiers pass.
 */

export type ClickHouseLocation =
  | { kind: 'http'; url: string; username: string; password: string; database: string; cluster?: string }
  | { kind: 'chdb'; dir: string; database: string; cluster?: undefined };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const DEFAULT_DATABASE = 'mythic';

export class ClickHouseUrlError extends Error {}

function checkedIdentifier(value: string, what: string): string {
  if (!IDENTIFIER.test(value)) throw new ClickHouseUrlError(`the ClickHouse ${what} must be letters, digits or underscores, not starting with a digit (at most 63)`);
  return value;
}

/**
 * `http(s)://user:password@host:port/database` or `chdb:<dir>[?database=name]`. The cluster name
 * (for ON CLUSTER DDL and Replicated tables) is a separate option, and only meaningful for a server.
 * Errors never repeat the URL: it may carry a password.
 */
export function parseClickHouseUrl(text: string, options: { cluster?: string } = {}): ClickHouseLocation {
  if (text.startsWith('chdb:')) {
    const [path = '', query = ''] = text.slice('chdb:'.length).split('?', 2);
    if (path === '') throw new ClickHouseUrlError('a chdb: URL needs a directory: chdb:<dir>, such as chdb:data/clickhouse');
    const params = new URLSearchParams(query);
    for (const key of params.keys()) if (key !== 'database') throw new ClickHouseUrlError(`a chdb: URL takes only ?database=<name>, not ?${key}`);
    if (options.cluster !== undefined) throw new ClickHouseUrlError('a cluster name needs a ClickHouse server (http or https URL), not chdb:');
    return { kind: 'chdb', dir: decodeURIComponent(path), database: checkedIdentifier(params.get('database') ?? DEFAULT_DATABASE, 'database name') };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ClickHouseUrlError('the ClickHouse URL must be http(s)://user:password@host:port/database or chdb:<dir>');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ClickHouseUrlError(`the ClickHouse URL must start with http://, https:// or chdb:, not ${url.protocol}`);
  }
  if (url.search !== '' || url.hash !== '') throw new ClickHouseUrlError('the ClickHouse URL takes no ?query or #fragment (the database is its path)');
  const path = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ''));
  const database = checkedIdentifier(path === '' ? DEFAULT_DATABASE : path, 'database name (the URL path)');
  const cluster = options.cluster === undefined ? undefined : checkedIdentifier(options.cluster, 'cluster name');
  const location: ClickHouseLocation = {
    kind: 'http',
    url: `${url.protocol}//${url.host}`,
    username: decodeURIComponent(url.username) || 'default',
    password: decodeURIComponent(url.password),
    database,
  };
  return cluster === undefined ? location : { ...location, cluster };
}

/** For start-up messages and health: never the password. */
export function describeLocation(location: ClickHouseLocation): string {
  if (location.kind === 'chdb') return `clickhouse (chdb) at ${location.dir}, database ${location.database}`;
  const cluster = location.cluster === undefined ? '' : `, cluster ${location.cluster}`;
  return `clickhouse at ${location.url} as ${location.username}, database ${location.database}${cluster}`;
}
