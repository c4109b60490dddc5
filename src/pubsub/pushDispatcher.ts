import { randomBytes } from 'node:crypto';
import type { Outbound } from '../outbound/outbound.js';
import { PollingWorker } from '../shared/pollingWorker.js';
import { signatureHeader, type SecretBox } from '../webhooks/secretBox.js';
import type { MessageFeeder } from './feeder.js';
import type { MessageRow, PubSubStore, PushOutcome, SubscriptionRow } from './pubsubRows.js';
import { newAckId } from './service.js';
import { doubledDelay } from '../shared/doubledDelay.js';

/**
 * Sends push subscriptions' messages. Each node runs one dispatcher; they share the subscriptions
 * through the MetaStore: a dispatcher claims due push subscriptions (a lease: one node sends a
 * subscription's batches at a time, so a client's messages arrive in order), and for each one
 * stages what the feeder has for it, leases a batch of up to 100 messages, POSTs it signed through
 * Outbound, and then acknowledges the batch (2xx) or hands it back at once (anything else), so the
 * next lease counts the attempt and dead-letters a message that reached its maximum. A failing
 * endpoint waits out an exponential back-off with full jitter (up to 1 s, doubling, at most 10 min)
 * before its next batch: the same schedule as the webhook dispatcher, shorter because a
 * subscription's backlog keeps growing while it waits. A node that dies mid-send leaves its leases
 * (the subscription's and the messages') to run out; the messages are then sent again: at least
 * once, and receivers dedupe on message_id.
 */

export interface PushBackoff {
  /** The first retry waits up to this long (full jitter: a uniform draw from 0 to the cap). */
  firstDelayMs: number;
  /** The cap doubles with each failure in a row up to this. */
  maxDelayMs: number;
}

export interface PushDispatcherOptions {
  /** How often due subscriptions are looked for (wake() looks at once). */
  pollMs: number;
  /** The whole exchange with the endpoint, per batch. */
  timeoutMs: number;
  /** Messages per POST (at most 100). */
  batchSize: number;
  backoff: PushBackoff;
  /** How long a claimed subscription is held: longer than a fill, a lease and a request. */
  leaseMs: number;
  /** Subscriptions sent at the same time by this node. */
  concurrency: number;
  /** stop() waits this long at most for the batches in flight. */
  stopWaitMs: number;
  now: () => number;
  /** Uniform in [0, 1): the jitter. */
  random: () => number;
}

export const DEFAULT_PUSH_OPTIONS: PushDispatcherOptions = {
  pollMs: 1000,
  timeoutMs: 10_000,
  batchSize: 100,
  backoff: { firstDelayMs: 1000, maxDelayMs: 600_000 },
  leaseMs: 60_000,
  concurrency: 8,
  stopWaitMs: 15_000,
  now: Date.now,
  random: Math.random,
};

export interface PushLog {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface PushDispatcherDeps {
  store: PubSubStore;
  /** Only fill() is used: staging the window before each lease. */
  feeder: Pick<MessageFeeder, 'fill'>;
  outbound: Outbound;
  box: SecretBox;
  log: PushLog;
}

/** Kept short in the store and the log: an endpoint's answer may be long. */
const MAX_ERROR_LENGTH = 500;
const UNREADABLE_SECRET = 'The signing secret cannot be decrypted (the admin key was changed?): rotate the subscription’s secret';

/**
 * The POST body. Each message's `event` is its stored payload, spliced in as the JSON text it
 * already is (no parse and re-serialise of up to 100 events per batch).
 */
export function pushBody(subscription: Pick<SubscriptionRow, 'id' | 'name'>, messages: readonly MessageRow[]): string {
  const head = JSON.stringify({ id: subscription.id, name: subscription.name });
  const items = messages.map(
    (m) =>
      `{"message_id":${JSON.stringify(m.message_id)},"delivery_attempt":${m.delivery_attempt},"publish_time":${JSON.stringify(new Date(m.publish_time).toISOString())},"client_id":${JSON.stringify(m.client_id)},"event":${m.payload}}`,
  );
  return `{"subscription":${head},"messages":[${items.join(',')}]}`;
}

/** The wait before the next batch after `failures` failures in a row: full jitter under a doubling cap. */
export function backoffDelay(failures: number, backoff: PushBackoff, random: () => number): number {
  const cap = doubledDelay(failures, backoff.firstDelayMs, backoff.maxDelayMs);
  return Math.floor(random() * cap);
}

export class PushDispatcher {
  private readonly owner = `p_${randomBytes(8).toString('hex')}`;
  private readonly options: PushDispatcherOptions;
  private readonly worker: PollingWorker;

  constructor(
    private readonly deps: PushDispatcherDeps,
    options: Partial<PushDispatcherOptions> = {},
  ) {
    this.options = { ...DEFAULT_PUSH_OPTIONS, ...options };
    if (this.options.batchSize < 1 || this.options.batchSize > 100) throw new Error('push batchSize must be 1 to 100');
    this.worker = new PollingWorker(
      {
        claim: (room) => this.claim(room),
        claimFailed: (error) => this.deps.log.error({ err: error }, 'push dispatcher could not claim subscriptions'),
      },
      this.options.concurrency,
      { pollMs: this.options.pollMs, stopWaitMs: this.options.stopWaitMs },
    );
  }

  start(): void {
    this.worker.start();
  }

  /** Looks for due subscriptions now (after a resume or new events), rather than at the next poll. */
  wake(): void {
    this.worker.wake();
  }

  /** Stops claiming and waits for the batches being sent (each bounded by the request timeout), at most stopWaitMs. */
  stop(): Promise<void> {
    return this.worker.stop();
  }

  private async claim(room: number): Promise<void> {
    const { now, leaseMs } = this.options;
    const at = now();
    const subscriptions = await this.deps.store.claimPushSubscriptions(at, this.owner, at + leaseMs, room);
    for (const subscription of subscriptions) {
      // A full batch may mean more is waiting: claim again at once (due subscriptions take turns, the least recently claimed first).
      this.worker.track(
        this.sendBatch(subscription).catch((error: unknown) => {
          this.deps.log.error({ err: error, subscription: subscription.id }, 'push batch could not be sent or recorded');
          return false;
        }),
      );
    }
  }

  /** Sends one batch of a claimed subscription; true when it was full and sent (more may wait). */
  private async sendBatch(subscription: SubscriptionRow): Promise<boolean> {
    const { store, feeder, box, log } = this.deps;
    const { now, timeoutMs, batchSize } = this.options;
    const secret = subscription.push_secret_sealed === null ? null : box.open(subscription.push_secret_sealed, subscription.id);
    if (secret === null || subscription.push_endpoint === null) {
      // Nothing can be signed: leave the messages alone (no attempt burnt) and retry after the back-off.
      await this.finish(subscription, null, UNREADABLE_SECRET, now());
      log.warn({ subscription: subscription.id, error: UNREADABLE_SECRET }, 'push subscription cannot sign its batches');
      return false;
    }
    await feeder.fill(subscription);
    const leasedAt = now();
    // The messages' lease outlives the request, so a slow endpoint's batch is not leased twice.
    const leaseUntil = leasedAt + Math.max(subscription.ack_deadline_seconds * 1000, timeoutMs * 2);
    const messages = await store.leaseMessages(subscription.id, leasedAt, leaseUntil, batchSize, subscription.max_delivery_attempts, newAckId);
    if (messages.length === 0) {
      await this.release(subscription);
      return false;
    }
    const body = pushBody(subscription, messages);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await this.deps.outbound({
        method: 'POST',
        url: subscription.push_endpoint,
        headers: {
          'content-type': 'application/json',
          'mythic-signature': signatureHeader(secret, body, Math.floor(now() / 1000)),
          'mythic-subscription': subscription.id,
        },
        body,
        timeoutMs,
        maxRedirects: 0,
        maxBodyBytes: 1024,
      });
      status = response.status;
      if (status < 200 || status > 299) error = `The endpoint answered HTTP ${status}`;
    } catch (failure) {
      error = (failure instanceof Error ? failure.message : String(failure)).slice(0, MAX_ERROR_LENGTH);
    }
    const ackIds = messages.map((m) => m.ack_id).filter((id): id is string => id !== null);
    const at = now();
    if (error === null) {
      await store.acknowledge(subscription.id, ackIds);
    } else {
      await store.noteDeliveryError(subscription.id, ackIds, error);
      // Available at once: the next lease (after the back-off) counts the attempt, or dead-letters at the maximum.
      await store.modifyAckDeadline(subscription.id, ackIds, at);
      log.warn({ subscription: subscription.id, messages: messages.length, status, error, failures: subscription.push_failures + 1 }, 'push batch failed');
    }
    const recorded = await this.finish(subscription, status, error, at);
    return recorded && error === null && messages.length === batchSize;
  }

  /** Records an attempt and frees the subscription; false when our lease had run out (another node has it). */
  private finish(subscription: SubscriptionRow, status: number | null, error: string | null, at: number): Promise<boolean> {
    const failures = error === null ? 0 : subscription.push_failures + 1;
    const outcome: PushOutcome = {
      status,
      error,
      attempted_at: at,
      next_attempt_at: error === null ? null : at + backoffDelay(failures, this.options.backoff, this.options.random),
      failures,
    };
    return this.deps.store.finishPush(subscription.id, this.owner, outcome);
  }

  /** Frees a subscription that had nothing to send, leaving its last attempt's record as it was. */
  private release(subscription: SubscriptionRow): Promise<boolean> {
    return this.deps.store.finishPush(subscription.id, this.owner, {
      status: subscription.push_last_status,
      error: subscription.push_last_error,
      attempted_at: subscription.push_last_attempt_at,
      next_attempt_at: null,
      failures: subscription.push_failures,
    });
  }
}
