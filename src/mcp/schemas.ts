/**
 * MCP gateway keys (admin key only): an operator gives an AI assistant a `mak_…` key limited to
 * scopes (list tools, call tools), an expiry and the clients it may read, instead of the admin key
 * or a client's sk_. The key is answered once, at creation; lists show it masked.
 */
import { Type, type Static } from 'typebox';
import { CLIENT_ID_PATTERN } from '../clients/schemas.js';
import { NullableTimestamp, PagingQuery, Timestamp } from '../http/common.js';
import { ERROR_MESSAGE } from '../http/validation.js';
import { INSTANT_PATTERN } from '../events/schemas.js';
import { MCP_SCOPES } from './mcpKeyRows.js';

export const MAX_MCP_KEY_CLIENTS = 100;

const Scope = Type.Enum([...MCP_SCOPES], { description: '`tools:read` lists the tools; `tools:execute` calls them.' });
const ClientId = Type.String({ pattern: CLIENT_ID_PATTERN, [ERROR_MESSAGE]: 'must be 1–255 letters, digits, hyphens or underscores' });

export const CreateMcpKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'What the key is for (an assistant, a person).', examples: ['Claude for the growth team'] }),
    scopes: Type.Array(Scope, { minItems: 1, maxItems: MCP_SCOPES.length, uniqueItems: true, examples: [['tools:read', 'tools:execute']] }),
    expires_at: Type.Optional(
      Type.Union([Type.String({ format: 'date-time', pattern: INSTANT_PATTERN, [ERROR_MESSAGE]: 'must be an ISO-8601 date-time such as 2026-12-31T23:59:59.000Z' }), Type.Null()], {
        description: 'A future instant after which the key is refused; null or omitted: it does not expire.',
      }),
    ),
    client_ids: Type.Optional(
      Type.Union([Type.Array(ClientId, { minItems: 1, maxItems: MAX_MCP_KEY_CLIENTS, uniqueItems: true }), Type.Null()], {
        description: `The only clients whose data the key may read (1–${MAX_MCP_KEY_CLIENTS} existing clients); null or omitted: every client.`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateMcpKeyInput = Static<typeof CreateMcpKeyBody>;

const mcpKeyFields = {
  id: Type.String({ examples: ['mck_4f9Qx2LmP0aZ'] }),
  name: Type.String(),
  masked_key: Type.String({ examples: ['mak_…x9Qz'] }),
  scopes: Type.Array(Scope),
  client_ids: Type.Unsafe<string[] | null>({ type: ['array', 'null'], items: { type: 'string' }, description: 'null: every client.' }),
  expires_at: NullableTimestamp,
  revoked_at: NullableTimestamp,
  last_used_at: { ...NullableTimestamp, description: 'Updated at most once a minute.' },
  status: Type.Enum(['active', 'expired', 'revoked']),
  created_at: Timestamp,
};

export const McpKey = Type.Object(mcpKeyFields, { title: 'McpKey' });
export type McpKeyView = Static<typeof McpKey>;

export const McpKeyWithSecret = Type.Object(
  { ...mcpKeyFields, key: Type.String({ description: 'The key (mak_ + 32 characters): shown only in this answer. Keep it; it cannot be read back.' }) },
  { title: 'McpKeyWithSecret' },
);
export type McpKeyWithSecretView = Static<typeof McpKeyWithSecret>;

export const McpKeyParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) });
export const ListMcpKeysQuery = Type.Object({ ...PagingQuery }, { additionalProperties: false });
