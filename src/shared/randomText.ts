import { randomFillSync } from 'node:crypto';

/**
 * Random text for ids, slugs, secrets and click ids, from the system's cryptographic generator.
 * The redirect draws a click id on every click: one `randomBytes` call per id cost about 17 µs
 * there (a profile of the redirect bench), so bytes are drawn 4 KiB at a time and handed out from
 * that pool, as Node's own `randomUUID` does. Characters come by rejection sampling, so every
 * character of the alphabet is equally likely (no `byte % n` bias).
 */
const pool = Buffer.alloc(4096);
let next = pool.length;

function randomByte(): number {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++] as number;
}

/** `length` characters drawn uniformly from `alphabet` (at most 256 characters). */
export function randomFrom(alphabet: string, length: number): string {
  // The largest multiple of the alphabet's size that fits in a byte: bytes above it are redrawn.
  const limit = 256 - (256 % alphabet.length);
  let text = '';
  while (text.length < length) {
    const byte = randomByte();
    if (byte < limit) text += alphabet[byte % alphabet.length];
  }
  return text;
}

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` base62 characters: about 5.95 bits each. */
export const randomBase62 = (length: number): string => randomFrom(BASE62, length);
