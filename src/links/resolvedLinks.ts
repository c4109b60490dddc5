/**
 * The redirect's cache of links by slug, with the link's client (its ip_storage and life are
 * needed for the click): one MetaStore round trip per slug per TTL at most, instead of two per
 * click, and unknown slugs are remembered too (a scan of made-up slugs costs one lookup each per
 * TTL, and the cache is bounded, least recently used first out).
 *
 * A change made through this process's admin API ends reuse at once (MetaChanges). A PATCH or
 * DELETE made on another node (several `mythic serve` on one PostgreSQL) is seen here within the
 * TTL, 5 s by default: until then this node may still redirect to the old destination.
 */
import type { LinkRow } from './linkRow.js';
import { LruCache } from '../ingest/lruCache.js';
import type { Clock } from '../shared/clock.js';
import type { MetaChanges } from '../shared/metaChanges.js';
import type { ClientRow } from '../store/metaStore.js';
import { LINKS_PSEUDO_CLIENT } from './linkRow.js';

/** A link as the redirect needs it: the row and the client its clicks are stored under. */
export interface ResolvedLink {
  link: LinkRow;
  /** The link's client, or `_links` for a link of none; null when that row is missing (clicks are then dropped). */
  client: ClientRow | null;
}

/** What the cache reads: the MetaStore's two lookups. */
export interface LinkLookups {
  findLinkBySlug(slugKey: string): Promise<LinkRow | null | undefined>;
  getClient(id: string): Promise<ClientRow | null>;
}

export interface ResolvedLinksOptions {
  ttlMs: number;
  maxEntries: number;
}

export const DEFAULT_RESOLVED_LINKS_OPTIONS: ResolvedLinksOptions = { ttlMs: 5_000, maxEntries: 10_000 };

interface Entry {
  found: ResolvedLink | null;
  readAt: number;
  generation: number;
}

export class ResolvedLinks {
  private readonly entries: LruCache<string, Entry>;
  private readonly options: ResolvedLinksOptions;

  constructor(
    private readonly lookups: LinkLookups,
    private readonly changes: MetaChanges,
    private readonly clock: Clock,
    options: Partial<ResolvedLinksOptions> = {},
  ) {
    this.options = { ...DEFAULT_RESOLVED_LINKS_OPTIONS, ...options };
    this.entries = new LruCache(this.options.maxEntries);
  }

  /** The link whose slug is `slugKey` (lowercase) and its client; null when there is none. */
  async resolve(slugKey: string): Promise<ResolvedLink | null> {
    const now = this.clock();
    const generation = this.changes.generation;
    const cached = this.entries.get(slugKey);
    if (cached !== undefined && cached.generation === generation && now - cached.readAt < this.options.ttlMs && now >= cached.readAt) {
      return cached.found;
    }
    const found = await this.read(slugKey);
    if (this.options.ttlMs > 0) this.entries.set(slugKey, { found, readAt: now, generation });
    return found;
  }

  private async read(slugKey: string): Promise<ResolvedLink | null> {
    const link = (await this.lookups.findLinkBySlug(slugKey)) ?? null;
    if (link === null) return null;
    const client = await this.lookups.getClient(link.client_id ?? LINKS_PSEUDO_CLIENT);
    // The client was hard-deleted between the two reads: its links went with it.
    if (client === null && link.client_id !== null) return null;
    return { link, client };
  }
}
