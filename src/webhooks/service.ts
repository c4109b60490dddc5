/**
 * Webhooks for the operator (admin key): create (the secret is answered once), list, read, change,
 * re-enable, rotate the secret, delete, send a test, read the delivery log. No HTTP here: failures
 * are ApiErrors, as in every service.
 */
import { ApiError, invalidFields, notFound } from '../http/apiError.js';
import { toIso, toIsoOrNull } from '../http/common.js';
import { checkedOutboundUrl } from '../outbound/checkedUrl.js';
import type { OutboundAllowList } from '../outbound/allowList.js';
import type { Clock } from '../shared/clock.js';
import { listPage, type Listing, type PagingInput } from '../shared/paging.js';
import type { MetaStore } from '../store/metaStore.js';
import { payloadOf, queuedDelivery } from './publisher.js';
import {
  WEBHOOK_SETTABLE_FIELDS,
  type CreateWebhookInput,
  type DeliveryView,
  type UpdateWebhookInput,
  type WebhookView,
  type WebhookWithSecretView,
} from './schemas.js';
import { randomBase62 } from '../shared/randomText.js';
import { generateWebhookSecret, type SecretBox } from './secretBox.js';
import type { DeliveryRow, WebhookChanges, WebhookRow } from './webhookRows.js';

const present = (row: WebhookRow): WebhookView => ({
  id: row.id,
  url: row.url,
  events: row.events,
  client_id: row.client_id,
  description: row.description,
  enabled: row.enabled,
  disabled_reason: row.disabled_reason,
  created_at: toIso(row.created_at),
  updated_at: toIso(row.updated_at),
});

export const presentDelivery = (row: DeliveryRow): DeliveryView => ({
  id: row.id,
  webhook_id: row.webhook_id,
  event: row.event,
  status: row.status,
  attempts: row.attempts,
  next_attempt_at: row.status === 'pending' ? toIso(row.next_attempt_at) : null,
  last_status: row.last_status,
  last_error: row.last_error,
  last_duration_ms: row.last_duration_ms,
  total_duration_ms: row.total_duration_ms,
  payload: JSON.parse(row.payload) as Record<string, unknown>,
  created_at: toIso(row.created_at),
  finished_at: toIsoOrNull(row.finished_at),
});

export interface WebhooksServiceOptions {
  /** Addresses and hosts deliveries may reach although not public: a URL naming one is accepted. */
  allow: OutboundAllowList;
  /** Wakes the local dispatcher after a test delivery is queued. */
  queued: () => void;
  /** How long POST …/test waits for the first attempt's outcome. */
  testWaitMs: number;
  /** Real time, for deliveries (the dispatcher's clock). */
  now: () => number;
}

export class WebhooksService {
  constructor(
    private readonly store: MetaStore,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly options: WebhooksServiceOptions,
  ) {}

  async create(input: CreateWebhookInput): Promise<WebhookWithSecretView> {
    const url = this.checkedUrl(input.url);
    const now = this.clock();
    const id = `whk_${randomBase62(12)}`;
    const secret = generateWebhookSecret();
    const row: WebhookRow = {
      id,
      url,
      events: [...input.events],
      client_id: input.client_id ?? null,
      description: input.description ?? null,
      secret_sealed: this.box.seal(secret, id),
      enabled: true,
      disabled_reason: null,
      consecutive_failures: 0,
      failing_since: null,
      created_at: now,
      updated_at: now,
    };
    if ((await this.store.insertWebhook(row)) === 'no_client') {
      throw invalidFields([{ field: 'client_id', message: `is not an existing client ('${row.client_id}')` }]);
    }
    return { ...present(row), secret };
  }

  async list(paging: PagingInput): Promise<Listing<WebhookView>> {
    return listPage(paging, (page) => this.store.listWebhooks(page), present);
  }

  async get(id: string): Promise<WebhookView> {
    return present(await this.row(id));
  }

  async update(id: string, input: UpdateWebhookInput): Promise<WebhookView> {
    if (!WEBHOOK_SETTABLE_FIELDS.some((field) => field in input)) {
      throw new ApiError(400, 'no_fields', `Send at least one field to change: ${WEBHOOK_SETTABLE_FIELDS.join(', ')}`);
    }
    const changes: WebhookChanges = {};
    if (input.url !== undefined) changes.url = this.checkedUrl(input.url);
    if (input.events !== undefined) changes.events = [...input.events];
    if ('description' in input) changes.description = input.description ?? null;
    if (input.enabled !== undefined) {
      // Enabled again by hand: the failures that disabled it are forgotten (and so is the reason).
      Object.assign(changes, { enabled: input.enabled, disabled_reason: null });
      if (input.enabled) Object.assign(changes, { consecutive_failures: 0, failing_since: null });
    }
    const row = await this.store.updateWebhook(id, changes, this.clock());
    if (row === null) throw notFound('Webhook', id);
    if (row.enabled) this.options.queued();
    return present(row);
  }

  /** A new secret, answered once; the old one stops signing at once. */
  async rotateSecret(id: string): Promise<WebhookWithSecretView> {
    const secret = generateWebhookSecret();
    const row = await this.store.updateWebhook(id, { secret_sealed: this.box.seal(secret, id) }, this.clock());
    if (row === null) throw notFound('Webhook', id);
    return { ...present(row), secret };
  }

  async remove(id: string): Promise<void> {
    if (!(await this.store.deleteWebhook(id))) throw notFound('Webhook', id);
  }

  async deliveries(id: string, paging: PagingInput): Promise<Listing<DeliveryView>> {
    await this.row(id);
    return listPage(paging, (page) => this.store.listDeliveries(id, page), presentDelivery);
  }

  /**
   * Queues a `webhook.test` delivery and waits for its first attempt (by any node): the answer
   * shows whether the receiver took it, or what went wrong. Still pending after the wait, it is
   * answered as it stands; it goes on like any other delivery.
   */
  async test(id: string): Promise<DeliveryView> {
    const webhook = await this.row(id);
    if (!webhook.enabled) {
      throw new ApiError(409, 'conflict', `Webhook '${id}' is disabled; enable it (PATCH with {"enabled": true}) before testing`, [
        { field: 'enabled', message: 'is false' },
      ]);
    }
    const at = this.options.now();
    const data = { webhook_id: id, message: 'A test delivery from Mythic: the signature verifies with this webhook’s secret.' };
    const delivery = queuedDelivery(id, 'webhook.test', payloadOf('webhook.test', data, at), at);
    await this.store.insertDeliveries([delivery]);
    this.options.queued();
    const deadline = Date.now() + this.options.testWaitMs;
    let current: DeliveryRow | null = delivery;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      current = await this.store.getDelivery(delivery.id);
      if (current === null || current.attempts > 0) break;
    }
    if (current === null) throw notFound('Webhook', id); // deleted while the test ran
    return presentDelivery(current);
  }

  private async row(id: string): Promise<WebhookRow> {
    const row = await this.store.getWebhook(id);
    if (row === null) throw notFound('Webhook', id);
    return row;
  }

  /** An http(s) URL without credentials, as stored (see outbound/checkedUrl.ts). */
  private checkedUrl(text: string): string {
    return checkedOutboundUrl(text, 'url', this.options.allow);
  }
}
