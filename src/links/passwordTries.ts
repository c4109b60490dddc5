/**
 * Who may try a link's password now. Each try costs a 16 MiB scrypt on libuv's thread pool (four
 * threads, shared with file I/O, DNS and the engines), so three limits apply before one is run:
 * - at most `atOnce` checks running in the process (beyond: `busy`, not charged): a flood of posts
 *   cannot occupy the whole pool and starve everything else behind it;
 * - per address (its /64 for IPv6) and link, a few tries a minute: one visitor guessing;
 * - per link, all addresses together, a few dozen a minute: many addresses guessing one link (a
 *   botnet). Its cost: while a link is under such an attack, its rightful visitors wait too; the
 *   password stays unguessed, which matters more.
 * A try is charged before the check, right or wrong, so guessing costs the same either way.
 */
import { limitedAddress } from '../ingest/ip.js';
import { TokenBuckets, type RateLimit } from '../ingest/rateLimit.js';

export interface PasswordTryLimits {
  /** Per address (or /64) and link. */
  perAddress: RateLimit;
  /** Per link, all addresses together. */
  perLink: RateLimit;
  /** Password checks running at once in this process. */
  atOnce: number;
}

/** Five tries a minute per address and link; thirty a minute per link; two checks at once. */
export const DEFAULT_PASSWORD_TRY_LIMITS: PasswordTryLimits = {
  perAddress: { perSecond: 5 / 60, burst: 5 },
  perLink: { perSecond: 30 / 60, burst: 30 },
  atOnce: 2,
};

/** What a refused try is told: which limit, and when to come back. */
export type TryRefusal = { refused: 'address' | 'link' | 'busy'; retryAfterSeconds: number };

/** A busy answer's Retry-After: a check takes ~40 ms, so a slot is free again within a second unless under attack. */
const BUSY_RETRY_SECONDS = 1;

export class PasswordTries {
  private readonly perAddress: TokenBuckets;
  private readonly perLink: TokenBuckets;
  private running = 0;

  constructor(private readonly limits: PasswordTryLimits) {
    this.perAddress = new TokenBuckets(limits.perAddress);
    this.perLink = new TokenBuckets(limits.perLink);
  }

  /**
   * Runs `verify` (the password check) if every limit allows it now, else answers which refused. Busy is tested first and
   * charges nothing (the visitor did not get a try); then the address, then the link (an address
   * over its own limit does not use up the link's tries of others).
   */
  async check(ip: string, linkId: string, now: number, verify: () => Promise<boolean>): Promise<boolean | TryRefusal> {
    if (this.running >= Math.max(1, this.limits.atOnce)) return { refused: 'busy', retryAfterSeconds: BUSY_RETRY_SECONDS };
    const addressWait = this.perAddress.take(`${limitedAddress(ip)}\n${linkId}`, now);
    if (addressWait > 0) return { refused: 'address', retryAfterSeconds: addressWait };
    const linkWait = this.perLink.take(linkId, now);
    if (linkWait > 0) return { refused: 'link', retryAfterSeconds: linkWait };
    this.running += 1;
    try {
      return await verify();
    } finally {
      this.running -= 1;
    }
  }
}
