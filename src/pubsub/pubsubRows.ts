/**
 * Pub/Sub subscriptions over the topic `analytics.events`, as the MetaStore keeps them. Times are
 * epoch milliseconds, UTC.
 *
 * The events themselves stay in the EventStore: a subscription keeps a cursor (`cursor_seq`) into
 * the engine's commit order, and only a bounded window of the events after it is staged in the
 * MetaStore as messages, where they are leased to pullers or to a push sender, acknowledged
 * (deleted) or dead-lettered. Staging a window and moving the cursor past it is one transaction,
 * so after a crash nothing is skipped (the cursor did not move) and nothing acknowledged comes back
 * (an acknowledged message's row is gone and its event is below the cursor).
 */
import type { Page, PageOf } from '../store/metaStore.js';

export const PUBSUB_TOPIC = 'analytics.events';
export type SubscriptionType = 'pull' | 'push';
export type SubscriptionState = 'active' | 'paused';

/** Which events a subscription receives; null means no restriction on that field. */
export interface SubscriptionFilter {
  client_ids: string[] | null;
  events: string[] | null;
}

export interface SubscriptionRow {
  /** `sub_` + 12 base62. */
  id: string;
  name: string;
  /** The lowercased name: names are unique case-insensitively. */
  name_key: string;
  topic: typeof PUBSUB_TOPIC;
  type: SubscriptionType;
  /** Push only: where batches are POSTed. */
  push_endpoint: string | null;
  /** Push only: the signing secret, sealed by webhooks/secretBox.ts (never stored in clear). */
  push_secret_sealed: string | null;
  ack_deadline_seconds: number;
  max_delivery_attempts: number;
  filter: SubscriptionFilter;
  state: SubscriptionState;
  /** Every event with seq <= cursor_seq has been staged as a message or skipped; the next fill reads above it. */
  cursor_seq: number;
  /** Messages skipped by the retention limits (too old, or too many behind) and dead letters expired (expireDeadLetters) since creation. */
  dropped_messages: number;
  /** Push only: the sender's state. */
  push_next_attempt_at: number | null;
  push_failures: number;
  push_last_status: number | null;
  push_last_error: string | null;
  push_last_attempt_at: number | null;
  /**
   * Push only: the node sending this subscription's batches (one at a time, in order) and until
   * when. A freed lease clears the owner and keeps lease_until: claims take the least recently
   * claimed subscription first.
   */
  lease_owner: string | null;
  lease_until: number | null;
  created_at: number;
  updated_at: number;
}

export type SubscriptionChanges = Partial<Pick<SubscriptionRow, 'state' | 'push_secret_sealed' | 'push_endpoint' | 'push_next_attempt_at' | 'push_failures'>>;

export interface MessageRow {
  subscription_id: string;
  /** `<client_id>:<uuid>` of the event: the same for every delivery (and for an event stored twice), so subscribers dedupe on it. */
  message_id: string;
  /** The event's seq: messages of one client are delivered in this order. */
  seq: number;
  client_id: string;
  /** When the event was accepted (its received_at). */
  publish_time: number;
  /** The event as delivered: JSON text of events/service.ts presentEvent(row) with `client_id` added. */
  payload: string;
  /** Deliveries so far (0 while never delivered). */
  delivery_attempt: number;
  /** The current delivery's ack id; null when not leased. A stale ack id acknowledges nothing. */
  ack_id: string | null;
  /** Leased (invisible to other pullers) until then; null when available. */
  lease_until: number | null;
  /** Set when the message went to the dead letters. */
  dead_at: number | null;
  /** Push: the last failed attempt's error, shown in the dead letters. */
  last_error: string | null;
}

export interface BacklogCounts {
  /** Staged, not dead, not leased (or lease expired). */
  available: number;
  /** Leased with an unexpired deadline. */
  in_flight: number;
  dead: number;
  /** The oldest publish_time of a staged message that is not dead; null when none. */
  oldest_publish_time: number | null;
}

/** One push attempt's result, written only while `owner` holds the subscription's lease. */
export interface PushOutcome {
  status: number | null;
  error: string | null;
  /**
   * When the attempt was made. A dispatcher that claimed a subscription with nothing to send frees
   * it with the previous record (status, error, attempted_at, failures) as it was, so this is null
   * when no attempt was ever made.
   */
  attempted_at: number | null;
  /** Null after a success (nothing waits); else when the next attempt may be made (back-off). */
  next_attempt_at: number | null;
  /** 0 after a success, else one more. */
  failures: number;
}

/** The MetaStore's part for Pub/Sub (both engines implement it; MetaStore extends it). */
export interface PubSubStore {
  /** UniqueViolation('name') when another subscription has its name_key. */
  insertSubscription(row: SubscriptionRow): Promise<void>;
  getSubscription(id: string): Promise<SubscriptionRow | null>;
  /** Newest first (created_at, then id, descending). */
  listSubscriptions(page: Page): Promise<PageOf<SubscriptionRow>>;
  updateSubscription(id: string, changes: SubscriptionChanges, updatedAt: number): Promise<SubscriptionRow | null>;
  /** Also deletes its messages. */
  deleteSubscription(id: string): Promise<boolean>;

  /**
   * In one transaction, only while the subscription exists and its cursor_seq is still
   * `expectedCursor` (else false, nothing written: another node staged this range): inserts the
   * messages (a message_id already staged is skipped; messages of clients that no longer exist
   * are skipped), sets cursor_seq to `newCursor` and adds `dropped` to dropped_messages. The
   * cursor never goes back: a `newCursor` below it (a ClickHouse horizon from a node whose clock is
   * behind) leaves it where it is, so nothing acknowledged is staged again.
   */
  stageMessages(subscriptionId: string, expectedCursor: number, newCursor: number, messages: MessageRow[], dropped: number): Promise<boolean>;
  /**
   * Deletes staged messages (not dead) published before `before`, adding them to dropped_messages;
   * the number deleted. Leased ones too: their ack ids then acknowledge nothing.
   */
  dropStaleMessages(subscriptionId: string, before: number): Promise<number>;
  backlogCounts(subscriptionId: string, now: number): Promise<BacklogCounts>;

  /**
   * Atomically, for one subscription: first every message whose lease expired at `now` and whose
   * delivery_attempt has reached `maxDeliveryAttempts` goes to the dead letters (dead_at = now).
   * Then leases up to `max` available messages, in seq order, taking a client's messages only
   * while none of that client's messages is leased (so one client's messages are handed out in
   * order, to one holder at a time). Each leased message gets delivery_attempt + 1, a fresh ack
   * id from `newAckId()`, and lease_until = `leaseUntil`. Two callers (on one node or several)
   * never lease the same message at once. One call may take several messages of one client (all
   * to that one holder, in order). Returned in seq order. A subscription that does not exist
   * leases nothing.
   */
  leaseMessages(subscriptionId: string, now: number, leaseUntil: number, max: number, maxDeliveryAttempts: number, newAckId: () => string): Promise<MessageRow[]>;
  /**
   * Deletes the leased messages with these current ack ids (stale or unknown ones are ignored); how
   * many. An ack id stays current until its message is leased again or dead-lettered: an ack that
   * comes after the deadline but before a redelivery still counts (the work was done).
   */
  acknowledge(subscriptionId: string, ackIds: string[]): Promise<number>;
  /**
   * Moves the deadline of the leased messages with these current ack ids (`leaseUntil` <= now:
   * available again); how many. Current as for acknowledge: a deadline that ran out may be moved
   * again while nobody has leased the message since.
   */
  modifyAckDeadline(subscriptionId: string, ackIds: string[], leaseUntil: number): Promise<number>;
  /** Push: records a failed attempt's error on leased messages, without freeing them (their lease runs out). */
  noteDeliveryError(subscriptionId: string, ackIds: string[], error: string): Promise<void>;
  /**
   * Dead letters, newest dead first (dead_at, then message_id, descending). A page's `after` names
   * the last row seen by its dead_at (as `created_at`) and message_id (as `id`).
   */
  listDeadLetters(subscriptionId: string, page: Page): Promise<PageOf<MessageRow>>;
  /**
   * Dead letters (these, or every one when null) become available again with delivery_attempt 0
   * and no last_error; how many (ids that are no dead letter of this subscription are ignored).
   */
  replayDeadLetters(subscriptionId: string, messageIds: string[] | null): Promise<number>;

  /**
   * Push: atomically takes up to `limit` active push subscriptions whose push_next_attempt_at is
   * null or due at `now` and whose lease is free or expired, leasing each to `owner` until `leaseUntil`.
   * Never tried (null) first, then the longest due, then by id. Two nodes claiming at once never
   * get the same subscription.
   */
  claimPushSubscriptions(now: number, owner: string, leaseUntil: number, limit: number): Promise<SubscriptionRow[]>;
  /** Records the attempt and frees the lease, only while `owner` holds it (else false, nothing written). */
  finishPush(subscriptionId: string, owner: string, outcome: PushOutcome): Promise<boolean>;

  /**
   * Dead-letter retention, in one transaction: deletes this subscription's dead letters that died
   * before `deadBefore`, then all but the newest `keep` of the rest (newest as listDeadLetters
   * orders them: dead_at, then message_id, descending), adding them to dropped_messages; the
   * number deleted (0 when the subscription does not exist).
   */
  expireDeadLetters(subscriptionId: string, deadBefore: number, keep: number): Promise<number>;
}
