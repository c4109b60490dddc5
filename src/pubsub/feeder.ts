/**
 * Moves events from the EventStore into a subscription's staged messages, a bounded window at a
 * time. Why a window rather than staging every event: the events are already kept (durably) by
 * the engine; copying them all into the MetaStore would double the write load of ingestion for
 * every subscription. Only what a puller or the push sender is about to take is staged (at most
 * `stageWindow`, 1000, not-dead messages), and the cursor moves past it in the same transaction
 * (PubSubStore.stageMessages), so a crash skips nothing and brings nothing acknowledged back.
 *
 * Retention (documented in the README): events older than `retentionMs` (7 days) are dropped,
 * not staged, and so are staged messages that grew that old; when more than `maxBacklog`
 * (1,000,000) events wait behind the cursor, the oldest are skipped. Both are counted in the
 * subscription's dropped_messages. A paused subscription is not filled: its cursor waits.
 *
 * Several nodes may fill one subscription at once: stageMessages only writes while the cursor is
 * still the one read, so the loser's read is wasted, never staged twice. On one node, concurrent
 * fills of one subscription share one run.
 */
import { presentEvent } from '../events/service.js';
import type { CommittedEvent } from '../events/eventStore.js';
import type { EventStream, StreamQuery } from './eventStream.js';
import type { MessageRow, PubSubStore, SubscriptionRow } from './pubsubRows.js';

export interface FeederOptions {
  /** Not-dead messages staged per subscription at most. */
  stageWindow: number;
  /** Events (and staged messages) older than this are dropped. */
  retentionMs: number;
  /** Events behind the cursor kept at most; older ones beyond are skipped. */
  maxBacklog: number;
}

export const DEFAULT_FEEDER_OPTIONS: FeederOptions = {
  stageWindow: 1000,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  maxBacklog: 1_000_000,
};

export interface FeederDeps {
  store: PubSubStore;
  events: EventStream;
  /** Real time (epoch ms): publish times are compared with it. */
  now: () => number;
}

/** How many times one fill reads again when age-dropped events left the window short. */
const MAX_READS_PER_FILL = 4;

/** The message an event becomes: the event as the API shows it, with its client. */
export function messageOf(subscriptionId: string, event: CommittedEvent): MessageRow {
  return {
    subscription_id: subscriptionId,
    message_id: `${event.client_id}:${event.uuid}`,
    seq: event.seq,
    client_id: event.client_id,
    publish_time: event.received_at,
    payload: JSON.stringify({ ...presentEvent(event), client_id: event.client_id }),
    delivery_attempt: 0,
    ack_id: null,
    lease_until: null,
    dead_at: null,
    last_error: null,
  };
}

export class MessageFeeder {
  readonly options: FeederOptions;
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: FeederDeps,
    options: Partial<FeederOptions> = {},
  ) {
    this.options = { ...DEFAULT_FEEDER_OPTIONS, ...options };
  }

  /**
   * Once fewer than half the window are staged, tops the subscription's staged messages up to the
   * window from the events after its cursor (committed up to the engine's horizon), dropping what
   * the retention rules drop (stale staged messages: on every call). Does nothing for a paused
   * subscription. Pass the row as just read; a stale one only wastes a read.
   */
  fill(subscription: SubscriptionRow): Promise<void> {
    if (subscription.state !== 'active') return Promise.resolve();
    const current = this.running.get(subscription.id);
    if (current !== undefined) return current;
    const run = this.fillOnce(subscription).finally(() => this.running.delete(subscription.id));
    this.running.set(subscription.id, run);
    return run;
  }

  private async fillOnce(subscription: SubscriptionRow): Promise<void> {
    const { store, events, now } = this.deps;
    const { stageWindow, retentionMs, maxBacklog } = this.options;
    const id = subscription.id;
    let cursor = subscription.cursor_seq;
    for (let reads = 0; reads < MAX_READS_PER_FILL; reads++) {
      const at = now();
      const oldestKept = at - retentionMs;
      let counts = await store.backlogCounts(id, at);
      // Stale messages are dropped before anything is leased, as ever; the counts name the oldest
      // staged one, so the drop (a write transaction) runs only when there is something to drop.
      if (counts.oldest_publish_time !== null && counts.oldest_publish_time < oldestKept) {
        await store.dropStaleMessages(id, oldestKept);
        counts = await store.backlogCounts(id, at);
      }
      const waiting = counts.available + counts.in_flight;
      // Refilled once half empty, and then up to the whole window: each fill costs an engine read
      // whatever its size, so topping up by the few just acknowledged on every pull made the read,
      // not the delivery, the cost of a message.
      if (reads === 0 && waiting >= stageWindow / 2) return;
      const room = stageWindow - waiting;
      if (room <= 0) return;
      const horizon = await events.streamHorizon();
      if (horizon <= cursor) return;
      const query: StreamQuery = { afterSeq: cursor, uptoSeq: horizon, filter: subscription.filter };
      let skipped = 0;
      let batch = await events.streamEvents(query, room);
      if (batch.length === room) {
        // A full read: there may be more behind the cursor than the backlog keeps. Asked only
        // then, since it counts every event behind the cursor.
        const keepAbove = await events.streamSeqKeeping(query, maxBacklog);
        if (keepAbove !== null && keepAbove > cursor) {
          skipped = (await events.streamBacklog({ ...query, uptoSeq: keepAbove })).events;
          query.afterSeq = keepAbove;
          batch = await events.streamEvents(query, room);
        }
      }
      const last = batch[batch.length - 1];
      const full = batch.length === room && last !== undefined;
      if (full) {
        // The cursor moves to the last seq read, and seq is unique only per node on ClickHouse (two
        // writers stamp the same microsecond): every event at that seq is taken now, not only those
        // the limit let through, or the others would be skipped for good. Ties are as many as nodes.
        const tied = await events.streamEvents({ ...query, afterSeq: last.seq - 1, uptoSeq: last.seq }, room);
        batch = [...batch.filter((event) => event.seq !== last.seq), ...tied];
      }
      const newCursor = full ? last.seq : horizon;
      const messages: MessageRow[] = [];
      for (const event of batch) {
        if (event.received_at < oldestKept) skipped++;
        else messages.push(messageOf(id, event));
      }
      const staged = await store.stageMessages(id, cursor, newCursor, messages, skipped);
      // Another node staged this range first (or the subscription is gone): nothing more to do here.
      if (!staged) return;
      cursor = newCursor;
      // Read again only when this read was full but retention left the window short.
      if (!full || messages.length === batch.length) return;
    }
  }
}
