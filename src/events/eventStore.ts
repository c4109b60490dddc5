/**
 * The EventStore holds what ingestion accepted: events, and the identity links that let reports
 * count one person across `$identify` / `$create_alias`. DuckDB is the embedded engine; a
 * ClickHouse engine can implement the same interface later. Like the MetaStore, it knows nothing
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
  /** ISO 3166 alpha-2 where known (no GeoIP database ships yet, so usually null). */
  country: string | null;
  user_agent: string | null;
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

/** A read-only statement written by a query dialect (src/query): values only as bound parameters. */
export interface ReadQuery {
  sql: string;
  params: (string | number | boolean)[];
}

/** One result row; integers arrive as numbers. */
export type ReadRow = (string | number | boolean | null)[];

export interface EventStore {
  readonly engine: 'duckdb';
  /** Creates or upgrades the schema; safe on every start. */
  migrate(): Promise<void>;
  ping(): Promise<void>;
  /** Flushes and releases the database; later calls fail. */
  close(): Promise<void>;

  /**
   * Stores events and identity links in ONE transaction, durable when the promise resolves.
   * Duplicate (client_id, uuid) pairs are skipped, not errors. A link whose distinct_id is
   * already linked keeps its first person (the first merge wins, as peers do).
   */
  append(events: StoredEvent[], links: IdentityLink[]): Promise<AppendOutcome>;
  /** Newest first, in commit order (seq). */
  recentEvents(clientId: string, query: RecentEventsQuery): Promise<CommittedEvent[]>;
  /** The client's identity links, oldest first. */
  identityLinks(clientId: string): Promise<IdentityLink[]>;
  /** Runs a report on the read connection (never inside a write transaction). */
  read(query: ReadQuery): Promise<ReadRow[]>;
  /** Whether the client has any identity link: reports skip the identity join for those without. */
  hasIdentityLinks(clientId: string): Promise<boolean>;
  /** Removes every event and identity link of the client (hard delete of the client). */
  deleteClient(clientId: string): Promise<void>;
}
