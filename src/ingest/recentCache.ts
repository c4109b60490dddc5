/**
 * A bounded cache for lookups made several times per event (user agent, page and referrer URLs):
 * a hit must cost one Map read. LruCache moves an entry to the end on every hit (a delete and an
 * insert), which was 8% of the request thread's time in validation + enrichment + journal line of
 * a batch (CPU profile). Here entries live in two generations: hits in the young one cost a read;
 * a hit in the old one moves the entry to the young one; when the young one holds half the
 * capacity it becomes the old one and the old one is dropped. An entry used at least once while
 * half the capacity of new entries arrive is kept; the whole holds at most `capacity` entries.
 * Values must not be `undefined` (it means "not cached").
 */
export class RecentCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('a RecentCache holds at least one entry');
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: K): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const older = this.old.get(key);
    if (older !== undefined) {
      this.old.delete(key);
      this.keep(key, older);
    }
    return older;
  }

  set(key: K, value: V): void {
    if (this.young.has(key)) {
      this.young.set(key, value);
      return;
    }
    this.old.delete(key);
    this.keep(key, value);
  }

  private keep(key: K, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}
