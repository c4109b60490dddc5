/**
 * Webhooks and their deliveries as the MetaStore keeps them. Times are epoch milliseconds, UTC.
 * Deliveries live in the MetaStore rather than in memory so that every queued one survives a
 * restart or a crash, and so that any node of a deployment may send it (claimed under a lease).
 */

/** What a webhook may subscribe to: the events of webhookEvents.ts. `webhook.test` needs no subscription. */
export type DeliveryEvent = 'link.clicked' | 'link.created' | 'uptime.down' | 'uptime.up' | 'webhook.test';

export interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  /** Only this client's events; null: every client's (and links of no client). */
  client_id: string | null;
  description: string | null;
  /** The signing secret, AES-256-GCM encrypted (secretBox.ts): never stored or logged in clear. */
  secret_sealed: string;
  enabled: boolean;
  /** Why the server (or nobody: null) turned the webhook off. */
  disabled_reason: string | null;
  /** Deliveries that failed for good since the last success. */
  consecutive_failures: number;
  /** The first failed attempt since the last success; null while the receiver answers. */
  failing_since: number | null;
  created_at: number;
  updated_at: number;
}

export type WebhookChanges = Partial<
  Pick<WebhookRow, 'url' | 'events' | 'description' | 'secret_sealed' | 'enabled' | 'disabled_reason' | 'consecutive_failures' | 'failing_since'>
>;

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRow {
  id: string;
  webhook_id: string;
  event: string;
  /** The JSON body exactly as it is sent and signed. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  /** While a dispatcher holds the delivery: until when, and which dispatcher. */
  lease_until: number | null;
  lease_owner: string | null;
  /** HTTP status of the last attempt; null when it got no answer. */
  last_status: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  total_duration_ms: number;
  created_at: number;
  finished_at: number | null;
}

/** What one attempt changed: written only while the dispatcher still holds the lease. */
export interface DeliveryOutcome {
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  last_duration_ms: number;
  finished_at: number | null;
}

/** How an attempt went, for the webhook's failure counters. */
export type WebhookOutcome = 'delivered' | 'attempt_failed' | 'delivery_failed';
