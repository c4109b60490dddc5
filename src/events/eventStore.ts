import type { FunnelPlan, ReportPlan } from '../query/plan.js';
import type { Dimension, Metric } from '../query/schemas.js';
import type { EventStream } from '../pubsub/eventStream.js';

/**
 * The EventStore holds what ingestion accepted: events, and the identity links that let reports
 * count one person across `$identify` / `$create_alias`. DuckDB is the embedded engine, ClickHouse
 * the one for several nodes. Like the MetaStore, it knows nothing
 * of HTTP or validation: rows arrive already checked and enriched.
 */

/** One event as stored. Times are epoch milliseconds, UTC. */
export interface StoredEvent {
  client_id: string;
  /** The sender's idempotency key: a UUID in canonical lowercase, or any other printable text as sent; (client_id, uuid) is unique, so a retried event is stored once. */
  uuid: string;
  event: string;
  distinct_id: string;
  /** When the event happened (the caller's timestamp, bounded by ingestion rules). */
  timestamp: number;
  /** When this server accepted it. */
  received_at: number;
  session_id: string | null;
  device_id: string | null;
  anon_distinct_id: string | null;
  /** The event's `properties` object as JSON text. */
  properties: string;
  url: string | null;
  host: string | null;
  path: string | null;
  referrer: string | null;
  referrer_host: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  browser: string | null;
  browser_version: string | null;
  os: string | null;
  /** 'desktop' | 'mobile' | 'tablet' | 'tv' | 'bot' | 'other' */
  device_type: string | null;
  is_bot: boolean;
  /** Never the raw address unless the client asked for it: truncated or keyed-hashed (client setting). */
  ip: string | null;
  /** ISO 3166-1 alpha-2 of the visitor's address where the location database knows it. */
  country: string | null;
  /** The first-level subdivision's English name; only with a City database (MYTHIC_GEOIP_DB). */
  region: string | null;
  /** The city's English name; only with a City database. */
  city: string | null;
  user_agent: string | null;
  /**
   * The short link this event came through: set on a `$link_click` (the redirect's own event) and
   * on a site event whose page URL carries the click id (`mlc`) the redirect appended; else null.
   */
  link_id: string | null;
}

/** An event as read back: with its place in the order in which events were committed. */
export interface CommittedEvent extends StoredEvent {
  /**
   * Increases with every event committed, across clients. Events become readable in this order,
   * so a reader that has seen every event up to one seq sees any later event above it (unlike
   * received_at, stamped before requests commit, in another order).
   */
  seq: number;
}

/** `distinct_id` is another name of the person `person_id` (from `$identify` or `$create_alias`). */
export interface IdentityLink {
  client_id: string;
  distinct_id: string;
  person_id: string;
  created_at: number;
}

export interface AppendOutcome {
  /** Positions (in the `events` argument) of the rows skipped as duplicates. */
  duplicateIndexes: number[];
}

export interface RecentEventsQuery {
  limit: number;
  /** Only events received strictly after this instant (epoch ms). */
  receivedAfter?: number;
  /**
   * Only events committed after this seq: for polling a live view. With it, the `limit` events
   * right after the cursor are returned (the oldest of the newer ones), so a poller that goes on
   * from the highest seq it got never skips one.
   */
  afterSeq?: number;
}

/** One group of a report. */
export interface ReportRow {
  /**
   * The group's value of each dimension of the plan, by name. A time dimension's value is its
   * bucket key as period.ts defines it (a number); the service turns keys into labels.
   */
  dimensions: Partial<Record<Dimension, string | number | null>>;
  /** The group's value of each metric of the plan, by name: counts and rates, 0 where none. */
  metrics: Partial<Record<Metric, number>>;
}

export interface ReportResult {
  /**
   * With `sortAndLimit`: the first `limit` groups in that order, then every dimension ascending
   * (nulls last in both directions). Without it (a time dimension): every group, in no order, at
   * most `maxRows`.
   */
  rows: ReportRow[];
  /** How many groups the report has before the limit (with `sortAndLimit`); else rows.length. */
  total: number;
}

export interface FunnelResult {
  /** Persons who reached each step, in step order (same length as the plan's steps). */
  reached: number[];
}

/** Events of one client, for moving a data dir's events into another engine and checking the copy. */
export interface EventCount {
  client_id: string;
  events: number;
  links: number;
}

/**
 * The one contract between the app and an event engine. Typed operations in, named results out:
 * no SQL crosses it, and nothing outside an engine's folder (src/engines/<name>/) and the one
 * place that opens it (src/engines/openEventStore.ts) knows which engine is behind it.
 * Every engine gives the same answer to every plan (the query suites run once per engine).
 */
export interface EventStore extends EventStream {
  /** What and where the engine is, for start-up messages and health: "duckdb at data/events.duckdb". */
  readonly description: string;
  /** Creates or upgrades the schema; safe on every start, and from several nodes at once. */
  migrate(): Promise<void>;
  ping(): Promise<void>;
  /** Flushes and releases the engine; later calls fail. */
  close(): Promise<void>;

  /**
   * Stores events and identity links, durable when the promise resolves. Duplicate
   * (client_id, uuid) pairs are skipped, not errors, and are counted once in every report
   * whichever node stored them. A link whose distinct_id is already linked keeps its first
   * person (the first merge wins, as peers do).
   */
  append(events: StoredEvent[], links: IdentityLink[]): Promise<AppendOutcome>;
  /** Newest first, in commit order (seq). */
  recentEvents(clientId: string, query: RecentEventsQuery): Promise<CommittedEvent[]>;
  /** The client's identity links, oldest first. */
  identityLinks(clientId: string): Promise<IdentityLink[]>;
  /** One report over one client's events (see ReportPlan). */
  report(plan: ReportPlan): Promise<ReportResult>;
  /** One funnel over one client's events: persons per step. */
  funnel(plan: FunnelPlan): Promise<FunnelResult>;
  /** Removes every event and identity link of the client (hard delete of the client). */
  deleteClient(clientId: string): Promise<void>;

  /** Every client's events committed after `afterSeq`, oldest first, at most `limit`: for export. */
  exportEvents(afterSeq: number, limit: number): Promise<CommittedEvent[]>;
  /** Every client's identity links, oldest first: for export. */
  exportLinks(): Promise<IdentityLink[]>;
  /** Events and links per client (duplicates counted once), for checking a copy. */
  counts(): Promise<EventCount[]>;
}
