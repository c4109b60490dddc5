/**
 * Webhooks (admin key only): an operator points Mythic at a URL and picks events; each delivery is
 * signed with the webhook's secret (shown once, at creation and on rotation). The delivery log
 * shows what was sent, when, how often and what the receiver answered.
 */
import { Type, type Static } from 'typebox';
import { NullableString, NullableTimestamp, orNull, PagingQuery, Timestamp } from '../http/common.js';
import { WEBHOOK_EVENTS } from './webhookEvents.js';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

const WebhookUrl = Type.String({
  minLength: 1,
  maxLength: MAX_WEBHOOK_URL_LENGTH,
  description: 'An http(s) URL without credentials. Deliveries are refused at send time when it resolves to a non-public address (see MYTHIC_OUTBOUND_ALLOW).',
  examples: ['https://hooks.example.com/mythic'],
});
const EventName = Type.Union(
  WEBHOOK_EVENTS.map((event) => Type.Literal(event)),
  { description: 'link.clicked (batched: up to 100 clicks a delivery, about once a second), link.created, uptime.down, uptime.up.' },
);
const Events = Type.Array(EventName, { minItems: 1, maxItems: WEBHOOK_EVENTS.length, uniqueItems: true });
const Description = Type.String({ maxLength: 500 });

export const CreateWebhookBody = Type.Object(
  {
    url: WebhookUrl,
    events: Events,
    client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Only this client’s events; omit for every client’s.' })),
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
);
export type CreateWebhookInput = Static<typeof CreateWebhookBody>;

export const UpdateWebhookBody = Type.Object(
  {
    url: Type.Optional(WebhookUrl),
    events: Type.Optional(Events),
    description: Type.Optional(orNull(Description)),
    enabled: Type.Optional(Type.Boolean({ description: 'true re-enables a webhook the server disabled (and clears its failure count).' })),
  },
  { additionalProperties: false },
);
export type UpdateWebhookInput = Static<typeof UpdateWebhookBody>;
export const WEBHOOK_SETTABLE_FIELDS = Object.keys(UpdateWebhookBody.properties);

const webhookFields = {
  id: Type.String({ examples: ['whk_4f9Qx2LmP0aZ'] }),
  url: Type.String(),
  events: Type.Array(Type.String()),
  client_id: NullableString({ description: 'null: every client’s events.' }),
  description: NullableString(),
  enabled: Type.Boolean(),
  disabled_reason: NullableString({ description: 'Why the server disabled the webhook (persistent failures, an unreadable secret); null otherwise.' }),
  created_at: Timestamp,
  updated_at: Timestamp,
};

export const Webhook = Type.Object(webhookFields, { title: 'Webhook' });
export type WebhookView = Static<typeof Webhook>;

export const WebhookWithSecret = Type.Object(
  {
    ...webhookFields,
    secret: Type.String({ description: 'The signing secret (whsec_…): shown only in this answer. Keep it; it cannot be read back.' }),
  },
  { title: 'WebhookWithSecret' },
);
export type WebhookWithSecretView = Static<typeof WebhookWithSecret>;

export const Delivery = Type.Object(
  {
    id: Type.String({ examples: ['dlv_8mX2kQ0pLr7sT1vW'] }),
    webhook_id: Type.String(),
    event: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    attempts: Type.Integer({ minimum: 0 }),
    next_attempt_at: NullableTimestamp,
    last_status: Type.Unsafe<number | null>({ type: ['integer', 'null'], description: 'HTTP status of the last attempt; null when it got no answer.' }),
    last_error: NullableString(),
    last_duration_ms: Type.Unsafe<number | null>({ type: ['integer', 'null'] }),
    total_duration_ms: Type.Integer({ minimum: 0 }),
    payload: Type.Record(Type.String(), Type.Unknown(), { description: 'The body sent: { id, event, created_at, data }.' }),
    created_at: Timestamp,
    finished_at: NullableTimestamp,
  },
  { title: 'WebhookDelivery' },
);
export type DeliveryView = Static<typeof Delivery>;

export const WebhookParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) });

export const ListWebhooksQuery = Type.Object({ ...PagingQuery }, { additionalProperties: false });

export const WebhookDeleteResult = Type.Object({
  success: Type.Literal(true),
  deleted: Type.String({ description: 'The id of the webhook deleted.' }),
});
