import { LruCache } from './lruCache.js';

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, epoch ms. */
  at: number;
}

/** Requests per second; 0 turns the limit off. */
export interface RateLimit {
  perSecond: number;
  /** How many requests may arrive at once after a quiet spell; twice the rate unless given. */
  burst?: number;
}

/**
 * Token buckets held in memory, one per key (an IP address, a client's key). Each refills at
 * `perSecond` up to `burst`; a request takes one token. The map is bounded: under a flood of
 * distinct keys the least recently seen bucket is forgotten, which only ever lets a request through
 * that a perfect memory would have refused, never the reverse.
 */
export class TokenBuckets {
  private readonly buckets: LruCache<string, Bucket>;
  private readonly rate: number;
  private readonly burst: number;

  constructor(limit: RateLimit, capacity = 50_000) {
    this.rate = limit.perSecond;
    this.burst = Math.max(1, limit.burst ?? limit.perSecond * 2);
    this.buckets = new LruCache(capacity);
  }

  get enabled(): boolean {
    return this.rate > 0;
  }

  /** Takes a token for `key` at `now`: 0 when allowed, else the whole seconds until one is available. */
  take(key: string, now: number): number {
    if (!this.enabled) return 0;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(key, bucket);
    } else {
      // max(0, …): a clock that steps backwards must not drain the bucket.
      bucket.tokens = Math.min(this.burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.rate);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.rate));
  }
}
