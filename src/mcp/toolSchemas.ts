/**
 * Input schemas of the MCP tools, built from the HTTP API's own TypeBox schemas (so a tool takes
 * exactly what its endpoint takes, with the same limits and messages): the query and funnel
 * bodies as they are, and the list endpoints' query strings with the client in the arguments.
 * A query string's `limit` is required-with-default there (Ajv fills it in); a tool's arguments
 * are validated as a JSON body (no defaults filled), so it is optional here and defaulted in code.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { CLIENT_ID_PATTERN, ListClientsQuery } from '../clients/schemas.js';
import { RecentEventsQuery } from '../events/schemas.js';
import { ERROR_MESSAGE } from '../http/validation.js';
import { ListClientLinksQuery } from '../links/schemas.js';
import { FunnelBody, QueryBody } from '../query/schemas.js';

const ClientId = Type.String({ pattern: CLIENT_ID_PATTERN, [ERROR_MESSAGE]: 'must be 1–255 letters, digits, hyphens or underscores', description: 'The client (tenant) to read.' });

export const ListClientsArgs = Type.Object(
  { ...ListClientsQuery.properties, limit: Type.Optional(ListClientsQuery.properties.limit) },
  { additionalProperties: false },
);
export type ListClientsArgsInput = Static<typeof ListClientsArgs>;

export const QueryAnalyticsArgs = QueryBody;
export const RunFunnelArgs = FunnelBody;

export const RecentEventsArgs = Type.Object(
  { client_id: ClientId, ...RecentEventsQuery.properties, limit: Type.Optional(RecentEventsQuery.properties.limit) },
  { additionalProperties: false },
);
export type RecentEventsArgsInput = Static<typeof RecentEventsArgs>;

export const ListLinksArgs = Type.Object(
  { client_id: ClientId, ...ListClientLinksQuery.properties, limit: Type.Optional(ListClientLinksQuery.properties.limit) },
  { additionalProperties: false },
);
export type ListLinksArgsInput = Static<typeof ListLinksArgs>;

/** A schema as plain JSON Schema (TypeBox's symbol keys dropped), for tools/list. */
export const jsonSchemaOf = (schema: TSchema): { type: 'object'; [key: string]: unknown } =>
  JSON.parse(JSON.stringify(schema)) as { type: 'object'; [key: string]: unknown };
