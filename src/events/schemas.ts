import { Type, type Static } from 'typebox';
import { NullableString, Timestamp } from '../http/common.js';
import { ClientParams } from '../clients/schemas.js';
import { ERROR_MESSAGE } from '../http/validation.js';

export const RecentEventsParams = ClientParams;

/**
 * The date-times (besides Ajv's date-time format) that `Date.parse` reads as the ECMAScript format
 * defines them: `T`, seconds 00–59, offset `Z` or ±hh:mm. Other RFC 3339 spellings fall to V8's
 * legacy parser, which reads some and not others (`0013-01-01 00:00:00Z` is NaN).
 */
// Hours 00–23 with minutes 00–59, or 24:00:00 (the end of a day, which Date reads): 24:57 passed and read as NaN.
export const INSTANT_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T(?:(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d+)?|24:00:00(\\.0+)?)(Z|[+-]\\d{2}:\\d{2})$';

export const RecentEventsQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Events to return (1–500), newest first.' }),
    after: Type.Optional(
      Type.String({
        format: 'date-time',
        // RFC 3339 also allows a leap second (…:60), offsets of hours only (+01) and more, which
        // JavaScript dates cannot (always) read: left to the service, they would become NaN and a 500.
        pattern: INSTANT_PATTERN,
        [ERROR_MESSAGE]: 'must be an ISO-8601 date-time such as 2026-03-01T12:00:00.000Z (T, seconds 00–59, offset Z or ±hh:mm)',
        description:
          'Only events received after this instant. Requests commit in another order than they are received, so polling with the newest `received_at` seen can miss events: poll with `after_seq`.',
      }),
    ),
    after_seq: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description:
          'Only events committed after the event with this `seq`: for polling. Returns the `limit` events right after it (still newest first); poll again with the highest `seq` received, which never skips an event.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const RecentEvent = Type.Object({
  seq: Type.Integer({ description: 'Position in the order events were committed; the cursor of `after_seq`.' }),
  uuid: Type.String({ description: 'As sent (a UUID in lowercase), or generated when none was sent.' }),
  event: Type.String(),
  distinct_id: Type.String(),
  timestamp: Timestamp,
  received_at: Timestamp,
  $session_id: NullableString(),
  $device_id: NullableString(),
  $anon_distinct_id: NullableString(),
  properties: Type.Record(Type.String(), Type.Unknown()),
  url: NullableString(),
  host: NullableString(),
  path: NullableString(),
  referrer: NullableString(),
  referrer_host: NullableString(),
  utm_source: NullableString(),
  utm_medium: NullableString(),
  utm_campaign: NullableString(),
  utm_term: NullableString(),
  utm_content: NullableString(),
  browser: NullableString(),
  browser_version: NullableString(),
  os: NullableString(),
  device_type: NullableString(),
  is_bot: Type.Boolean({ description: 'Classified as a bot at ingestion; kept, and excluded from reports by default.' }),
  ip: NullableString({ description: 'As stored under the client’s ip_storage setting: truncated, hashed, or null.' }),
  country: NullableString({ description: 'ISO 3166-1 alpha-2 code of the visitor’s address, looked up at ingestion; null when unknown.' }),
  region: NullableString({ description: 'First-level subdivision (English name); only with a City database (MYTHIC_GEOIP_DB).' }),
  city: NullableString({ description: 'City (English name); only with a City database (MYTHIC_GEOIP_DB).' }),
  user_agent: NullableString(),
  link_id: NullableString({ description: 'The short link (lnk_…) the event came through: a `$link_click`, or a site event whose page URL carried the click id `mlc`.' }),
});

export type RecentEventView = Static<typeof RecentEvent>;
