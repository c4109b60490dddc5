/**
 * SQL and row mapping of the Pub/Sub tables shared by both MetaStore engines. The statements are
 * the same text on both; only the placeholder differs (`@name` for SQLite, `$n` for PostgreSQL),
 * so each is written once here as a function of the placeholders, and the engines keep only what
 * truly differs: transactions and locking (one write lock on SQLite; on PostgreSQL the
 * subscription row, see postgresMetaStore.ts leaseMessages).
 */
import type { MessageRow, SubscriptionFilter, SubscriptionRow } from '../pubsub/pubsubRows.js';

type Row = Record<string, unknown>;

/** Columns a subscription change may name: SQL text is built from these names only. */
export const SUBSCRIPTION_CHANGE_COLUMNS: ReadonlySet<string> = new Set([
  'state', 'push_secret_sealed', 'push_endpoint', 'push_next_attempt_at', 'push_failures', 'updated_at',
]);

/** Every column of pubsub_subscriptions, in insert order. */
export const SUBSCRIPTION_COLUMNS = [
  'id', 'name', 'name_key', 'topic', 'type', 'push_endpoint', 'push_secret_sealed', 'ack_deadline_seconds', 'max_delivery_attempts',
  'filter', 'state', 'cursor_seq', 'dropped_messages', 'push_next_attempt_at', 'push_failures', 'push_last_status', 'push_last_error',
  'push_last_attempt_at', 'lease_owner', 'lease_until', 'created_at', 'updated_at',
] as const satisfies readonly (keyof SubscriptionRow)[];

/** Every column of pubsub_messages, in insert order. */
export const MESSAGE_COLUMNS = [
  'subscription_id', 'message_id', 'seq', 'client_id', 'publish_time', 'payload', 'delivery_attempt', 'ack_id', 'lease_until', 'dead_at', 'last_error',
] as const satisfies readonly (keyof MessageRow)[];

/** BIGINT columns come back from pg as text; SQLite gives numbers. */
const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const textOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

export function toSubscriptionRow(row: Row): SubscriptionRow {
  // SQLite keeps the filter as JSON text; PostgreSQL's JSON column arrives parsed.
  const filter = (typeof row.filter === 'string' ? JSON.parse(row.filter) : row.filter) as SubscriptionFilter;
  return {
    id: String(row.id),
    name: String(row.name),
    name_key: String(row.name_key),
    topic: row.topic as SubscriptionRow['topic'],
    type: row.type as SubscriptionRow['type'],
    push_endpoint: textOrNull(row.push_endpoint),
    push_secret_sealed: textOrNull(row.push_secret_sealed),
    ack_deadline_seconds: num(row.ack_deadline_seconds),
    max_delivery_attempts: num(row.max_delivery_attempts),
    filter: { client_ids: filter.client_ids ?? null, events: filter.events ?? null },
    state: row.state as SubscriptionRow['state'],
    cursor_seq: num(row.cursor_seq),
    dropped_messages: num(row.dropped_messages),
    push_next_attempt_at: numOrNull(row.push_next_attempt_at),
    push_failures: num(row.push_failures),
    push_last_status: numOrNull(row.push_last_status),
    push_last_error: textOrNull(row.push_last_error),
    push_last_attempt_at: numOrNull(row.push_last_attempt_at),
    lease_owner: textOrNull(row.lease_owner),
    lease_until: numOrNull(row.lease_until),
    created_at: num(row.created_at),
    updated_at: num(row.updated_at),
  };
}

export function toMessageRow(row: Row): MessageRow {
  return {
    subscription_id: String(row.subscription_id),
    message_id: String(row.message_id),
    seq: num(row.seq),
    client_id: String(row.client_id),
    publish_time: num(row.publish_time),
    payload: String(row.payload),
    delivery_attempt: num(row.delivery_attempt),
    ack_id: textOrNull(row.ack_id),
    lease_until: numOrNull(row.lease_until),
    dead_at: numOrNull(row.dead_at),
    last_error: textOrNull(row.last_error),
  };
}

/** Placeholders of the parameters the statements below use, as each engine writes them. */
export interface PubSubParams {
  sub: string;
  now: string;
  max: string;
}

/** A message neither dead nor leased: ready to lease (a lease that ran out counts as none). */
export const AVAILABLE = (now: string, m = 'm'): string => `${m}.dead_at IS NULL AND (${m}.lease_until IS NULL OR ${m}.lease_until <= ${now})`;
/** A message leased to someone whose deadline has not passed. */
export const IN_FLIGHT = (now: string, m = 'm'): string => `${m}.dead_at IS NULL AND ${m}.lease_until > ${now}`;

/**
 * Dead-letters the messages whose lease ran out at `now` after their last allowed delivery.
 * (`max` here is the subscription's max_delivery_attempts.) Their ack id goes: a late ack of a
 * dead letter acknowledges nothing.
 */
export const deadLetterExpiredSql = (p: PubSubParams): string =>
  `UPDATE pubsub_messages SET dead_at = ${p.now}, ack_id = NULL, lease_until = NULL
   WHERE subscription_id = ${p.sub} AND dead_at IS NULL AND lease_until IS NOT NULL AND lease_until <= ${p.now} AND delivery_attempt >= ${p.max}`;

/**
 * The next messages to lease, in seq order: available ones of clients with nothing in flight.
 * Taking several of one free client's messages at once is allowed (one holder, in order).
 */
export const leaseCandidatesSql = (p: PubSubParams): string =>
  `SELECT m.message_id FROM pubsub_messages m
   WHERE m.subscription_id = ${p.sub} AND ${AVAILABLE(p.now)}
     AND m.client_id NOT IN (SELECT f.client_id FROM pubsub_messages f WHERE f.subscription_id = ${p.sub} AND ${IN_FLIGHT(p.now, 'f')})
   ORDER BY m.seq, m.message_id LIMIT ${p.max}`;

/** Counts of backlogCounts in one pass over the subscription's rows. */
export const backlogSql = (p: Pick<PubSubParams, 'sub' | 'now'>): string =>
  `SELECT
     COALESCE(SUM(CASE WHEN ${AVAILABLE(p.now)} THEN 1 ELSE 0 END), 0) AS available,
     COALESCE(SUM(CASE WHEN ${IN_FLIGHT(p.now)} THEN 1 ELSE 0 END), 0) AS in_flight,
     COALESCE(SUM(CASE WHEN m.dead_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS dead,
     MIN(CASE WHEN m.dead_at IS NULL THEN m.publish_time END) AS oldest
   FROM pubsub_messages m WHERE m.subscription_id = ${p.sub}`;

/** The claimable push subscriptions at `now` (active, due, lease free or run out). */
export const PUSH_DUE = (now: string, s = 's'): string =>
  `${s}.type = 'push' AND ${s}.state = 'active' AND (${s}.push_next_attempt_at IS NULL OR ${s}.push_next_attempt_at <= ${now})
   AND (${s}.lease_owner IS NULL OR ${s}.lease_until <= ${now})`;

/**
 * The order in which due push subscriptions are claimed: the least recently claimed first (a freed
 * lease keeps its lease_until for this), so every subscription gets its turn. Ordered by due time
 * or id instead, a node whose slots all went to idle subscriptions that sort first never reached
 * the others.
 */
export const PUSH_CLAIM_ORDER = (s = 's'): string => `${s}.lease_until NULLS FIRST, ${s}.id`;

/** Claimed push subscriptions, the longest waiting first (never tried: first of all), then by id. */
export function byDueThenId(a: SubscriptionRow, b: SubscriptionRow): number {
  const due = (a.push_next_attempt_at ?? -Infinity) - (b.push_next_attempt_at ?? -Infinity);
  if (due !== 0 && !Number.isNaN(due)) return due;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
