/**
 * The MCP gateway's keys as the MCP page calls them (admin key only), and the client
 * configuration an AI assistant is given. Shapes as issue 15's shared decisions give them; the
 * API validates what the form sends.
 */
import { api, enc } from '../api.js';

export const MCP_SCOPES = ['tools:read', 'tools:execute'] as const;
export type McpScope = (typeof MCP_SCOPES)[number];

export interface McpKey {
  id: string;
  name: string;
  /** `mak_…abcd`. */
  masked_key: string;
  scopes: McpScope[];
  /** null: every client. */
  client_ids: string[] | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  status: 'active' | 'expired' | 'revoked';
  created_at: string;
}

/** As create answers it: the key itself (`mak_` + 32 base62), shown once. */
export type CreatedMcpKey = McpKey & { key: string };

export interface McpKeyFields {
  name: string;
  scopes: McpScope[];
  expires_at?: string;
  client_ids?: string[];
}

const KEYS = '/mcp/api-keys';

export const mcpApi = {
  list: (): Promise<McpKey[]> => api.list<McpKey>(KEYS).then((page) => page.data),
  create: (fields: McpKeyFields): Promise<CreatedMcpKey> => api.post<CreatedMcpKey>(KEYS, fields),
  /** Revokes: the key is refused from then on; the list keeps it, marked revoked. */
  revoke: (id: string): Promise<void> => api.delete(`${KEYS}/${enc(id)}`),
};

/** Where the MCP server answers: on this origin, outside `/api/v1`. */
export const mcpUrl = (origin: string): string => `${origin}/mcp`;

/** The `mcpServers` entry an MCP client (Claude Code, Cursor, …) takes, with `key` or a placeholder. */
export function clientConfig(origin: string, key: string | null): string {
  const config = { mcpServers: { mythic: { type: 'http', url: mcpUrl(origin), headers: { Authorization: `Bearer ${key ?? '<your mak_ key>'}` } } } };
  return JSON.stringify(config, null, 2);
}
