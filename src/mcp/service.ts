/**
 * MCP gateway keys for the operator (admin key): create (the key is answered once), list, read,
 * revoke; and, for the /mcp endpoint, authenticate a presented `mak_…`. Keys are 32 base62
 * characters (about 190 random bits) and only their SHA-256 is stored, so a presented key is found
 * by the hash of it (as client keys are): no stored value is ever compared with the key itself.
 * No HTTP here: failures are ApiErrors.
 */
import { invalidFields, notFound } from '../http/apiError.js';
import { toIso, toIsoOrNull } from '../http/common.js';
import { lastFour, sha256Hex } from '../keys/secrets.js';
import type { Clock } from '../shared/clock.js';
import { listPage, type Listing, type PagingInput } from '../shared/paging.js';
import { randomBase62 } from '../shared/randomText.js';
import type { MetaStore } from '../store/metaStore.js';
import type { McpKeyRow } from './mcpKeyRows.js';
import type { CreateMcpKeyInput, McpKeyView, McpKeyWithSecretView } from './schemas.js';

export const MCP_KEY_PREFIX = 'mak_';
/** A key's use is recorded at most this often: every MCP request would otherwise be a write. */
const TOUCH_INTERVAL_MS = 60_000;

export type McpKeyStatus = 'active' | 'expired' | 'revoked';

export function mcpKeyStatus(row: McpKeyRow, now: number): McpKeyStatus {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && row.expires_at <= now) return 'expired';
  return 'active';
}

export class McpKeysService {
  constructor(
    private readonly store: Pick<MetaStore, 'insertMcpKey' | 'getMcpKey' | 'listMcpKeys' | 'findMcpKeyByHash' | 'revokeMcpKey' | 'touchMcpKey' | 'clientLives'>,
    private readonly clock: Clock,
  ) {}

  private present(row: McpKeyRow): McpKeyView {
    return {
      id: row.id,
      name: row.name,
      masked_key: `${MCP_KEY_PREFIX}…${row.key_last4}`,
      scopes: [...row.scopes],
      client_ids: row.client_ids === null ? null : [...row.client_ids],
      expires_at: toIsoOrNull(row.expires_at),
      revoked_at: toIsoOrNull(row.revoked_at),
      last_used_at: toIsoOrNull(row.last_used_at),
      status: mcpKeyStatus(row, this.clock()),
      created_at: toIso(row.created_at),
    };
  }

  async create(input: CreateMcpKeyInput): Promise<McpKeyWithSecretView> {
    const now = this.clock();
    // The schema admits only forms Date.parse reads, so this is never NaN.
    const expiresAt = input.expires_at === undefined || input.expires_at === null ? null : Date.parse(input.expires_at);
    if (expiresAt !== null && expiresAt <= now) throw invalidFields([{ field: 'expires_at', message: 'must be in the future' }]);
    const clientIds = input.client_ids ?? null;
    if (clientIds !== null) {
      const existing = await this.store.clientLives(clientIds);
      const unknown = clientIds.filter((id) => !existing.has(id));
      if (unknown.length > 0) {
        throw invalidFields([{ field: 'client_ids', message: `names clients that do not exist: ${unknown.map((id) => `'${id}'`).join(', ')}` }]);
      }
    }
    const key = MCP_KEY_PREFIX + randomBase62(32);
    const row: McpKeyRow = {
      id: `mck_${randomBase62(12)}`,
      name: input.name,
      key_hash: sha256Hex(key),
      key_last4: lastFour(key),
      scopes: [...input.scopes],
      client_ids: clientIds === null ? null : [...clientIds],
      expires_at: expiresAt,
      revoked_at: null,
      last_used_at: null,
      created_at: now,
    };
    await this.store.insertMcpKey(row);
    return { ...this.present(row), key };
  }

  async list(paging: PagingInput): Promise<Listing<McpKeyView>> {
    return listPage(paging, (page) => this.store.listMcpKeys(page), (row) => this.present(row));
  }

  async get(id: string): Promise<McpKeyView> {
    const row = await this.store.getMcpKey(id);
    if (row === null) throw notFound('MCP key', id);
    return this.present(row);
  }

  /** Revokes at once (a key already revoked keeps its first revocation time). */
  async revoke(id: string): Promise<McpKeyView> {
    const row = await this.store.revokeMcpKey(id, this.clock());
    if (row === null) throw notFound('MCP key', id);
    return this.present(row);
  }

  /** The stored key a presented `mak_…` is, when it is active now (its use recorded); else null. */
  async authenticate(presented: string): Promise<McpKeyRow | null> {
    if (!presented.startsWith(MCP_KEY_PREFIX)) return null;
    const row = await this.store.findMcpKeyByHash(sha256Hex(presented));
    const now = this.clock();
    if (row === null || mcpKeyStatus(row, now) !== 'active') return null;
    if (row.last_used_at === null || now - row.last_used_at >= TOUCH_INTERVAL_MS) {
      await this.store.touchMcpKey(row.id, now);
      row.last_used_at = now;
    }
    return row;
  }
}
