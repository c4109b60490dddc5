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
   * (one writer): the highest seq committed (deleted events included: seq never goes back).
   * ClickHouse (seq is an insert-time stamp in µs, several writers): now minus a settle window
   * (MYTHIC_PUBSUB_SETTLE_MS, default 5000), bounding how long an insert may take between
   * stamping and committing, clock skew between nodes included; and always below the first seq of
   * this node's own insert in flight, so one node is exact whatever the window (the window only
   * covers other nodes' inserts; config refuses less than 100 ms).
   *
   * On ClickHouse it follows the clock of the node asked: two nodes (or one whose clock stepped
   * back) may answer below a horizon another call returned. A reader therefore never moves a
   * cursor down to a horizon: a horizon at or below the cursor means "nothing new yet".
   */
  streamHorizon(): Promise<number>;
  /**
   * Events of the query, oldest (lowest seq) first, at most `limit`. On ClickHouse an event two
   * nodes stored at the same instant may show twice for a moment (see dedup.ts): same message_id,
   * so staging keeps one.
   */
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
