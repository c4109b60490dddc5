/**
 * Links API shapes, written once: Fastify validates with them, TypeScript infers from them and the
 * OpenAPI document is built from them. The create body is the documented one (`POST /links`);
 * `POST /clients/{id}/links` takes the same fields, its client coming from the path.
 */
import { Type, type Static } from 'typebox';
import { JsonObject } from '../clients/schemas.js';
import { NullableString, NullableTimestamp, orNull, PagingQuery, Timestamp } from '../http/common.js';
import { ERROR_MESSAGE } from '../http/validation.js';
import { SLUG_PATTERN } from './slugs.js';

export const MAX_DESTINATION_LENGTH = 2048;
export const MAX_TAGS = 20;

const DestinationUrl = Type.String({
  format: 'http-url',
  maxLength: MAX_DESTINATION_LENGTH,
  // No spaces or control characters: the URL goes into a Location header as stored.
  pattern: '^[^\\s\\x00-\\x1f\\x7f]+$',
  [ERROR_MESSAGE]: `must be an absolute http:// or https:// URL of at most ${MAX_DESTINATION_LENGTH} characters, without spaces or a user name and password`,
  examples: ['https://acme-retail.com/summer-sale'],
});
const Slug = Type.String({
  pattern: SLUG_PATTERN,
  [ERROR_MESSAGE]: 'must be 1–64 letters, digits, hyphens or underscores, starting with a letter or digit',
  description: 'The path of the short URL. Unique across all links regardless of case; generated (7 characters) when omitted. Words this server uses as paths (api, l, s, sdk, admin, …) are refused.',
  examples: ['summer-sale'],
});
const Title = Type.String({ minLength: 1, maxLength: 255, [ERROR_MESSAGE]: 'must be 1–255 characters' });
const Tag = Type.String({ minLength: 1, maxLength: 64, pattern: '\\S', [ERROR_MESSAGE]: 'must be 1–64 characters, not only spaces' });
const Tags = Type.Array(Tag, { maxItems: MAX_TAGS, description: `At most ${MAX_TAGS}; stored as sent, duplicates dropped.` });
const Password = Type.String({
  minLength: 1,
  maxLength: 256,
  [ERROR_MESSAGE]: 'must be 1–256 characters',
  description: 'Visitors must type it before being redirected. Stored as a slow hash, never returned (see `has_password`).',
});
const ExpiresAt = Type.String({
  format: 'date-time',
  [ERROR_MESSAGE]: 'must be an ISO-8601 date-time with a time zone, such as 2024-12-25T10:00:00Z',
  description: 'After this instant the short URL answers 410 Gone. It may lie in the past: the link is then created already expired.',
});
const ClientIdField = Type.String({
  minLength: 1,
  maxLength: 255,
  description: 'The client whose analytics count the clicks. Omitted: a link of no client (admin key only).',
  examples: ['acme-retail'],
});

const createFields = {
  destination_url: DestinationUrl,
  slug: Type.Optional(Slug),
  title: Type.Optional(orNull(Title)),
  tags: Type.Optional(Tags),
  password: Type.Optional(orNull(Password)),
  expires_at: Type.Optional(orNull(ExpiresAt)),
  metadata: Type.Optional(JsonObject),
};

export const CreateLinkBody = Type.Object({ ...createFields, client_id: Type.Optional(orNull(ClientIdField)) }, { additionalProperties: false });
export type CreateLinkInput = Static<typeof CreateLinkBody>;

export const CreateClientLinkBody = Type.Object(
  { ...createFields, client_id: Type.Optional(Type.String({ maxLength: 255, description: 'Optional; when sent it must be the client of the path.' })) },
  { additionalProperties: false },
);
export type CreateClientLinkInput = Static<typeof CreateClientLinkBody>;

export const UpdateLinkBody = Type.Object(
  {
    destination_url: Type.Optional(DestinationUrl),
    slug: Type.Optional(Slug),
    title: Type.Optional(orNull(Title)),
    tags: Type.Optional(Tags),
    password: Type.Optional(orNull({ ...Password, description: 'A new password; null removes it.' })),
    expires_at: Type.Optional(orNull(ExpiresAt)),
    metadata: Type.Optional(JsonObject),
  },
  { additionalProperties: false },
);
export type UpdateLinkInput = Static<typeof UpdateLinkBody>;
export const LINK_SETTABLE_FIELDS = Object.keys(UpdateLinkBody.properties);

const listFilters = {
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Only links carrying this tag (exact).' })),
  q: Type.Optional(Type.String({ maxLength: 255, description: 'Case-insensitive substring of slug, title or destination URL.' })),
};

export const ListLinksQuery = Type.Object(
  {
    ...PagingQuery,
    client_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: 'Only this client’s links; `_links` for the links of no client.' }),
    ),
    ...listFilters,
  },
  { additionalProperties: false },
);
export type ListLinksInput = Static<typeof ListLinksQuery>;

export const ListClientLinksQuery = Type.Object({ ...PagingQuery, ...listFilters }, { additionalProperties: false });
export type ListClientLinksInput = Static<typeof ListClientLinksQuery>;

export const Link = Type.Object(
  {
    id: Type.String({ examples: ['lnk_9xP3qLmNa2Bc'] }),
    destination_url: Type.String(),
    short_url: Type.String({ description: 'https://<links host>/<slug> when MYTHIC_LINKS_HOST is set, else <public origin>/l/<slug>.' }),
    slug: Type.String(),
    title: NullableString(),
    client_id: NullableString({ description: 'null for a link of no client.' }),
    clicks: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Clicks by people (bots excluded), live; null when the event engine did not answer.' }),
    bot_clicks: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Clicks by known bots and crawlers, counted apart; null when the event engine did not answer.' }),
    tags: Type.Array(Type.String()),
    has_password: Type.Boolean(),
    expires_at: { ...NullableTimestamp, description: 'After this instant the short URL answers 410 Gone; it may be in the past.' },
    metadata: Type.Record(Type.String(), Type.Unknown()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Link' },
);
export type LinkView = Static<typeof Link>;

export const LinkParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) });
export const ClientLinkParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 255 }),
  linkId: Type.String({ minLength: 1, maxLength: 255 }),
});

export const LinkDeleteResult = Type.Object({
  success: Type.Literal(true),
  deleted: Type.String({ description: 'The id of the link deleted.' }),
});
