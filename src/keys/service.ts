import type { Clock } from '../shared/clock.js';
import type { KeyKind, KeyMatch, MetaStore } from '../store/metaStore.js';
import { sha256Hex } from './secrets.js';

export interface KeyIdentity {
  client_id: string;
  kind: KeyKind;
  /** false for a soft-deleted client: its keys are recognised but must not be accepted for ingestion. */
  client_active: boolean;
}

const KEY_SHAPE = /^(pk|sk)_[0-9a-f]{32}$/;
/** last_used_at is advisory; writing it at most once a minute per key keeps hot paths read-only. */
const TOUCH_INTERVAL_MS = 60_000;

/** Resolves presented client keys (pk_/sk_) to their client. */
export class KeysService {
  constructor(
    private readonly store: MetaStore,
    private readonly clock: Clock,
  ) {}

  /**
   * The client a key belongs to, or null when the key is unknown or past its grace period. The
   * lookup is by SHA-256, so the stored hashes are never compared with the key itself.
   */
  async authenticate(presented: string): Promise<KeyIdentity | null> {
    const hash = keyHashOf(presented);
    if (hash === null) return null;
    const match = await this.store.findKeyByHash(hash);
    return match === null ? null : this.accept(match);
  }

  /**
   * The identity of a stored key if it may be used now (null once its grace period is over),
   * recording its use; `match.last_used_at` follows, so a caller holding on to the match does not
   * record the same use twice.
   */
  async accept(match: KeyMatch): Promise<KeyIdentity | null> {
    const now = this.clock();
    if (this.identityOf(match) === null) return null;
    if (match.last_used_at === null || now - match.last_used_at >= TOUCH_INTERVAL_MS) {
      await this.store.touchKey(match.id, now);
      match.last_used_at = now;
    }
    return { client_id: match.client_id, kind: match.kind, client_active: match.client_status };
  }

  /** What `accept` answers, without recording a use: for refusing a request before any of it is judged. */
  identityOf(match: KeyMatch): KeyIdentity | null {
    if (match.expires_at !== null && match.expires_at <= this.clock()) return null;
    return { client_id: match.client_id, kind: match.kind, client_active: match.client_status };
  }
}

/** The lookup hash of a presented key, or null when it is not shaped like a client key at all. */
export function keyHashOf(presented: string): string | null {
  return KEY_SHAPE.test(presented) ? sha256Hex(presented) : null;
}
