import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `prefix` + 32 lowercase hex characters (128 random bits), as the documented key format says. */
export function generateKey(prefix: 'pk_' | 'sk_'): string {
  return prefix + randomBytes(16).toString('hex');
}

/** A random identifier such as `agc_3f9c…`; not a secret, only unguessable and collision-free. */
export function generateId(prefix: string, bytes = 12): string {
  return prefix + randomBytes(bytes).toString('hex');
}

/** One-shot hash(): a third of createHash()'s cost for short inputs; every ingestion request hashes its key. */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

/**
 * Constant-time comparison of a presented secret with the SHA-256 digest of the expected one.
 * Hashing first gives both sides the same length, so neither the content nor the length leaks
 * through timing.
 */
export function matchesDigest(presented: string, expectedDigest: Buffer): boolean {
  const presentedDigest = createHash('sha256').update(presented, 'utf8').digest();
  return expectedDigest.length === presentedDigest.length && timingSafeEqual(presentedDigest, expectedDigest);
}

/** The display form of a secret: enough to tell two apart, useless to an attacker. */
export function maskSecret(prefix: string, last4: string | null): string | null {
  return last4 === null ? null : `${prefix}…${last4}`;
}

export const lastFour = (value: string): string => value.slice(-4);
