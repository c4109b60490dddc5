import type { KeyKind, KeyRow } from '../store/metaStore.js';
import { generateId, generateKey, lastFour, sha256Hex } from './secrets.js';

export interface IssuedKey {
  /** The full key, to be shown once to the caller and never stored. */
  key: string;
  row: KeyRow;
}

/** A new random key of `kind` for a client, with the row that stores its hash. */
export function issueKey(clientId: string, kind: KeyKind, now: number): IssuedKey {
  const key = generateKey(kind === 'publishable' ? 'pk_' : 'sk_');
  return {
    key,
    row: {
      id: generateId('key_', 8),
      client_id: clientId,
      kind,
      key_hash: sha256Hex(key),
      publishable_key: kind === 'publishable' ? key : null,
      last4: lastFour(key),
      created_at: now,
      expires_at: null,
      last_used_at: null,
    },
  };
}
