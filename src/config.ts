import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { ClickHouseUrlError, isClickHouseIdentifier, parseClickHouseUrl } from './engines/clickhouse/url.js';
import { mmdbFileProblem } from './ingest/geo/openGeoLookup.js';
import { allowEntryProblem, splitAllowList } from './outbound/allowList.js';
import { parseLinksHost as readLinksHost, type LinksHost } from './links/linksHost.js';
import { isBareOrigin } from './shared/origin.js';

/**
 * Fastify's `trustProxy`: which peers are believed about the client's address (X-Forwarded-For).
 * false: none; true: any; otherwise the peers with these addresses, CIDR ranges or named ranges.
 */
export type TrustProxy = boolean | string[];

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** Set by MYTHIC_ADMIN_KEY or --admin-key; otherwise one is generated into the data dir. */
  adminKey: string | undefined;
  /** A postgres:// URL selects PostgreSQL for the MetaStore; undefined means SQLite in the data dir. */
  databaseUrl: string | undefined;
  logLevel: string;
  /** Ingestion requests per second per visitor address; 0 turns the limit off. */
  rateLimitPerIp: number;
  /** Ingestion requests per second per client key (publishable and secret counted apart); 0: off. */
  rateLimitPerKey: number;
  /** Behind a reverse proxy: which peers' X-Forwarded-For gives the client's address. */
  trustProxy: TrustProxy;
  /** Milliseconds a request (headers and body) may take to arrive. */
  requestTimeoutMs: number;
  /** Milliseconds the headers may take to arrive; at most requestTimeoutMs. */
  headersTimeoutMs: number;
  /** Milliseconds an idle keep-alive connection is kept open. */
  keepAliveTimeoutMs: number;
  /** Where browsers reach this server (an http(s) origin): embed codes and links use it; unset: the request's Host. */
  publicUrl: string | undefined;
  /**
   * The dedicated short-link host (MYTHIC_LINKS_HOST): short URLs are `<origin>/<slug>` and requests
   * to that host reach only the redirect. Unset: short URLs are `<public origin>/l/<slug>`.
   */
  linksHost?: LinksHost;
  /** Milliseconds a node reuses keys, clients and hostnames it read: how late it may see another node's change. */
  metaCacheTtlMs: number;
  /**
   * Selects the ClickHouse event engine: an http(s)://user:password@host:port/database URL, or
   * chdb:<dir> for embedded ClickHouse; unset means DuckDB in the data dir. Holds the password:
   * print it only through `redactClickhouseUrl`.
   */
  clickhouseUrl?: string;
  /** A ClickHouse cluster name: DDL runs ON CLUSTER it, with Replicated tables (server URLs only). */
  clickhouseCluster?: string;
  /**
   * A MaxMind-DB City database (GeoLite2 or DB-IP Lite City) for country, region and city; unset:
   * the shipped DB-IP Lite country database (country only).
   */
  geoipDb?: string;
  /**
   * Addresses, CIDR ranges and host names that webhook deliveries and uptime checks may reach
   * although they are not public (loopback, private networks); empty: public addresses only.
   */
  outboundAllow?: string[];
  /**
   * ClickHouse only: milliseconds an insert may take from stamping its seqs to committing, across
   * nodes (clock skew included). Pub/Sub reads no event newer than this (see EventStream's
   * streamHorizon); unset: the engine's default (5000).
   */
  pubsubSettleMs?: number;
}

/** A configuration mistake the operator must fix; printed as one line, never as a stack trace. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const MIN_ADMIN_KEY_LENGTH = 24;

/** Each setting: its flag, its environment variable, its default. Flags win over the environment. */
export const SETTINGS = {
  port: { flag: 'port', env: 'PORT', default: '8080' },
  host: { flag: 'host', env: 'HOST', default: '127.0.0.1' },
  dataDir: { flag: 'data-dir', env: 'MYTHIC_DATA_DIR', default: './data' },
  adminKey: { flag: 'admin-key', env: 'MYTHIC_ADMIN_KEY', default: undefined },
  databaseUrl: { flag: 'database-url', env: 'MYTHIC_DATABASE_URL', default: undefined },
  logLevel: { flag: 'log-level', env: 'MYTHIC_LOG_LEVEL', default: 'info' },
  rateLimitPerIp: { flag: 'rate-limit-per-ip', env: 'MYTHIC_RATE_LIMIT_PER_IP', default: '200' },
  rateLimitPerKey: { flag: 'rate-limit-per-key', env: 'MYTHIC_RATE_LIMIT_PER_KEY', default: '2000' },
  trustProxy: { flag: 'trust-proxy', env: 'MYTHIC_TRUST_PROXY', default: 'false' },
  requestTimeout: { flag: 'request-timeout', env: 'MYTHIC_REQUEST_TIMEOUT', default: '30' },
  headersTimeout: { flag: 'headers-timeout', env: 'MYTHIC_HEADERS_TIMEOUT', default: '10' },
  keepAliveTimeout: { flag: 'keep-alive-timeout', env: 'MYTHIC_KEEP_ALIVE_TIMEOUT', default: '5' },
  publicUrl: { flag: 'public-url', env: 'MYTHIC_PUBLIC_URL', default: undefined },
  linksHost: { flag: 'links-host', env: 'MYTHIC_LINKS_HOST', default: undefined },
  metaCacheTtl: { flag: 'meta-cache-ttl', env: 'MYTHIC_META_CACHE_TTL', default: '1' },
  clickhouseUrl: { flag: 'clickhouse-url', env: 'MYTHIC_CLICKHOUSE_URL', default: undefined },
  clickhouseCluster: { flag: 'clickhouse-cluster', env: 'MYTHIC_CLICKHOUSE_CLUSTER', default: undefined },
  geoipDb: { flag: 'geoip-db', env: 'MYTHIC_GEOIP_DB', default: undefined },
  outboundAllow: { flag: 'outbound-allow', env: 'MYTHIC_OUTBOUND_ALLOW', default: undefined },
  pubsubSettle: { flag: 'pubsub-settle-ms', env: 'MYTHIC_PUBSUB_SETTLE_MS', default: undefined },
} as const;

type SettingName = keyof typeof SETTINGS;

function parsePort(raw: string, source: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(port) || port > 65_535) {
    throw new ConfigError(`${source} must be a port number from 0 to 65535, not '${raw}'`);
  }
  return port;
}

function parseRate(raw: string, source: string): number {
  const rate = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !Number.isFinite(rate) || rate > 1_000_000) {
    throw new ConfigError(`${source} must be a number of requests per second from 0 (no limit) to 1000000, not '${raw}'`);
  }
  return rate;
}

/** The longest any timeout may be set to: an hour. */
const MAX_TIMEOUT_SECONDS = 3600;

/** Seconds (decimals allowed, from 0.1 to an hour) as milliseconds: a timeout cannot be turned off. */
function parseSeconds(raw: string, source: string): number {
  const seconds = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !(seconds >= 0.1 && seconds <= MAX_TIMEOUT_SECONDS)) {
    throw new ConfigError(`${source} must be a number of seconds from 0.1 to ${MAX_TIMEOUT_SECONDS}, not '${raw}'`);
  }
  return Math.round(seconds * 1000);
}

function parseDatabaseUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${source} is not a URL; use postgres://user:password@host:5432/database, or leave it unset for the embedded SQLite store`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${source} must be a postgres:// URL (leave it unset for the embedded SQLite store), not ${url.protocol}//…`);
  }
  return raw;
}

/** Named ranges Fastify's trustProxy (proxy-addr) accepts besides addresses and CIDRs. */
const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.includes(entry)) return true;
  const [address = '', prefix, ...extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

function parseTrustProxy(raw: string, source: string): TrustProxy {
  const value = raw.trim();
  if (value === 'false') return false;
  if (value === 'true') return true;
  // Fastify (since 5.12.1) trusts no one given a hop count, because a client talking to the server
  // directly can forge the hops; refused here rather than silently attributing all to the proxy.
  if (/^\d+$/.test(value)) {
    throw new ConfigError(
      `${source} cannot be a hop count ('${raw}'): Fastify no longer honours one, since clients can forge hops; list the proxies' addresses or ranges instead (such as 10.0.0.0/8 or uniquelocal)`,
    );
  }
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.every(isAddressOrRange)) return entries;
  throw new ConfigError(
    `${source} must be false, true, or a comma-separated list of proxy addresses, CIDR ranges and loopback, linklocal or uniquelocal (such as 10.0.0.0/8,::1), not '${raw}'`,
  );
}

/**
 * The public address must be an origin (scheme, host, optional port): paths would be dropped by
 * the links built from it, and credentials, queries or fragments would end up in every embed code.
 */
function parsePublicUrl(raw: string, source: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    url = undefined;
  }
  const isOrigin = url !== undefined && isBareOrigin(url, raw);
  if (!isOrigin || url === undefined) {
    throw new ConfigError(`${source} must be the http:// or https:// origin browsers reach this server at, such as https://analytics.example.com, not '${raw}'`);
  }
  return url.origin;
}

function parseLinksHost(raw: string, source: string): LinksHost {
  const parsed = readLinksHost(raw);
  if (parsed === null) {
    throw new ConfigError(`${source} must be the host name short links are served on, such as go.example.com (https is assumed), or an http(s) origin such as http://go.localhost:8080, not '${raw}'`);
  }
  return parsed;
}

const CHDB_PREFIX = 'chdb:';

/**
 * A ClickHouse URL as it may be shown: the password replaced by ***. Anything but an http(s) URL or
 * chdb:<dir> is not shown at all, since where a password would end in it cannot be known.
 */
export function redactClickhouseUrl(raw: string): string {
  if (raw.startsWith(CHDB_PREFIX)) return raw;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) return '(a value that is not an http(s) URL)';
  if (url.password !== '') url.password = '***';
  return url.toString();
}

/**
 * A server URL (the engine talks to it through @clickhouse/client) or chdb:<dir>, checked by the
 * engine's own grammar so that what passes here opens there. Errors show the URL with its
 * password redacted, never the raw value.
 */
function parseClickhouseUrl(raw: string, source: string): string {
  const value = raw.trim();
  try {
    parseClickHouseUrl(value);
  } catch (error) {
    if (!(error instanceof ClickHouseUrlError)) throw error;
    const shown = value.startsWith(CHDB_PREFIX) ? '' : `: ${redactClickhouseUrl(value)}`;
    throw new ConfigError(`${source} ${error.problem}${shown}`);
  }
  return value;
}

function parseClickhouseCluster(raw: string, source: string, clickhouseUrl: { value: string | undefined; source: string }): string {
  const value = raw.trim();
  if (!isClickHouseIdentifier(value)) {
    throw new ConfigError(`${source} must be a cluster name from ClickHouse's remote_servers (letters, digits and _, at most 63), not '${raw}'`);
  }
  if (clickhouseUrl.value === undefined) {
    throw new ConfigError(`${source} needs ${clickhouseUrl.source}: a cluster is only used with a ClickHouse server`);
  }
  if (clickhouseUrl.value.trim().startsWith(CHDB_PREFIX)) {
    throw new ConfigError(`${source} cannot be used with ${clickhouseUrl.source}=chdb:…: embedded ClickHouse is one process, not a cluster`);
  }
  return value;
}

/**
 * A location database must be a readable MaxMind DB: said at start, not at the first visitor. A
 * Country file is accepted too (it answers countries only), so the message does not demand City.
 */
function parseGeoipDb(raw: string, source: string): string {
  const problem = mmdbFileProblem(raw);
  if (problem !== null) {
    throw new ConfigError(`${source} must be a MaxMind DB (.mmdb) file, a City one for region and city (GeoLite2-City.mmdb or DB-IP's dbip-city-lite .mmdb): ${problem}`);
  }
  return raw;
}

/** Comma-separated addresses, CIDR ranges and host names; each checked, so a typo stops the start. */
function parseOutboundAllow(raw: string, source: string): string[] {
  const entries = splitAllowList(raw);
  for (const entry of entries) {
    const problem = allowEntryProblem(entry);
    if (problem !== null) {
      throw new ConfigError(`${source} must be a comma-separated list of IP addresses, CIDR ranges and host names (such as 10.0.0.0/8,hooks.internal): ${problem}`);
    }
  }
  return entries;
}

/** The longest a node may go on using MetaStore rows it read: five minutes. */
const MAX_META_CACHE_TTL_SECONDS = 300;

/** Seconds (decimals allowed; 0: read the MetaStore on every request) as milliseconds. */
function parseCacheTtl(raw: string, source: string): number {
  const seconds = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !(seconds >= 0 && seconds <= MAX_META_CACHE_TTL_SECONDS)) {
    throw new ConfigError(`${source} must be a number of seconds from 0 (no reuse) to ${MAX_META_CACHE_TTL_SECONDS}, not '${raw}'`);
  }
  return Math.round(seconds * 1000);
}

/**
 * The least settle window accepted: below it an ordinary insert (a network round trip and a part
 * written) could still be committing when the horizon passes its seqs. A node's own inserts are
 * always waited for (the horizon stays below them), so the window only has to cover other nodes.
 */
export const MIN_PUBSUB_SETTLE_MS = 100;
const MAX_PUBSUB_SETTLE_MS = 600_000;

function parseSettleMs(raw: string, source: string): number {
  const ms = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !(ms >= MIN_PUBSUB_SETTLE_MS && ms <= MAX_PUBSUB_SETTLE_MS)) {
    throw new ConfigError(`${source} must be a whole number of milliseconds from ${MIN_PUBSUB_SETTLE_MS} to ${MAX_PUBSUB_SETTLE_MS}, not '${raw}'`);
  }
  return ms;
}

/** Reads and validates every setting; throws ConfigError with a message naming the bad one. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Config {
  const options = Object.fromEntries(Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]));
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const read = (name: SettingName): { value: string | undefined; source: string } => {
    const setting = SETTINGS[name];
    const flag = flags[setting.flag];
    if (typeof flag === 'string') return { value: flag, source: `--${setting.flag}` };
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: setting.env };
    return { value: setting.default, source: setting.env };
  };

  const port = read('port');
  const host = read('host');
  const dataDir = read('dataDir');
  const adminKey = read('adminKey');
  const databaseUrl = read('databaseUrl');
  const logLevel = read('logLevel');
  const rateLimitPerIp = read('rateLimitPerIp');
  const rateLimitPerKey = read('rateLimitPerKey');
  const trustProxy = read('trustProxy');
  const requestTimeout = read('requestTimeout');
  const headersTimeout = read('headersTimeout');
  const keepAliveTimeout = read('keepAliveTimeout');
  const requestTimeoutMs = parseSeconds(requestTimeout.value as string, requestTimeout.source);
  const headersTimeoutMs = parseSeconds(headersTimeout.value as string, headersTimeout.source);
  // Node refuses to start a server whose header timeout is longer than its request timeout.
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      `${headersTimeout.source} (${headersTimeout.value} s) must not be longer than ${requestTimeout.source} (${requestTimeout.value} s): the headers are part of the request`,
    );
  }
  const publicUrl = read('publicUrl');
  const linksHost = read('linksHost');
  const clickhouseUrl = read('clickhouseUrl');
  const metaCacheTtl = read('metaCacheTtl');
  const clickhouseCluster = read('clickhouseCluster');
  const geoipDb = read('geoipDb');
  const outboundAllow = read('outboundAllow');
  const pubsubSettle = read('pubsubSettle');

  if (!host.value?.trim()) throw new ConfigError(`${host.source} must not be empty`);
  if (!dataDir.value?.trim()) throw new ConfigError(`${dataDir.source} must not be empty`);
  if (adminKey.value !== undefined && (adminKey.value.length < MIN_ADMIN_KEY_LENGTH || /\s/.test(adminKey.value))) {
    throw new ConfigError(
      `${adminKey.source} must be at least ${MIN_ADMIN_KEY_LENGTH} characters without spaces (try: openssl rand -hex 32)`,
    );
  }
  if (!LOG_LEVELS.includes(logLevel.value as string)) {
    throw new ConfigError(`${logLevel.source} must be one of ${LOG_LEVELS.join(', ')}, not '${logLevel.value}'`);
  }
  return {
    port: parsePort(port.value as string, port.source),
    host: host.value,
    dataDir: dataDir.value,
    adminKey: adminKey.value,
    databaseUrl: databaseUrl.value === undefined ? undefined : parseDatabaseUrl(databaseUrl.value, databaseUrl.source),
    logLevel: logLevel.value as string,
    rateLimitPerIp: parseRate(rateLimitPerIp.value as string, rateLimitPerIp.source),
    rateLimitPerKey: parseRate(rateLimitPerKey.value as string, rateLimitPerKey.source),
    trustProxy: parseTrustProxy(trustProxy.value as string, trustProxy.source),
    requestTimeoutMs,
    headersTimeoutMs,
    keepAliveTimeoutMs: parseSeconds(keepAliveTimeout.value as string, keepAliveTimeout.source),
    publicUrl: publicUrl.value === undefined ? undefined : parsePublicUrl(publicUrl.value, publicUrl.source),
    ...(linksHost.value === undefined ? {} : { linksHost: parseLinksHost(linksHost.value, linksHost.source) }),
    metaCacheTtlMs: parseCacheTtl(metaCacheTtl.value as string, metaCacheTtl.source),
    // Present only when set, so a DuckDB configuration carries no ClickHouse keys at all.
    ...(clickhouseUrl.value === undefined ? {} : { clickhouseUrl: parseClickhouseUrl(clickhouseUrl.value, clickhouseUrl.source) }),
    ...(clickhouseCluster.value === undefined
      ? {}
      : { clickhouseCluster: parseClickhouseCluster(clickhouseCluster.value, clickhouseCluster.source, clickhouseUrl) }),
    ...(geoipDb.value === undefined ? {} : { geoipDb: parseGeoipDb(geoipDb.value, geoipDb.source) }),
    ...(outboundAllow.value === undefined ? {} : { outboundAllow: parseOutboundAllow(outboundAllow.value, outboundAllow.source) }),
    ...(pubsubSettle.value === undefined ? {} : { pubsubSettleMs: parseSettleMs(pubsubSettle.value, pubsubSettle.source) }),
  };
}
