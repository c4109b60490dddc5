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
const CHDB_PREFIX = 'chdb:';
export const CLICKHOUSE_URL_FORM = 'http(s)://user:password@host:8123/database or chdb:<dir>';

/** A name ClickHouse accepts unquoted (at most 63 characters), so it can be spliced into DDL as it is. */
export const isClickHouseIdentifier = (value: string): boolean => IDENTIFIER.test(value);

/**
 * A URL or cluster name the engine cannot use. `problem` reads after the name of the setting
 * ("MYTHIC_CLICKHOUSE_URL must …"), so configuration and the engine say the same thing; neither
 * ever repeats the URL, which may carry a password.
 */
export class ClickHouseUrlError extends Error {
  constructor(readonly problem: string) {
    super(`the ClickHouse URL ${problem}`);
    this.name = 'ClickHouseUrlError';
  }
}

const NAME_RULE = 'letters, digits and _, not starting with a digit, at most 63';

function checkedCluster(value: string): string {
  if (!IDENTIFIER.test(value)) throw new ClickHouseUrlError(`cluster name must be a cluster of ClickHouse's remote_servers (${NAME_RULE})`);
  return value;
}

function chdbLocation(rest: string, cluster: string | undefined): ClickHouseLocation {
  const [dir = '', query] = rest.split('?', 2);
  if (dir.trim() === '') throw new ClickHouseUrlError('chdb: needs the directory the embedded ClickHouse keeps its data in, such as chdb:./data/clickhouse');
  const params = new URLSearchParams(query ?? '');
  const database = params.get('database') ?? DEFAULT_DATABASE;
  if ([...params.keys()].some((key) => key !== 'database') || !IDENTIFIER.test(database)) {
    throw new ClickHouseUrlError(`takes only ?database=<name> after chdb:<dir> (${NAME_RULE}), not ?${query}`);
  }
  if (cluster !== undefined) throw new ClickHouseUrlError('chdb: has no cluster name: a cluster needs a ClickHouse server (http or https URL)');
  return { kind: 'chdb', dir: decodeURIComponent(dir), database };
}

/**
 * `http(s)://user:password@host:port/database` or `chdb:<dir>[?database=name]`: the one grammar,
 * used by configuration (to refuse a bad value at start, exit code 2) and by the engine. The
 * cluster name (for ON CLUSTER DDL and Replicated tables) is a separate option, and only
 * meaningful for a server.
 */
export function parseClickHouseUrl(raw: string, options: { cluster?: string } = {}): ClickHouseLocation {
  const text = raw.trim();
  if (text.startsWith(CHDB_PREFIX)) return chdbLocation(text.slice(CHDB_PREFIX.length), options.cluster);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ClickHouseUrlError(`is not a URL; use ${CLICKHOUSE_URL_FORM}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ClickHouseUrlError(`must be ${CLICKHOUSE_URL_FORM}, not ${url.protocol}//… (ClickHouse's HTTP interface, port 8123 or 8443)`);
  }
  if (url.hostname === '') throw new ClickHouseUrlError('has no host');
  if (url.search !== '' || url.hash !== '') throw new ClickHouseUrlError("must not carry a ?query or a #fragment (settings are Mythic's to choose)");
  const path = decodeURIComponent(url.pathname.slice(1));
  if (path !== '' && !IDENTIFIER.test(path)) throw new ClickHouseUrlError(`must name one database as its path (${NAME_RULE}), such as /mythic`);
  const location: ClickHouseLocation = {
    kind: 'http',
    url: `${url.protocol}//${url.host}`,
    username: decodeURIComponent(url.username) || 'default',
    password: decodeURIComponent(url.password),
    database: path === '' ? DEFAULT_DATABASE : path,
  };
  return options.cluster === undefined ? location : { ...location, cluster: checkedCluster(options.cluster) };
}

/** For start-up messages and health: never the password. */
export function describeLocation(location: ClickHouseLocation): string {
  if (location.kind === 'chdb') return `clickhouse (chdb) at ${location.dir}, database ${location.database}`;
  const cluster = location.cluster === undefined ? '' : `, cluster ${location.cluster}`;
  return `clickhouse at ${location.url} as ${location.username}, database ${location.database}${cluster}`;
}
