import { HIDDEN_EVENTS } from '../../query/hiddenEvents.js';

/**
 * The ClickHouse tables, shaped after what Plausible's and PostHog's events tables learned:
 *
 * - Sorted by (client, day, person key, time) and partitioned by month, so a report reads one
 *   client's days and nothing else, and a person's rows of a day sit together.
 * - `person_key` is a stored cityHash64 of distinct_id: visitors are counted exactly with
 *   `uniqExact` on 64 bits, not on strings (measured on 10M events: 285 ms against 1,157 ms), and
 *   resolved through identity links at query time.
 * - A retried event is stored once: the writer checks (client_id, uuid) before inserting (the
 *   bloom filter on uuid keeps that to a few granules), and two nodes that stored the same event
 *   at the same instant remove the later copy right after (see dedup.ts). Plain MergeTree rather
 *   than ReplacingMergeTree: its key would have to be (client, uuid) to catch a retry carrying
 *   another timestamp, which throws away the sort by time, and its merges are never guaranteed
 *   without FINAL on every read.
 * - `seq` is this engine's commit-order cursor (see seq.ts); `row_id` tells two copies of one
 *   event apart.
 *
 * With a cluster name every statement runs ON CLUSTER and the engines are Replicated (one shard,
 * any number of replicas; the replica path comes from the server's default_replica_path).
 */

export interface SchemaTarget {
  database: string;
  cluster?: string | undefined;
}

export const onCluster = (target: SchemaTarget): string => (target.cluster === undefined ? '' : ` ON CLUSTER ${target.cluster}`);
const engine = (target: SchemaTarget, name: 'MergeTree' | 'ReplacingMergeTree' | 'SummingMergeTree'): string => (target.cluster === undefined ? name : `Replicated${name}`);

export const tablesOf = (database: string) => ({
  events: `${database}.events`,
  identities: `${database}.identities`,
  migrations: `${database}.schema_migrations`,
  quarterRollup: `${database}.quarter_hour_rollup`,
  quarterRollupView: `${database}.quarter_hour_rollup_view`,
  quarterRollupStart: `${database}.quarter_hour_rollup_start`,
  racedQuarters: `${database}.raced_quarter_hours`,
});
export type Tables = ReturnType<typeof tablesOf>;

export const createDatabase = (target: SchemaTarget): string => `CREATE DATABASE IF NOT EXISTS ${target.database}${onCluster(target)}`;

/** The ledger of applied steps. Two nodes migrating at once may both record a step: the key collapses them, and reads use FINAL. */
export const createLedger = (target: SchemaTarget): string =>
  `CREATE TABLE IF NOT EXISTS ${tablesOf(target.database).migrations}${onCluster(target)} (
    version UInt32, name String, applied_at DateTime64(3, 'UTC')
  ) ENGINE = ${engine(target, 'ReplacingMergeTree')} ORDER BY version`;

/** Region and city names repeat across a client's events: stored by dictionary, like country. */
const LOW_CARDINALITY_TEXT = 'LowCardinality(Nullable(String))';
const GEO_COLUMNS = ['region', 'city'];

/**
 * Migration 3 on a database created before it: the columns `createEvents` now holds. ADD COLUMN IF
 * NOT EXISTS keeps it idempotent, as every step must be (see migrations.ts); on a database created
 * with them it changes nothing.
 */
export const addGeoColumns = (target: SchemaTarget): string =>
  `ALTER TABLE ${tablesOf(target.database).events}${onCluster(target)} ${GEO_COLUMNS.map((name) => `ADD COLUMN IF NOT EXISTS ${name} ${LOW_CARDINALITY_TEXT}`).join(', ')}`;

/**
 * Migration 4: the short link an event came through (links/clickEvent.ts). Plain Nullable(String):
 * most events have none, and a busy client's links are too many for a dictionary to pay.
 */
export const addLinkColumn = (target: SchemaTarget): string =>
  `ALTER TABLE ${tablesOf(target.database).events}${onCluster(target)} ADD COLUMN IF NOT EXISTS link_id Nullable(String)`;

/**
 * Migration 5: Pub/Sub reads events by seq (above a subscription's cursor), and the table is
 * sorted by client and day. A minmax index per granule lets such a read skip every granule whose
 * seqs are all at or below the cursor: seq is an insert-time stamp, so a granule holds seqs of
 * the inserts merged into its part, and all but the newest parts are passed over. IF NOT EXISTS
 * keeps the step idempotent; MATERIALIZE builds it for the parts already stored (a background
 * mutation: new parts get it as they are written).
 */
export const addSeqIndex = (target: SchemaTarget): string =>
  `ALTER TABLE ${tablesOf(target.database).events}${onCluster(target)} ADD INDEX IF NOT EXISTS seq_minmax seq TYPE minmax GRANULARITY 1`;
export const materializeSeqIndex = (target: SchemaTarget): string =>
  `ALTER TABLE ${tablesOf(target.database).events}${onCluster(target)} MATERIALIZE INDEX seq_minmax`;

const nullable = (names: string[], type = 'Nullable(String)'): string => names.map((name) => `${name} ${type}`).join(',\n    ');

export const createEvents = (target: SchemaTarget): string =>
  `CREATE TABLE IF NOT EXISTS ${tablesOf(target.database).events}${onCluster(target)} (
    client_id String,
    uuid String,
    event LowCardinality(String),
    distinct_id String,
    person_key UInt64 MATERIALIZED cityHash64(distinct_id),
    timestamp DateTime64(3, 'UTC'),
    received_at DateTime64(3, 'UTC'),
    ${nullable(['session_id', 'device_id', 'anon_distinct_id'])},
    properties String,
    ${nullable(['url', 'host', 'path', 'referrer', 'referrer_host', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'])},
    ${nullable(['browser', 'os', 'device_type', 'country', ...GEO_COLUMNS], LOW_CARDINALITY_TEXT)},
    browser_version Nullable(String),
    is_bot Bool,
    ip Nullable(String),
    user_agent Nullable(String),
    link_id Nullable(String),
    seq UInt64,
    row_id UInt64 DEFAULT rand64(),
    INDEX uuid_bloom uuid TYPE bloom_filter(0.001) GRANULARITY 1
  ) ENGINE = ${engine(target, 'MergeTree')}
  PARTITION BY toYYYYMM(timestamp)
  ORDER BY (client_id, toDate(timestamp), person_key, timestamp)`;

/** Every link as sent; the first of a distinct_id (FIRST_LINK_ORDER in scope.ts) wins at read time, on every node alike. */
export const createIdentities = (target: SchemaTarget): string =>
  `CREATE TABLE IF NOT EXISTS ${tablesOf(target.database).identities}${onCluster(target)} (
    client_id String,
    distinct_id String,
    person_id String,
    created_at DateTime64(3, 'UTC'),
    seq UInt64
  ) ENGINE = ${engine(target, 'MergeTree')}
  ORDER BY (client_id, distinct_id)`;

/** Columns of StoredEvent as the table holds them, for reading rows back. */
export const EVENT_COLUMNS = [
  'client_id', 'uuid', 'event', 'distinct_id', 'timestamp', 'received_at', 'session_id', 'device_id', 'anon_distinct_id', 'properties',
  'url', 'host', 'path', 'referrer', 'referrer_host', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content',
  'browser', 'browser_version', 'os', 'device_type', 'is_bot', 'ip', 'country', 'user_agent',
  'region', 'city', 'link_id',
] as const;

/**
 * SELECT list that gives rows back as CommittedEvent, times as epoch ms under other names (`_ms`):
 * ClickHouse lets an alias shadow its column in WHERE, so `received_at > …` would have compared
 * the milliseconds.
 */
export const EVENT_COLUMNS_AS_STORED = [
  ...EVENT_COLUMNS.map((c) => (c === 'timestamp' || c === 'received_at' ? `toUnixTimestamp64Milli(${c}) AS ${c}_ms` : c)),
  'seq',
].join(', ');

/**
 * Migration 6, quarter-hour rollups (quarterRollup.ts says how reports read them): for every
 * quarter hour (UTC, epoch ms) of a client, each (bot flag, referrer host, person key) with its
 * events and page views, hidden events left out. A materialized view writes them with every insert
 * into `events`, so they are never behind; SummingMergeTree adds up a key's rows as parts merge
 * (reads still sum them). Partitioned by month like the events.
 *
 * If HIDDEN_EVENTS changes, the view must be made again (and rollups started anew): the list is
 * written into it.
 */
export const createQuarterRollup = (target: SchemaTarget): string =>
  `CREATE TABLE IF NOT EXISTS ${tablesOf(target.database).quarterRollup}${onCluster(target)} (
    client_id String,
    quarter_start Int64,
    is_bot Bool,
    referrer_host Nullable(String),
    person_key UInt64,
    events Int64,
    page_views Int64
  ) ENGINE = ${engine(target, 'SummingMergeTree')}
  PARTITION BY toYYYYMM(toDateTime(intDiv(quarter_start, 1000), 'UTC'))
  ORDER BY (client_id, quarter_start, is_bot, referrer_host, person_key)
  SETTINGS allow_nullable_key = 1`;

/** The quarter hour (epoch ms, UTC) an instant of `DateTime64` column `column` falls in (floored: before 1970 too). */
export const quarterOf = (column: string): string => `(toUnixTimestamp64Milli(${column}) - positiveModulo(toUnixTimestamp64Milli(${column}), ${QUARTER_HOUR_MS}))`;
export const QUARTER_HOUR_MS = 900_000;

/** The hidden events, written into the view and the start's rows: constants of the schema, not input, checked to be plain names. */
const plainHiddenEvents = (): readonly string[] => {
  if (!HIDDEN_EVENTS.every((name) => /^[$\w]+$/.test(name))) throw new Error('a hidden event name is not a plain name');
  return HIDDEN_EVENTS;
};
const hiddenList = (): string => plainHiddenEvents().map((name) => `'${name}'`).join(', ');

export const createQuarterRollupView = (target: SchemaTarget): string => {
  const t = tablesOf(target.database);
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${t.quarterRollupView}${onCluster(target)} TO ${t.quarterRollup} AS
  SELECT client_id, ${quarterOf('timestamp')} AS quarter_start, is_bot, referrer_host, cityHash64(distinct_id) AS person_key,
    toInt64(count()) AS events, toInt64(countIf(event = '$pageview')) AS page_views
  FROM ${t.events} WHERE event NOT IN (${hiddenList()})
  GROUP BY client_id, quarter_start, is_bot, referrer_host, person_key`;
};

/**
 * Quarters where two nodes stored one event and the later copy was deleted (dedup.ts): the view
 * counted both copies, so reports read these quarters from the events. Written before the
 * delete, so no report reads a rollup that counts a deleted copy.
 */
export const createRacedQuarters = (target: SchemaTarget): string =>
  `CREATE TABLE IF NOT EXISTS ${tablesOf(target.database).racedQuarters}${onCluster(target)} (
    client_id String,
    quarter_start Int64
  ) ENGINE = ${engine(target, 'MergeTree')}
  ORDER BY (client_id, quarter_start)`;

/**
 * From which instant the rollups hold every event, for the hidden events the view leaves out:
 * reports read rollups only under a row naming the list they exclude (a release that changes the
 * list makes the view again and records a start of its own), and the earliest such row wins.
 * Events stored before the view existed are not in the rollups. A database created in the same
 * migration run, with no events, is whole from the start (0); any other from a quarter hour after
 * now plus 65 minutes: events are accepted up to 5 minutes ahead of a node's clock, and the hour
 * covers clocks that disagree. Reports read events before that instant. Recorded after the view
 * exists, so the row only ever says less than is true.
 */
export const createQuarterRollupStart = (target: SchemaTarget): string =>
  `CREATE TABLE IF NOT EXISTS ${tablesOf(target.database).quarterRollupStart}${onCluster(target)} (
    complete_from Int64,
    hidden_events String,
    recorded_at DateTime64(3, 'UTC')
  ) ENGINE = ${engine(target, 'MergeTree')}
  ORDER BY complete_from`;

/** The hidden events the view leaves out, as the start's rows name them. */
export const HIDDEN_EVENTS_KEY = plainHiddenEvents().join(',');

const ROLLUP_START_MARGIN_MS = 65 * 60_000;
/** `freshDatabase`: the events table was created in this migration run. */
export const recordQuarterRollupStart = (target: SchemaTarget, freshDatabase: boolean): string => {
  const t = tablesOf(target.database);
  const later = `intDiv(toUnixTimestamp64Milli(now64(3)) + ${ROLLUP_START_MARGIN_MS + QUARTER_HOUR_MS - 1}, ${QUARTER_HOUR_MS}) * ${QUARTER_HOUR_MS}`;
  const whole = freshDatabase ? `(SELECT count() FROM ${t.events}) = 0` : 'false';
  return `INSERT INTO ${t.quarterRollupStart} SELECT if(${whole}, 0, ${later}), '${HIDDEN_EVENTS_KEY}', now64(3)`;
};
