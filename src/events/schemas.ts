import { Type, type Static } from 'typebox';
import { NullableString, Timestamp } from '../http/common.js';
import { ClientParams } from '../clients/schemas.js';

export const RecentEventsParams = ClientParams;

export const RecentEventsQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Events to return (1–500), newest first.' }),
    after: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'Only events received after this instant: pass the newest `received_at` seen to poll for new ones.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const RecentEvent = Type.Object({
  uuid: Type.String({ format: 'uuid' }),
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
  country: NullableString(),
  user_agent: NullableString(),
});

export type RecentEventView = Static<typeof RecentEvent>;
