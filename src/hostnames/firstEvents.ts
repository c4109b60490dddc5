/**
 * The install check: the first accepted event from each of a client's hostnames (its domain, a
 * subdomain of it counting as the domain, or an extra hostname) is recorded once in the MetaStore,
 * so that `verified` tells a user who pasted the embed code that it works. Ingestion calls this for
 * every acknowledged request, so it must cost nothing once a hostname is known: an in-process
 * cache answers, and the store is written at most once per hostname and process (set-if-null, so
 * several nodes racing to record it keep one time).
 */

import type { StoredEvent } from '../events/eventStore.js';
import { isDomainOrSubdomain } from '../ingest/origin.js';
import { urlParts } from '../ingest/urlParts.js';
import type { MetaChanges } from '../shared/metaChanges.js';
import type { ClientRow, MetaStore } from '../store/metaStore.js';

export interface FirstEventsOptions {
  /**
   * How long a host found to be none of the client's is not looked up again. A hostname added
   * through this process's admin API ends that at once (MetaChanges); this bounds how long one
   * added through another node goes unrecorded here.
   */
  foreignTtlMs: number;
  /** Hosts remembered at most; the whole cache is dropped beyond, which only costs lookups. */
  maxEntries: number;
}

const DEFAULT_OPTIONS: FirstEventsOptions = { foreignTtlMs: 60_000, maxEntries: 10_000 };

/** Until when a (client, host) pair needs no work: Infinity once its first event is recorded. */
type Settled = number;

export class FirstEvents {
  private readonly settled = new Map<string, Settled>();
  private generation: number;
  private readonly options: FirstEventsOptions;

  constructor(
    private readonly store: MetaStore,
    private readonly changes: MetaChanges,
    options: Partial<FirstEventsOptions> = {},
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.generation = changes.generation;
  }

  /**
   * Records, for the hosts the accepted events came from (each event's page URL, else the
   * request's origin), the first event of the client's hostname each one matches. A failure to
   * record is left for a later event to retry: the events themselves are already durable.
   */
  async record(client: ClientRow, originHost: string | null | undefined, events: readonly StoredEvent[], at: number): Promise<void> {
    if (this.changes.generation !== this.generation) {
      // A client, domain or hostname may have changed (even been deleted and re-created).
      this.settled.clear();
      this.generation = this.changes.generation;
    }
    const hosts = new Set<string>();
    for (const event of events) {
      const host = urlParts(event.url)?.hostname || originHost;
      if (host) hosts.add(host);
    }
    const generation = this.generation;
    for (const host of hosts) {
      const key = `${client.id}\n${host}`;
      if ((this.settled.get(key) ?? 0) > at) continue;
      try {
        const hostnames = await this.hostnamesOf(client, host);
        for (const hostname of hostnames) await this.store.recordFirstEvent(client.id, hostname, at);
        // Settled under rows read before a change made meanwhile: used for this request only.
        if (this.changes.generation === generation) this.remember(key, hostnames.length === 0 ? at + this.options.foreignTtlMs : Infinity);
      } catch {
        // Not remembered, so the next event from this host tries again.
      }
    }
  }

  /**
   * The client's hostnames `host` counts for: itself when it is one of the client's extra
   * hostnames, and the client's domain when it is that or a subdomain of it (an extra hostname
   * may be a subdomain of the domain: an event from it verifies both).
   */
  private async hostnamesOf(client: ClientRow, host: string): Promise<string[]> {
    const hostnames: string[] = [];
    if (host !== client.domain && (await this.store.hasHostname(client.id, host))) hostnames.push(host);
    if (client.domain !== null && isDomainOrSubdomain(host, client.domain)) hostnames.push(client.domain);
    return hostnames;
  }

  private remember(key: string, until: Settled): void {
    if (this.settled.size >= this.options.maxEntries) this.settled.clear();
    this.settled.set(key, until);
  }
}
