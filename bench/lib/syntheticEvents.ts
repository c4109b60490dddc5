import type { DuckDBConnection } from '@duckdb/node-api';
import { personKeySql } from '../../src/engines/duckdb/personKey.js';
import { resolvedPersonsSelect } from '../../src/engines/duckdb/resolvedPersons.js';

/**
 * Fills the `events` and `identities` tables with synthetic traffic generated inside DuckDB
 * (INSERT … SELECT FROM range()), because tens of millions of rows through JavaScript would take
 * longer than the benchmark itself. Rows come in time order with all clients interleaved, as real
 * ingestion writes them, so a client's rows are spread over the whole table rather than clustered.
 *
 * Everything is derived from the row number, the sizes, `end` and `seed` with hash() (event uuids
 * included): the same load gives the same rows, so two runs, and both engines, hold the same data.
 */
export interface SyntheticLoad {
  /** Events of the one large client. */
  bigClient: { id: string; events: number };
  /** Each of these gets `smallEvents` events. */
  smallClients: string[];
  smallEvents: number;
  /** The traffic ends at this instant (epoch ms) and covers `days` days before it. */
  end: number;
  days: number;
  /** Mixed into every draw: another seed, other (equally shaped) traffic. */
  seed: number;
}

/** Events in one session (consecutive rows of a client), persons per event: realistic ratios for a content site. */
const EVENTS_PER_SESSION = 5;
const EVENTS_PER_PERSON = 25;
/** Share (in tenths) of persons who identified, and of their sessions made under the identified id. */
const IDENTIFIED_PERSON_MODULO = 10;
/** Distinct paths per site. */
const PAGES = 500;

const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;
const list = (items: string[]): string => `[${items.map(quote).join(', ')}]`;

const REFERRERS = ['google.com', 'google.com', 'google.com', 't.co', 'facebook.com', 'bing.com', 'duckduckgo.com', 'reddit.com', 'news.ycombinator.com', 'linkedin.com', 'instagram.com', 'x.com'];
const BROWSERS = ['Chrome', 'Chrome', 'Chrome', 'Safari', 'Safari', 'Firefox', 'Microsoft Edge', 'Samsung Internet for Android'];
const OSES = ['Windows', 'Windows', 'macOS', 'iOS', 'iOS', 'Android', 'Android', 'Linux'];
const DEVICES = ['desktop', 'desktop', 'desktop', 'mobile', 'mobile', 'mobile', 'tablet'];
const CAMPAIGNS = ['winter_sale', 'brand_search', 'weekly_digest', 'launch', 'retargeting'];
const SOURCES = ['newsletter', 'google', 'facebook', 'instagram', 'linkedin'];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
];

/**
 * A pseudo-random integer in [0, n) drawn from `key` and a stream number (independent draws per
 * stream). hash() is UBIGINT: mixed with a BIGINT it would widen to HUGEINT, ten times slower.
 */
const drawWith = (seed: number) => (key: string, stream: number, n: number | string): string => `(hash(${key}, ${stream}, ${seed}) % (${n})::UBIGINT)::BIGINT`;

/**
 * The SQL generating all rows. Client ids and sizes come from the benchmark's own constants, never
 * from input; they are quoted all the same.
 */
function eventsSql(load: SyntheticLoad): string {
  if (!Number.isInteger(load.seed)) throw new Error('the seed must be an integer');
  const draw = drawWith(load.seed);
  const clients = load.smallClients.length + load.bigClient.events / load.smallEvents;
  if (!Number.isInteger(clients)) throw new Error('the big client must have a whole multiple of the small clients’ events');
  const bigShare = load.bigClient.events / load.smallEvents;
  const total = load.bigClient.events + load.smallClients.length * load.smallEvents;
  const spanUs = BigInt(load.days) * 86_400_000_000n;
  const startUs = BigInt(load.end) * 1000n - spanUs;
  // BIGINT arithmetic: a HUGEINT product per row would cost more than everything else together.
  const stepUs = spanUs / BigInt(total);
  const ids = [load.bigClient.id, ...load.smallClients];
  const paths = Array.from({ length: PAGES }, (_, page) => (page === 0 ? '/' : `/page/${page}`));
  // Strings are picked from constant lists by index at the end: hashing and concatenating strings
  // per row would cost several times more than the integer work.
  const urls = ids.flatMap((id) => paths.map((path) => `https://${id}.bench.example.com${path}`));
  // Row i belongs to slot i % clients: the first `bigShare` slots are the big client's (index 0).
  return `
    WITH owned AS (
      SELECT i,
        CASE WHEN i % ${clients} < ${bigShare} THEN 0 ELSE i % ${clients} - ${bigShare} + 1 END AS c,
        CASE WHEN i % ${clients} < ${bigShare} THEN (i // ${clients}) * ${bigShare} + i % ${clients} ELSE i // ${clients} END AS j
      FROM range(${total}) r(i)
    ), sessions AS (
      SELECT i, c, j // ${EVENTS_PER_SESSION} AS s,
        ${draw('c, j // ' + EVENTS_PER_SESSION, 1, `CASE WHEN c = 0 THEN ${Math.max(1, Math.floor(load.bigClient.events / EVENTS_PER_PERSON))} ELSE ${Math.max(1, Math.floor(load.smallEvents / EVENTS_PER_PERSON))} END`)} AS person
      FROM owned
    ), shaped AS (
      SELECT i, c, s, person, ${draw('i', 2, 100)} AS kind, ${draw('c, s', 3, 100)} AS source_roll,
        -- A cube skews towards 0: a few pages get most of the views, as on real sites.
        floor(${PAGES} * pow(${draw('i', 4, 1000000)} / 1000000.0, 3))::INTEGER AS page
      FROM sessions
    )
    SELECT
      list_element(${list(ids)}, c + 1) AS client_id,
      -- Unique and the same every run (a random uuid would make two loads differ); the column is text.
      '00000000-0000-4000-8000-' || lpad(i::VARCHAR, 12, '0') AS uuid,
      CASE WHEN kind < 72 THEN '$pageview' WHEN kind < 84 THEN 'Product Viewed' WHEN kind < 91 THEN 'Product Added'
           WHEN kind < 95 THEN 'Checkout Started' WHEN kind < 97 THEN 'Order Completed' ELSE 'Newsletter Signed Up' END AS event,
      CASE WHEN person % ${IDENTIFIED_PERSON_MODULO} = 0 AND s % 2 = 0 THEN 'u' ELSE 'v' END || person AS distinct_id,
      make_timestamp(${startUs}::BIGINT + i * ${stepUs})::TIMESTAMPTZ AS "timestamp",
      make_timestamp(${startUs}::BIGINT + i * ${stepUs} + 700000)::TIMESTAMPTZ AS received_at,
      list_element(${list(ids)}, c + 1) || '-s' || s AS session_id,
      'd' || person AS device_id,
      NULL AS anon_distinct_id,
      '{}'::JSON AS properties,
      list_element(${list(urls)}, c * ${PAGES} + page + 1) AS url,
      list_element(${list(ids.map((id) => `${id}.bench.example.com`))}, c + 1) AS host,
      list_element(${list(paths)}, page + 1) AS path,
      CASE WHEN source_roll >= 45 THEN list_element(${list(REFERRERS.map((host) => `https://${host}/`))}, (1 + source_roll % ${REFERRERS.length})::INTEGER) END AS referrer,
      CASE WHEN source_roll >= 45 THEN list_element(${list(REFERRERS)}, (1 + source_roll % ${REFERRERS.length})::INTEGER) END AS referrer_host,
      CASE WHEN source_roll >= 90 THEN list_element(${list(SOURCES)}, (1 + source_roll % ${SOURCES.length})::INTEGER) END AS utm_source,
      CASE WHEN source_roll >= 90 THEN 'cpc' END AS utm_medium,
      CASE WHEN source_roll >= 90 THEN list_element(${list(CAMPAIGNS)}, (1 + source_roll % ${CAMPAIGNS.length})::INTEGER) END AS utm_campaign,
      NULL AS utm_term,
      NULL AS utm_content,
      list_element(${list(BROWSERS)}, (1 + person % ${BROWSERS.length})::INTEGER) AS browser,
      '131.0' AS browser_version,
      list_element(${list(OSES)}, (1 + person % ${OSES.length})::INTEGER) AS os,
      CASE WHEN source_roll = 44 THEN 'bot' ELSE list_element(${list(DEVICES)}, (1 + person % ${DEVICES.length})::INTEGER) END AS device_type,
      source_roll = 44 AS is_bot,
      NULL AS ip,
      NULL AS country,
      list_element(${list(USER_AGENTS)}, (1 + person % ${USER_AGENTS.length})::INTEGER) AS user_agent,
      -- The commit order: rows arrive in time order, as ingestion would store them.
      i + 1 AS seq,
      -- Added after seq by a later migration, so the table holds them last.
      NULL AS region,
      NULL AS city,
      NULL AS link_id
    FROM shaped`;
}

/** Identified persons: their anonymous id 'v<n>' is linked to 'u<n>', as `$identify` would. */
function identitiesSql(load: SyntheticLoad): string {
  const clients = [
    { id: load.bigClient.id, persons: Math.max(1, Math.floor(load.bigClient.events / EVENTS_PER_PERSON)) },
    ...load.smallClients.map((id) => ({ id, persons: Math.max(1, Math.floor(load.smallEvents / EVENTS_PER_PERSON)) })),
  ];
  const startUs = BigInt(load.end) * 1000n - BigInt(load.days) * 86_400_000_000n;
  return clients
    .map(
      (c) => `INSERT INTO identities SELECT ${quote(c.id)}, 'v' || p, 'u' || p, make_timestamp(${startUs}::BIGINT)::TIMESTAMPTZ
              FROM range(0, ${c.persons}, ${IDENTIFIED_PERSON_MODULO}) r(p)`,
    )
    .join(';\n');
}

/** Loads the rows on `connection` (a database already migrated by DuckDbEventStore), resolves the links, and checkpoints. */
export async function loadSyntheticEvents(connection: DuckDBConnection, load: SyntheticLoad): Promise<void> {
  await connection.run("SET TimeZone = 'UTC'");
  await connection.run(`INSERT INTO events SELECT *, ${personKeySql('distinct_id')} AS person_key FROM (${eventsSql(load)})`);
  await connection.run(identitiesSql(load));
  // The store resolves links when it writes them (resolvedPersons.ts); rows written here by SQL
  // bypass it, so the resolved persons are filled as the store's migration fills them.
  await connection.run(`INSERT INTO resolved_persons ${resolvedPersonsSelect('TRUE')}`);
  await connection.run('CHECKPOINT');
}
