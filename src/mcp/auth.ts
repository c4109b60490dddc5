/**
 * Who calls /mcp. Three kinds of Bearer key open it: the admin key (every tool, every client), a
 * client's `sk_` (that client only; `list_clients` is not offered), and an MCP gateway key `mak_`
 * (its scopes and its client allow list). The admin key is compared in constant time with its
 * hash; client and gateway keys are found by the SHA-256 of the key, never compared with it.
 * Nothing here knows the key after this: a caller carries ids, not secrets, except the sk_ that
 * the query services need to run their own tenant check.
 */
import { bearerToken } from '../http/bearer.js';
import { matchesDigest } from '../keys/secrets.js';
import { keyHashOf, type KeysService } from '../keys/service.js';
import type { MetaStore } from '../store/metaStore.js';
import { MCP_SCOPES, type McpScope } from './mcpKeyRows.js';
import type { McpKeysService } from './service.js';

export type McpCaller =
  | { kind: 'admin'; keyId: 'admin'; scopes: readonly McpScope[]; clientIds: null }
  | { kind: 'secret'; keyId: string; scopes: readonly McpScope[]; clientIds: [string]; secret: string }
  | { kind: 'gateway'; keyId: string; scopes: readonly McpScope[]; clientIds: string[] | null };

export interface McpAuthDeps {
  adminKeyHash: string;
  store: Pick<MetaStore, 'findKeyByHash'>;
  keys: KeysService;
  mcpKeys: McpKeysService;
}

/** The caller a request's Authorization header names, or null (missing, unknown, expired, revoked). */
export async function mcpCallerOf(authorization: string | undefined, deps: McpAuthDeps): Promise<McpCaller | null> {
  const key = bearerToken(authorization);
  if (key === undefined) return null;
  if (key.startsWith('mak_')) {
    const row = await deps.mcpKeys.authenticate(key);
    return row === null ? null : { kind: 'gateway', keyId: row.id, scopes: row.scopes, clientIds: row.client_ids };
  }
  if (key.startsWith('sk_')) {
    const hash = keyHashOf(key);
    const match = hash === null ? null : await deps.store.findKeyByHash(hash);
    if (match === null || match.kind !== 'secret') return null;
    const identity = await deps.keys.accept(match);
    return identity === null ? null : { kind: 'secret', keyId: match.id, scopes: MCP_SCOPES, clientIds: [identity.client_id], secret: key };
  }
  return matchesDigest(key, Buffer.from(deps.adminKeyHash, 'hex')) ? { kind: 'admin', keyId: 'admin', scopes: MCP_SCOPES, clientIds: null } : null;
}

/** Whether the caller's key may read this client at all (the services then check sk_ themselves). */
export const mayReadClient = (caller: McpCaller, clientId: string): boolean => caller.clientIds === null || caller.clientIds.includes(clientId);
