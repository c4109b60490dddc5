/**
 * Pub/Sub (admin key only): subscriptions on the topic `analytics.events`, pulled or pushed. Each
 * schema is written once here; it validates requests, types the service and feeds the OpenAPI
 * document.
 */
import { Type, type Static } from 'typebox';
import { CLIENT_ID_PATTERN } from '../clients/schemas.js';
import { RecentEvent } from '../events/schemas.js';
import { NullableString, NullableTimestamp, PagingQuery, Timestamp } from '../http/common.js';
import { ERROR_MESSAGE } from '../http/validation.js';
import { PUBSUB_TOPIC } from './pubsubRows.js';

export const MAX_PUSH_ENDPOINT_LENGTH = 2048;
export const DEFAULT_ACK_DEADLINE_SECONDS = 60;
export const DEFAULT_MAX_DELIVERY_ATTEMPTS = 5;
export const MAX_PULL_MESSAGES = 100;
export const MAX_ACK_IDS = 1000;

const SubscriptionName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  [ERROR_MESSAGE]: 'must be 1–100 letters, digits, dots, hyphens or underscores, starting with a letter or digit',
  description: 'Unique, compared without case.',
  examples: ['warehouse-export'],
});
const AckDeadline = Type.Integer({
  minimum: 10,
  maximum: 600,
  description: 'Seconds a pulled (or pushed) message is leased before it is delivered again. Default 60.',
});
const MaxDeliveryAttempts = Type.Integer({
  minimum: 1,
  maximum: 100,
  description: 'Deliveries of a message before it goes to the dead letters. Default 5.',
});
const ClientId = Type.String({ pattern: CLIENT_ID_PATTERN, [ERROR_MESSAGE]: 'must be 1–255 letters, digits, hyphens or underscores' });
const EventName = Type.String({ minLength: 1, maxLength: 200 });

export const CreateSubscriptionBody = Type.Object(
  {
    name: SubscriptionName,
    topic: Type.Optional(Type.Literal(PUBSUB_TOPIC, { description: 'The only topic: every stored event (enriched).' })),
    type: Type.Union([Type.Literal('pull'), Type.Literal('push')], { description: 'pull: fetch with …/pull and acknowledge; push: batches POSTed to push_endpoint.' }),
    push_endpoint: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_PUSH_ENDPOINT_LENGTH,
        description: 'Push only (required there): an http(s) URL without credentials; a non-public address is refused (see MYTHIC_OUTBOUND_ALLOW).',
        examples: ['https://collector.example.com/mythic'],
      }),
    ),
    ack_deadline_seconds: Type.Optional(AckDeadline),
    max_delivery_attempts: Type.Optional(MaxDeliveryAttempts),
    filter: Type.Optional(
      Type.Object(
        {
          client_ids: Type.Optional(Type.Array(ClientId, { minItems: 1, maxItems: 100, uniqueItems: true, description: 'Only these clients’ events (each must exist).' })),
          events: Type.Optional(Type.Array(EventName, { minItems: 1, maxItems: 100, uniqueItems: true, description: 'Only events with these names.' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CreateSubscriptionInput = Static<typeof CreateSubscriptionBody>;

const Backlog = Type.Object({
  messages: Type.Integer({ minimum: 0, description: 'Waiting to be delivered: staged and available, plus the events after the cursor not staged yet.' }),
  in_flight: Type.Integer({ minimum: 0, description: 'Delivered and not yet acknowledged, within their ack deadline.' }),
  dead_letters: Type.Integer({ minimum: 0 }),
  oldest_unacked_at: NullableTimestamp,
  lag_seconds: Type.Unsafe<number | null>({ type: ['number', 'null'], description: 'How far behind the subscription is: the age of its oldest unacknowledged message; null when none.' }),
  dropped_messages: Type.Integer({ minimum: 0, description: 'Events skipped by the retention limits (7 days, 1,000,000 behind) and dead letters expired (7 days after dying, beyond 10,000) since creation.' }),
});

const PushState = Type.Unsafe<{
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  consecutive_failures: number;
} | null>({
  type: ['object', 'null'],
  properties: {
    last_status: { type: ['integer', 'null'], description: 'HTTP status of the last batch; null when it got no answer.' },
    last_error: { type: ['string', 'null'] },
    last_attempt_at: { type: ['string', 'null'], format: 'date-time' },
    next_attempt_at: { type: ['string', 'null'], format: 'date-time', description: 'When the sender tries again after failures (back-off); null when not waiting.' },
    consecutive_failures: { type: 'integer', minimum: 0 },
  },
  required: ['last_status', 'last_error', 'last_attempt_at', 'next_attempt_at', 'consecutive_failures'],
  description: 'The push sender’s state; null for a pull subscription.',
});

const subscriptionFields = {
  id: Type.String({ examples: ['sub_4f9Qx2LmP0aZ'] }),
  name: Type.String(),
  topic: Type.Literal(PUBSUB_TOPIC),
  type: Type.Union([Type.Literal('pull'), Type.Literal('push')]),
  push_endpoint: NullableString(),
  ack_deadline_seconds: Type.Integer(),
  max_delivery_attempts: Type.Integer(),
  filter: Type.Object({
    client_ids: Type.Unsafe<string[] | null>({ type: ['array', 'null'], items: { type: 'string' }, description: 'null: every client.' }),
    events: Type.Unsafe<string[] | null>({ type: ['array', 'null'], items: { type: 'string' }, description: 'null: every event name.' }),
  }),
  state: Type.Union([Type.Literal('active'), Type.Literal('paused')], { description: 'A paused subscription is not delivered; its backlog waits (bounded by the retention).' }),
  backlog: Backlog,
  push: PushState,
  created_at: Timestamp,
  updated_at: Timestamp,
};

export const Subscription = Type.Object(subscriptionFields, { title: 'PubSubSubscription' });
export type SubscriptionView = Static<typeof Subscription>;

export const SubscriptionWithSecret = Type.Object(
  {
    ...subscriptionFields,
    push_secret: Type.String({ description: 'The signing secret (whsec_…) of the pushed batches: shown only in this answer.' }),
  },
  { title: 'PubSubSubscriptionWithSecret' },
);
export type SubscriptionWithSecretView = Static<typeof SubscriptionWithSecret>;

/** What creating answers: push_secret only for a push subscription. */
export const CreatedSubscription = Type.Object(
  {
    ...subscriptionFields,
    push_secret: Type.Optional(Type.String({ description: 'Push only: the signing secret (whsec_…) of the pushed batches, shown only in this answer.' })),
  },
  { title: 'PubSubCreatedSubscription' },
);
export type CreatedSubscriptionView = Static<typeof CreatedSubscription>;

export const SubscriptionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) });
export const ListSubscriptionsQuery = Type.Object({ ...PagingQuery }, { additionalProperties: false });

export const SubscriptionDeleteResult = Type.Object({
  success: Type.Literal(true),
  deleted: Type.String({ description: 'The id of the subscription deleted (with its staged messages and dead letters).' }),
});

/** The event as delivered: as the live-events API shows it, with its client. */
export const MessageEvent = Type.Object({ ...RecentEvent.properties, client_id: Type.String() }, { title: 'PubSubEvent' });

const messageFields = {
  message_id: Type.String({ description: '<client_id>:<event uuid>: the same on every delivery; dedupe on it.' }),
  delivery_attempt: Type.Integer({ minimum: 1 }),
  publish_time: Timestamp,
  client_id: Type.String(),
  event: MessageEvent,
};

export const ReceivedMessage = Type.Object(
  { ack_id: Type.String({ description: 'Acknowledges this delivery only; a redelivery has a new one.' }), ...messageFields },
  { title: 'PubSubReceivedMessage' },
);
export type ReceivedMessageView = Static<typeof ReceivedMessage>;

export const PullBody = Type.Object(
  { max_messages: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PULL_MESSAGES, default: 10, description: 'At most this many messages (1–100, default 10).' })) },
  { additionalProperties: false },
);
export const PullResult = Type.Object({ received_messages: Type.Array(ReceivedMessage) });

const AckIds = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: MAX_ACK_IDS });
export const AcknowledgeBody = Type.Object({ ack_ids: AckIds }, { additionalProperties: false });
export const AcknowledgeResult = Type.Object({ acknowledged: Type.Integer({ minimum: 0, description: 'Ack ids that matched a current delivery (stale or unknown ones are ignored).' }) });
export const ModifyAckDeadlineBody = Type.Object(
  { ack_ids: AckIds, ack_deadline_seconds: Type.Integer({ minimum: 0, maximum: 600, description: 'From now; 0 gives the messages back at once.' }) },
  { additionalProperties: false },
);
export const ModifyAckDeadlineResult = Type.Object({ modified: Type.Integer({ minimum: 0 }) });

export const DeadLetter = Type.Object(
  {
    message_id: messageFields.message_id,
    client_id: Type.String(),
    delivery_attempt: Type.Integer({ minimum: 0 }),
    publish_time: Timestamp,
    dead_at: Timestamp,
    last_error: NullableString({ description: 'Push: the last failed attempt’s error.' }),
    event: MessageEvent,
  },
  { title: 'PubSubDeadLetter' },
);
export type DeadLetterView = Static<typeof DeadLetter>;

export const ReplayBody = Type.Object(
  { message_ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 600 }), { minItems: 1, maxItems: MAX_ACK_IDS, description: 'Omit to replay every dead letter.' })) },
  { additionalProperties: false },
);
export const ReplayResult = Type.Object({ replayed: Type.Integer({ minimum: 0 }) });
