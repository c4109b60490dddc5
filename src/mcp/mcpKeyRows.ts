/**
 * MCP gateway keys (`mak_…`) as the MetaStore keeps them. Times are epoch milliseconds, UTC.
 * The key itself is shown once, at creation; only its SHA-256 (keys/secrets.ts sha256Hex) and a
 * masked form are stored.
 */
import type { Page, PageOf } from '../store/metaStore.js';

export const MCP_SCOPES = ['tools:read', 'tools:execute'] as const;
export type McpScope = (typeof MCP_SCOPES)[number];

export interface McpKeyRow {
  /** `mck_` + 12 base62. */
  id: string;
  name: string;
  /** sha256Hex of the whole key. */
  key_hash: string;
  /** The key's last four characters, for the masked form `mak_…abcd`. */
  key_last4: string;
  scopes: McpScope[];
  /** The clients whose data the key may read; null: every client. */
  client_ids: string[] | null;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  created_at: number;
}

/** The MetaStore's part for MCP keys (both engines implement it; MetaStore extends it). */
export interface McpKeyStore {
  insertMcpKey(row: McpKeyRow): Promise<void>;
  getMcpKey(id: string): Promise<McpKeyRow | null>;
  /** Newest first; revoked keys included (the list shows them as revoked). */
  listMcpKeys(page: Page): Promise<PageOf<McpKeyRow>>;
  findMcpKeyByHash(keyHash: string): Promise<McpKeyRow | null>;
  /** Sets revoked_at unless already revoked; the row after, or null when there is no such key. */
  revokeMcpKey(id: string, at: number): Promise<McpKeyRow | null>;
  touchMcpKey(id: string, at: number): Promise<void>;
}
