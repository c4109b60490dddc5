/**
 * What the rest of the app tells the webhooks module. Links and uptime publish; the webhooks
 * module finds the subscribed webhooks, queues a delivery for each in the MetaStore (so deliveries
 * survive a restart) and delivers them at least once.
 */
export const WEBHOOK_EVENTS = ['link.clicked', 'link.created', 'uptime.down', 'uptime.up'] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/** One click, as `link.clicked` deliveries carry it (several per delivery: they are batched). */
export interface LinkClickNotice {
  link_id: string;
  slug: string;
  client_id: string | null;
  /** ISO-8601 with milliseconds and Z. */
  clicked_at: string;
  referrer_host: string | null;
  country: string | null;
  device_type: string | null;
  browser: string | null;
  is_bot: boolean;
}

export interface WebhookEvents {
  /**
   * Queues a delivery of `event` to every enabled webhook subscribed to it whose scope covers
   * `clientId` (a webhook without a client hears every client). Resolves once the deliveries are
   * stored in the MetaStore.
   */
  publish(event: Exclude<WebhookEventName, 'link.clicked'>, data: Record<string, unknown>, clientId: string | null): Promise<void>;
  /**
   * A click, from the redirect: never awaited (the redirect does not wait). Clicks are gathered
   * and delivered in batches, so a viral link cannot flood a receiver.
   */
  clicked(click: LinkClickNotice): void;
}
