import { randomBytes } from 'node:crypto';
import type { Outbound } from '../outbound/outbound.js';
import { PollingWorker } from '../shared/pollingWorker.js';
import type { MetaStore } from '../store/metaStore.js';
import { signatureHeader, type SecretBox } from './secretBox.js';
import type { DeliveryOutcome, DeliveryRow, WebhookOutcome, WebhookRow } from './webhookRows.js';
import { doubledDelay } from '../shared/doubledDelay.js';

/**
 * Sends queued deliveries. Each node runs one dispatcher; they share the work through the
 * MetaStore: a dispatcher leases due deliveries (nobody else takes them while the lease runs),
 * POSTs each, signed, through Outbound, and records the outcome only if it still holds the lease.
 * A node that dies mid-send leaves its leases to run out, after which another dispatcher (or the
 * same node, restarted) sends again: delivery is at least once, and receivers dedupe on the
 * payload's `id` or the Mythic-Delivery-Id header. Failures are retried with exponential back-off
 * and full jitter; a webhook that keeps failing is disabled with the reason.
 */

export interface RetrySchedule {
  /** The first retry waits up to this long (full jitter: a uniform draw from 0 to the cap). */
  firstDelayMs: number;
  /** The cap doubles each attempt up to this. */
  maxDelayMs: number;
  /** Attempts in all before the delivery is failed. */
  maxAttempts: number;
  /** No attempt is scheduled later than this after the delivery was queued. */
  maxAgeMs: number;
}

export interface DisablePolicy {
  /** Deliveries failed for good in a row. */
  afterFailedDeliveries: number;
  /** Time every attempt has been failing. */
  afterFailingMs: number;
}

export interface DispatcherOptions {
  /** How often due deliveries are looked for (a publish on this node also wakes it at once). */
  pollMs: number;
  /** How long a claimed delivery is held: longer than the request timeout. */
  leaseMs: number;
  /** Deliveries sent at the same time by this node. */
  concurrency: number;
  /** The whole exchange with the receiver. */
  timeoutMs: number;
  retry: RetrySchedule;
  disable: DisablePolicy;
  /** Finished deliveries are kept this long in the log. */
  keepFinishedMs: number;
  now: () => number;
  /** Uniform in [0, 1): the jitter. */
  random: () => number;
}

const HOUR = 3_600_000;

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = {
  pollMs: 1000,
  leaseMs: 60_000,
  concurrency: 8,
  timeoutMs: 10_000,
  retry: { firstDelayMs: 10_000, maxDelayMs: HOUR, maxAttempts: 12, maxAgeMs: 24 * HOUR },
  disable: { afterFailedDeliveries: 20, afterFailingMs: 24 * HOUR },
  keepFinishedMs: 30 * 24 * HOUR,
  now: Date.now,
  random: Math.random,
};

export interface DispatcherLog {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Kept short in the log: a receiver's message may be long. */
const MAX_ERROR_LENGTH = 500;
const UNREADABLE_SECRET = 'The signing secret cannot be decrypted (the admin key was changed?): rotate the webhook’s secret, then enable it';

export class WebhookDispatcher {
  private readonly owner = `d_${randomBytes(8).toString('hex')}`;
  private readonly worker: PollingWorker;
  private lastPrune = 0;

  constructor(
    private readonly store: MetaStore,
    private readonly outbound: Outbound,
    private readonly box: SecretBox,
    private readonly log: DispatcherLog,
    private readonly options: DispatcherOptions = DEFAULT_DISPATCHER_OPTIONS,
  ) {
    this.worker = new PollingWorker(
      {
        claim: (room) => this.claim(room),
        claimFailed: (error) => this.log.error({ err: error }, 'webhook dispatcher could not claim deliveries'),
      },
      options.concurrency,
      { pollMs: options.pollMs },
    );
  }

  start(): void {
    this.worker.start();
  }

  /** Looks for due deliveries now (after a publish), rather than at the next poll. */
  wake(): void {
    this.worker.wake();
  }

  /** Stops claiming and waits for the deliveries being sent (each bounded by the timeout). */
  stop(): Promise<void> {
    return this.worker.stop();
  }

  private async claim(room: number): Promise<void> {
    const { now, leaseMs } = this.options;
    const at = now();
    await this.prune(at);
    const rows = await this.store.claimDueDeliveries(at, at + leaseMs, this.owner, room);
    for (const row of rows) {
      // A full claim may mean more are due: look again as soon as there is room.
      this.worker.track(
        this.send(row)
          .catch((error: unknown) => this.log.error({ err: error, delivery: row.id }, 'webhook delivery could not be recorded'))
          .then(() => rows.length === room),
      );
    }
  }

  private async prune(at: number): Promise<void> {
    if (at - this.lastPrune < HOUR) return;
    this.lastPrune = at;
    await this.store.pruneDeliveries(at - this.options.keepFinishedMs);
  }

  private async send(row: DeliveryRow): Promise<void> {
    const { now, timeoutMs } = this.options;
    const webhook = await this.store.getWebhook(row.webhook_id);
    if (webhook === null) return; // deleted meanwhile: its deliveries went with it
    const started = now();
    const secret = this.box.open(webhook.secret_sealed, webhook.id);
    let status: number | null = null;
    let error: string | null = null;
    if (secret === null) error = UNREADABLE_SECRET;
    else {
      try {
        const response = await this.outbound({
          method: 'POST',
          url: webhook.url,
          headers: {
            'content-type': 'application/json',
            'mythic-signature': signatureHeader(secret, row.payload, Math.floor(now() / 1000)),
            'mythic-webhook-id': webhook.id,
            'mythic-delivery-id': row.id,
            'mythic-event': row.event,
          },
          body: row.payload,
          timeoutMs,
          maxRedirects: 0,
          maxBodyBytes: 1024,
        });
        status = response.status;
        if (status < 200 || status > 299) error = `The receiver answered HTTP ${status}`;
      } catch (failure) {
        error = (failure instanceof Error ? failure.message : String(failure)).slice(0, MAX_ERROR_LENGTH);
      }
    }
    const at = now();
    const outcome = this.outcomeOf(row, error, status, at - started, at, secret === null);
    if (!(await this.store.finishDelivery(row.id, this.owner, outcome))) return; // our lease ran out: another dispatcher has it
    if (error !== null) this.log.warn({ webhook: webhook.id, delivery: row.id, attempt: outcome.attempts, status: outcome.status, error }, 'webhook delivery attempt failed');
    const counted: WebhookOutcome = error === null ? 'delivered' : outcome.status === 'failed' ? 'delivery_failed' : 'attempt_failed';
    const after = await this.store.noteWebhookOutcome(webhook.id, counted, at);
    const reason = after === null ? null : secret === null ? UNREADABLE_SECRET : this.disableReason(after, at, error);
    if (after?.enabled === true && reason !== null) {
      await this.store.updateWebhook(webhook.id, { enabled: false, disabled_reason: reason }, at);
      this.log.warn({ webhook: webhook.id, reason }, 'webhook disabled');
    }
  }

  private outcomeOf(row: DeliveryRow, error: string | null, status: number | null, duration: number, at: number, hopeless: boolean): DeliveryOutcome {
    const attempts = row.attempts + 1;
    const recorded = { attempts, last_status: status, last_error: error, last_duration_ms: Math.max(0, Math.round(duration)) };
    if (error === null) return { ...recorded, status: 'delivered', next_attempt_at: at, finished_at: at };
    const { firstDelayMs, maxDelayMs, maxAttempts, maxAgeMs } = this.options.retry;
    const cap = doubledDelay(attempts, firstDelayMs, maxDelayMs);
    const next = at + Math.floor(this.options.random() * cap);
    if (hopeless || attempts >= maxAttempts || next - row.created_at > maxAgeMs) {
      return { ...recorded, status: 'failed', next_attempt_at: at, finished_at: at };
    }
    return { ...recorded, status: 'pending', next_attempt_at: next, finished_at: null };
  }

  private disableReason(webhook: WebhookRow, at: number, lastError: string | null): string | null {
    const { afterFailedDeliveries, afterFailingMs } = this.options.disable;
    const last = lastError === null ? '' : ` (last: ${lastError})`;
    if (webhook.consecutive_failures >= afterFailedDeliveries) {
      return `Disabled after ${webhook.consecutive_failures} deliveries in a row failed${last}`;
    }
    if (webhook.failing_since !== null && at - webhook.failing_since >= afterFailingMs) {
      return `Disabled after every attempt failed since ${new Date(webhook.failing_since).toISOString()}${last}`;
    }
    return null;
  }
}
