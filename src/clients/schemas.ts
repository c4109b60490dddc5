import { Type, type Static } from 'typebox';
import { NullableString, NullableTimestamp, orNull, PagingQuery, Timestamp } from '../http/common.js';
import { ERROR_MESSAGE, MAX_JSON_BYTES } from '../http/validation.js';
import { MAX_JSON_DEPTH } from '../validation/jsonSize.js';

export const CLIENT_ID_PATTERN = '^[a-zA-Z0-9_-]{1,255}$';
export const METADATA_MAX_BYTES = 16 * 1024;

const ClientId = Type.String({
  pattern: CLIENT_ID_PATTERN,
  [ERROR_MESSAGE]: 'must be 1–255 letters, digits, hyphens or underscores',
  examples: ['acme-retail'],
});

/** A free-form identifier owned by the caller (CRM ids and the like). */
const ExternalId = Type.String({ minLength: 1, maxLength: 255, [ERROR_MESSAGE]: 'must be 1–255 characters; send null to clear it' });

/** 1–255 characters once surrounding spaces are trimmed (they are trimmed before storing). */
export const Name = Type.String({
  minLength: 1,
  maxLength: 1024,
  format: 'trimmed-name',
  [ERROR_MESSAGE]: 'must be 1–255 characters once surrounding spaces are trimmed',
});
export const Email = Type.String({ format: 'email', maxLength: 255, [ERROR_MESSAGE]: 'must be an email address such as ops@example.com' });
export const Phone = Type.String({
  pattern: '^(?=.*[0-9])[0-9+().\\- ]{1,32}$',
  maxLength: 32,
  [ERROR_MESSAGE]: 'must be at most 32 digits, spaces and + - ( ) . characters',
  examples: ['+1-415-555-0198'],
});
export const Website = Type.String({ format: 'http-url', maxLength: 255, [ERROR_MESSAGE]: 'must be an absolute http:// or https:// URL' });
export const JsonObject = Type.Record(Type.String(), Type.Unknown(), {
  [MAX_JSON_BYTES]: METADATA_MAX_BYTES,
  description: `Any JSON object, at most 16 KiB once serialised and nested at most ${MAX_JSON_DEPTH} levels deep.`,
});

const Domain = Type.String({
  format: 'hostname',
  maxLength: 255,
  [ERROR_MESSAGE]: 'must be a hostname such as example.com: no scheme, port or path',
  description: 'Lowercased; internationalised names are stored as punycode.',
});
const Timezone = Type.String({
  format: 'timezone',
  maxLength: 64,
  [ERROR_MESSAGE]: 'must be an IANA time zone known to this server, such as Europe/Berlin',
});
const GlobalName = Type.String({
  format: 'global-name',
  maxLength: 64,
  [ERROR_MESSAGE]: 'must be a JavaScript identifier (ASCII letters, digits, _ or $; at most 64) that is neither a reserved word nor an existing browser global',
  examples: ['acmeRetail'],
});

export const IP_STORAGE_MODES = ['truncated', 'hashed', 'none'] as const;
const IpStorage = Type.Enum([...IP_STORAGE_MODES], {
  description: 'How ingestion keeps visitors’ IP addresses: `truncated` (default; IPv4 /24, IPv6 /48), `hashed` (keyed hash) or `none`.',
});

const Flag = (description: string) => Type.Optional(Type.Boolean({ description }));
const Bounded = (minimum: number, maximum: number, description: string) =>
  Type.Optional(Type.Integer({ minimum, maximum, description: `${description} (${minimum}–${maximum}).` }));

/** SDK behaviour for this client's pages; keys left out keep the SDK's defaults. */
export const SdkSettingsSchema = Type.Object(
  {
    capture_pageview: Flag('Send a $pageview on load and on navigation (default true).'),
    capture_pageleave: Flag('Send a $pageleave when the page is left (default true).'),
    require_consent: Flag('Queue events until the page calls grantConsent() (default false).'),
    respect_dnt: Flag('Send nothing when the browser sends Do Not Track (default false).'),
    session_timeout_minutes: Bounded(1, 720, 'Minutes of inactivity that end a session (default 30)'),
    batch_size: Bounded(1, 100, 'Events per request (default 10)'),
    flush_interval_ms: Bounded(100, 60_000, 'Milliseconds between sends (default 2000)'),
  },
  { additionalProperties: false, title: 'SdkSettings' },
);

/** The fields a caller may set; `null` on an optional field clears it (or restores its default). */
const settable = {
  name: Name,
  status: Type.Boolean({ description: 'Whether the client is active. Defaults to true.' }),
  domain: orNull(Domain),
  email: orNull(Email),
  phone: orNull(Phone),
  website: orNull(Website),
  timezone: orNull(Timezone),
  global_name: orNull(GlobalName),
  company_id: orNull(ExternalId),
  agency_id: orNull(ExternalId),
  api_metadata: orNull(JsonObject),
  ghl_location_id: orNull(ExternalId),
  proxy_api_key: orNull(Type.String({ minLength: 1, maxLength: 255, description: 'Stored hashed; shown masked.' })),
  ip_storage: orNull(IpStorage),
  // A type list rather than a union with null: a union would add "must be null" to every problem
  // reported inside the object.
  sdk_settings: Type.Unsafe<Static<typeof SdkSettingsSchema> | null>({ ...SdkSettingsSchema, type: ['object', 'null'] }),
};

export const SETTABLE_FIELDS = Object.keys(settable) as (keyof typeof settable)[];

const OptionalSettable = Type.Partial(Type.Object(settable));

export const CreateClientBody = Type.Object(
  { id: ClientId, ...OptionalSettable.properties, name: Name },
  { additionalProperties: false },
);
export type CreateClientInput = Static<typeof CreateClientBody>;

export const UpdateClientBody = Type.Partial(Type.Object(settable, { additionalProperties: false }), {
  additionalProperties: false,
});
export type UpdateClientInput = Static<typeof UpdateClientBody>;

export const Client = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    status: Type.Boolean(),
    publishable_key: NullableString(),
    secret_key: NullableString({
      description: 'In full only in the create and rotate responses; masked (sk_…1a2b) everywhere else.',
    }),
    domain: NullableString(),
    email: NullableString(),
    phone: NullableString(),
    website: NullableString(),
    timezone: Type.String(),
    global_name: NullableString(),
    company_id: NullableString(),
    agency_id: NullableString(),
    api_metadata: Type.Record(Type.String(), Type.Unknown()),
    ghl_location_id: NullableString(),
    proxy_api_key: NullableString({
      description: 'In full only in the answer to the create or PATCH that set it; masked (…last 4) everywhere else.',
    }),
    ip_storage: IpStorage,
    sdk_settings: SdkSettingsSchema,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Client' },
);
export type ClientView = Static<typeof Client>;

export const ClientParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) });

export const ListClientsQuery = Type.Object(
  {
    ...PagingQuery,
    status: Type.Optional(Type.Boolean()),
    agency_id: Type.Optional(Type.String({ maxLength: 255 })),
    company_id: Type.Optional(Type.String({ maxLength: 255 })),
    ghl_location_id: Type.Optional(Type.String({ maxLength: 255 })),
    domain: Type.Optional(Type.String({ maxLength: 255 })),
    q: Type.Optional(Type.String({ maxLength: 255, description: 'Case-insensitive substring of id, name, domain or email.' })),
  },
  { additionalProperties: false },
);
export type ListClientsInput = Static<typeof ListClientsQuery>;

export const DeleteClientQuery = Type.Object(
  { hard: Type.Boolean({ default: false, description: 'Remove the client and everything stored under it.' }) },
  { additionalProperties: false },
);

/** As the documentation's "Delete client" answers: `deleted` is the id of the client deleted. */
export const DeleteResult = Type.Object({
  success: Type.Literal(true),
  deleted: Type.String({ description: 'The id of the client deactivated (soft) or removed (hard).' }),
  hard: Type.Boolean(),
});

export const KeyChoice = Type.Union([Type.Literal('publishable'), Type.Literal('secret'), Type.Literal('both')]);
export const RotateKeysBody = Type.Object(
  {
    key: Type.Optional(KeyChoice),
    grace_seconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 2_592_000, description: 'How long the old key keeps working (default 86400).' }),
    ),
  },
  { additionalProperties: false },
);
export type RotateKeysInput = Static<typeof RotateKeysBody>;

export const RotatedKeys = Type.Object({
  client_id: Type.String(),
  rotated: Type.Array(Type.Union([Type.Literal('publishable'), Type.Literal('secret')])),
  publishable_key: NullableString(),
  secret_key: NullableString({ description: 'In full when the secret key was rotated, masked otherwise.' }),
  grace_seconds: Type.Integer(),
  previous_keys_expire_at: Timestamp,
});
export type RotatedKeysView = Static<typeof RotatedKeys>;

export const ApiKey = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('publishable'), Type.Literal('secret')]),
  key: Type.String({ description: 'Publishable keys in full; secret keys masked.' }),
  current: Type.Boolean({ description: 'False for a rotated-out key still inside its grace period.' }),
  created_at: Timestamp,
  expires_at: NullableTimestamp,
  last_used_at: NullableTimestamp,
});
export type ApiKeyView = Static<typeof ApiKey>;
