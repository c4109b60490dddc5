import { Type } from 'typebox';
import { DataEnvelope } from '../http/envelope.js';
import { ERROR_MESSAGE } from '../http/validation.js';

export const MAX_ID_LENGTH = 200;
export const MAX_USER_AGENT_LENGTH = 1000;

/**
 * An event's idempotency key: a UUID, or any other string an integrator already has for the event
 * (`shopify-order-5012345678`, resent on every webhook redelivery). Printable means no control or
 * format characters and no line or paragraph separators: they would be invisible in the events
 * debugger, and two uuids differing only by one would look like the same key there.
 */
export const MAX_EVENT_UUID_LENGTH = 200;
const PRINTABLE_PATTERN = '^[^\\p{Cc}\\p{Cf}\\p{Cs}\\p{Zl}\\p{Zp}]*$';

const ShortId = (description: string) => Type.String({ maxLength: MAX_ID_LENGTH, description });
const Ip = Type.String({ maxLength: 64, description: 'The visitor’s IP address; honoured with a secret key only.' });
const UserAgent = Type.String({
  maxLength: MAX_USER_AGENT_LENGTH,
  description: 'The visitor’s user agent; honoured with a secret key only.',
});

/** Fields of `properties` that ingestion moves into columns; the rest is stored as given. */
/** A distinct id as PostHog clients send it: text, or a number stored as its text. */
const DistinctId = (description: string) =>
  Type.Unsafe<string | number>({ type: ['string', 'number'], minLength: 1, maxLength: MAX_ID_LENGTH, description });

const EventProperties = Type.Object(
  {
    $session_id: Type.Optional(ShortId('Moved to the top level (PostHog clients send it here).')),
    $device_id: Type.Optional(ShortId('Moved to the top level.')),
    $anon_distinct_id: Type.Optional(ShortId('Moved to the top level.')),
    distinct_id: Type.Optional(DistinctId('Moved to the top level when that has none (posthog-js sends it only here).')),
    token: Type.Optional(
      Type.Unknown({
        description: 'The key, when the request gives none elsewhere (posthog-js). Not stored when it is the key the request was accepted with.',
      }),
    ),
    $current_url: Type.Optional(Type.Unknown({ description: 'Page URL: source of url, host, path and UTM fields.' })),
    $referrer: Type.Optional(Type.Unknown({ description: 'Referring URL, or `$direct`.' })),
  },
  { description: 'Any JSON object; at most 32 KiB for the whole event once serialised.' },
);

/**
 * One event, PostHog-shaped. This schema validates every event (compiled once by Ajv); the rules
 * it cannot express (distinct_id or $device_id, timestamp ranges, keys allowed to set ip and
 * user_agent) are checked by hand in events.ts.
 */
export const IngestEvent = Type.Object({
  event: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH, examples: ['$pageview'] }),
  distinct_id: Type.Optional(DistinctId('Who did it; a number is stored as its text. Required unless `$device_id` is given, which then stands in.')),
  timestamp: Type.Optional(
    Type.Unsafe<string | number>({
      type: ['string', 'number'],
      maxLength: 64,
      minimum: 0,
      maximum: 8.64e15,
      description:
        'ISO-8601 date-time (UTC when no offset is given) or epoch milliseconds. With a publishable key it is kept only within the last 24 hours and 5 minutes ahead, otherwise the receive time is used; with a secret key any past time is kept (backfill) and more than 5 minutes ahead is refused.',
    }),
  ),
  uuid: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: MAX_EVENT_UUID_LENGTH,
      pattern: PRINTABLE_PATTERN,
      [ERROR_MESSAGE]: `must be a UUID or another string of 1–${MAX_EVENT_UUID_LENGTH} printable characters (no control characters or line breaks)`,
      description:
        'Idempotency key: an event whose uuid the client already stored is acknowledged but not stored again. A UUID (compared in any letter case) or any string of 1–200 printable characters, such as an order id, kept as sent. Generated when absent.',
    }),
  ),
  properties: Type.Optional(EventProperties),
  $session_id: Type.Optional(ShortId('The SDK’s session.')),
  $device_id: Type.Optional(ShortId('The browser’s persistent device id.')),
  $anon_distinct_id: Type.Optional(ShortId('On `$identify`: the anonymous id the identified person used before.')),
  $ip: Type.Optional(Ip),
  ip: Type.Optional(Ip),
  $user_agent: Type.Optional(UserAgent),
  user_agent: Type.Optional(UserAgent),
  api_key: Type.Optional(Type.String({ maxLength: 100, description: 'The key, for clients that put it in the body (PostHog).' })),
});

export const MAX_EVENTS_PER_REQUEST = 1000;

/** The event schema as a shared schema, so the OpenAPI document describes it once, not six times per route. */
export const IngestEventComponent = { ...IngestEvent, $id: 'IngestEvent', title: 'Event' };
const EventRef = Type.Unsafe<unknown>({ $ref: 'IngestEvent#' });

const Batch = Type.Object({
  batch: Type.Array(EventRef, { maxItems: MAX_EVENTS_PER_REQUEST }),
  api_key: Type.Optional(Type.String({ maxLength: 100, description: 'The key, for clients that put it in the body (PostHog).' })),
  token: Type.Optional(Type.String({ maxLength: 100, description: 'The key, when there is no api_key (PostHog’s name for it).' })),
});

/** What the ingestion endpoints take: one event, `{ batch: [...] }`, or a bare array of events. */
export const IngestBody = Type.Union([EventRef, Batch, Type.Array(EventRef, { maxItems: MAX_EVENTS_PER_REQUEST })], {
  description:
    'JSON sent as application/json or text/plain, optionally gzip-compressed (`Content-Encoding: gzip`, `?compression=gzip-js`, or recognised by its magic bytes); or, as posthog-js sends on page leave, an application/x-www-form-urlencoded `data` field holding it in base64 (`?compression=base64`). At most 1 MiB compressed and decompressed, 1,000 events, 32 KiB per event.',
});

export const BrowserQuery = Type.Object({
  key: Type.Optional(Type.String({ maxLength: 100, description: 'The publishable key (pk_…).' })),
  compression: Type.Optional(Type.String({ maxLength: 32, description: '`gzip-js`: the body is gzip-compressed; `base64`: the body (or its form `data` field) is base64.' })),
});

export const ServerQuery = Type.Object({
  compression: Type.Optional(Type.String({ maxLength: 32, description: '`gzip-js`: the body is gzip-compressed; `base64`: the body (or its form `data` field) is base64.' })),
});

export const Accepted = DataEnvelope(
  Type.Object({
    received: Type.Integer({
      minimum: 0,
      description: 'Events in the request, all durably accepted. An event whose uuid the client already stored is acknowledged too, and not stored again.',
    }),
  }),
  'Stored durably',
);
