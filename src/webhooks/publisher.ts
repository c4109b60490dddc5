import type { MetaStore } from '../store/metaStore.js';
import { randomBase62 } from '../shared/randomText.js';
import type { LinkClickNotice, WebhookEventName, WebhookEvents } from './webhookEvents.js';
import type { DeliveryRow, WebhookRow } from './webhookRows.js';

/**
 * The WebhookEvents contract: publish() stores one delivery per subscribed webhook before it
 * resolves, so a queued delivery survives any crash after that. Clicks are different: a viral link
 * must not become one request per click to every receiver, so they are gathered in memory and
 * flushed every second as `link.clicked` deliveries of up to 100 clicks each. Clicks of the last
 * second before a crash may therefore miss their notification (the clicks themselves are events,
 * stored by the event pipeline, and are never lost with it).
 */

export interface PublisherOptions {
  /** How often gathered clicks become deliveries. */
  flushMs: number;
  /** Clicks in one link.clicked delivery. */
  clicksPerDelivery: number;
  /** Clicks held at most between flushes; beyond it new ones are dropped (and counted in the log). */
  maxPendingClicks: number;
  now: () => number;
}

export const DEFAULT_PUBLISHER_OPTIONS: PublisherOptions = { flushMs: 1000, clicksPerDelivery: 100, maxPendingClicks: 100_000, now: Date.now };

export interface PublisherLog {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const newDeliveryId = (): string => `dlv_${randomBase62(16)}`;
export const newEventId = (): string => `evt_${randomBase62(24)}`;

/** A fresh pending delivery of `payload` to one webhook, due at once. */
export function queuedDelivery(webhookId: string, event: string, payload: string, at: number): DeliveryRow {
  return {
    id: newDeliveryId(),
    webhook_id: webhookId,
    event,
    payload,
    status: 'pending',
    attempts: 0,
    next_attempt_at: at,
    lease_until: null,
    lease_owner: null,
    last_status: null,
    last_error: null,
    last_duration_ms: null,
    total_duration_ms: 0,
    created_at: at,
    finished_at: null,
  };
}

/** The body every delivery sends: `{ id, event, created_at, data }`. */
export const payloadOf = (event: string, data: Record<string, unknown>, at: number): string =>
  JSON.stringify({ id: newEventId(), event, created_at: new Date(at).toISOString(), data });

const hears = (webhook: WebhookRow, event: WebhookEventName, clientId: string | null): boolean =>
  webhook.events.includes(event) && (webhook.client_id === null || webhook.client_id === clientId);

export class WebhookPublisher implements WebhookEvents {
  private clicks: LinkClickNotice[] = [];
  private dropped = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: MetaStore,
    /** Called once deliveries are stored: wakes the local dispatcher. */
    private readonly queued: () => void,
    private readonly log: PublisherLog,
    private readonly options: PublisherOptions = DEFAULT_PUBLISHER_OPTIONS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushMs);
    this.timer.unref();
  }

  /** Stops the timer and stores the clicks still gathered. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  async publish(event: Exclude<WebhookEventName, 'link.clicked'>, data: Record<string, unknown>, clientId: string | null): Promise<void> {
    const webhooks = (await this.store.listEnabledWebhooks()).filter((webhook) => hears(webhook, event, clientId));
    if (webhooks.length === 0) return;
    const at = this.options.now();
    // One event, one id, whichever webhooks hear it: receivers dedupe on it.
    const payload = payloadOf(event, data, at);
    await this.store.insertDeliveries(webhooks.map((webhook) => queuedDelivery(webhook.id, event, payload, at)));
    this.queued();
  }

  clicked(click: LinkClickNotice): void {
    if (this.clicks.length >= this.options.maxPendingClicks) {
      this.dropped += 1;
      return;
    }
    this.clicks.push(click);
  }

  /** Turns the gathered clicks into deliveries; one flush at a time. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() =>
      this.flushClicks().catch((error: unknown) => this.log.error({ err: error }, 'link.clicked notifications could not be queued; these clicks will not be notified')),
    );
    return this.flushing;
  }

  private async flushClicks(): Promise<void> {
    if (this.dropped > 0) {
      this.log.warn({ dropped: this.dropped }, 'link.clicked notifications dropped: more clicks arrived between flushes than are held');
      this.dropped = 0;
    }
    if (this.clicks.length === 0) return;
    const clicks = this.clicks;
    this.clicks = [];
    const webhooks = (await this.store.listEnabledWebhooks()).filter((webhook) => webhook.events.includes('link.clicked'));
    const at = this.options.now();
    const rows: DeliveryRow[] = [];
    for (const webhook of webhooks) {
      const heard = clicks.filter((click) => hears(webhook, 'link.clicked', click.client_id));
      for (let i = 0; i < heard.length; i += this.options.clicksPerDelivery) {
        const batch = heard.slice(i, i + this.options.clicksPerDelivery);
        rows.push(queuedDelivery(webhook.id, 'link.clicked', payloadOf('link.clicked', { clicks: batch }, at), at));
      }
    }
    if (rows.length === 0) return;
    await this.store.insertDeliveries(rows);
    this.queued();
  }
}
