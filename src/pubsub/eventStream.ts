/**
 * What Pub/Sub reads from the EventStore: events in commit order (seq) above a subscription's
 * cursor. Both engines implement it (EventStore extends it).
 */
import type { CommittedEvent } from '../events/eventStore.js';
import type { SubscriptionFilter } from './pubsubRows.js';

export interface StreamQuery {
  /** Only events with seq > afterSeq ... */
  afterSeq: number;
  /** ... and seq <= uptoSeq (a horizon from streamHorizon()). */
  uptoSeq: number;
  filter: SubscriptionFilter;
}

export interface StreamBacklog {
  events: number;
  /** The smallest received_at among them; null when none. */
  oldest_received_at: number | null;
}

export interface EventStream {
  /**
   * The highest seq a reader can rely on: every event committed later gets a higher seq. DuckDB
   * (one writer): the highest seq committed. ClickHouse (seq is an insert-time stamp in µs, several
   * writers): now minus a settle window (MYTHIC_PUBSUB_SETTLE_MS, default 5000), bounding how long
   * an insert may take between stamping and committing; documented.
   */
  streamHorizon(): Promise<number>;
  /** Events of the query, oldest (lowest seq) first, at most `limit`. */
  streamEvents(query: StreamQuery, limit: number): Promise<CommittedEvent[]>;
  /** How many events the query matches, and the oldest's received_at. */
  streamBacklog(query: StreamQuery): Promise<StreamBacklog>;
  /**
   * The seq below which events are to be dropped to keep only the newest `keep` events of the
   * query: the seq of the (keep + 1)-th newest matching event, or null when the query matches
   * at most `keep` events.
   */
  streamSeqKeeping(query: StreamQuery, keep: number): Promise<number | null>;
}
