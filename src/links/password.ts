/**
 * Link passwords, kept as scrypt hashes: a leaked database must not give away the passwords
 * (people reuse them), and scrypt makes each guess cost memory as well as time. The stored string
 * carries its parameters and salt (`scrypt$N$r$p$salt$hash`, base64url), so the cost can be
 * raised later without breaking stored links. ~40 ms per hash at N=2^14 (16 MiB) on one core: fine for a
 * form submission that is rate limited anyway.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 2 ** 14;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
/** Refuses stored parameters that would make one check cost more than ~256 MiB of memory. */
const MAX_MEMORY = 256 * 1024 * 1024;

function derive(password: string, salt: Buffer, keyBytes: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyBytes, { ...options, maxmem: MAX_MEMORY }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashLinkPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, KEY_BYTES, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** Whether `password` matches `stored`, compared in constant time. A stored string of another format is a mismatch, never a throw. */
export async function verifyLinkPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map((v) => (/^[1-9][0-9]{0,9}$/.test(v ?? '') ? Number(v) : NaN)) as [number, number, number];
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(r) || !Number.isSafeInteger(p) || salt.length === 0 || expected.length < 16 || expected.length > 64) return false;
  try {
    const actual = await derive(password, salt, expected.length, { N: n, r, p });
    return timingSafeEqual(actual, expected);
  } catch {
    // Parameters scrypt refuses (N not a power of two, over the memory bound): not a match.
    return false;
  }
}
