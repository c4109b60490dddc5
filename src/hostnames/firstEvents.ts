/**
 * The install check: the first accepted event from each of a client's hostnames (its domain, a
 * subdomain of it counting as the domain, or an extra hostname) is recorded once in the MetaStore,
 * so that `verified` tells a user who pasted the embed code that it works. Ingestion calls this for
 * every acknowledged request, after answering it, so it must cost little and never delay one: an
 * in-process cache answers for known hosts, and the store is written at most once per hostname,
 * process and cache lifetime (set-if-null, so several nodes racing to record it keep one time; the
 * lifetime, a second by default, bounds how long a hostname removed and added again through
 * another node stays unrecorded here). The hosts come from
 * URLs the sender chooses, so a request gets at most a few looked up, and hosts that are none of
 * the client's are remembered apart, in a small bounded set that cannot push out the matched ones.
 */

import type { StoredEvent } from '../events/eventStore.js';
import { isDomainOrSubdomain } from '../ingest/origin.js';
import { urlParts } from '../ingest/urlParts.js';
import type { MetaChanges } from '../shared/metaChanges.js';
import type { ClientRow, MetaStore } from '../store/metaStore.js';

export interface FirstEventsOptions {
  /**
   * How long what a lookup found is reused: a host recorded, or found to be none of the client's.
   * A change through this process's admin API ends that at once (MetaChanges); this bounds how long
   * one made through another node (a hostname added, or removed and added again) goes unseen here.
   */
  ttlMs: number;
  /** Matched hosts remembered at most; only that set is dropped beyond, which only costs lookups. */
  maxEntries: number;
  /** Other hosts (unmatched, or subdomains of the domain) remembered at most, apart; dropped alone beyond. */
  maxForeign: number;
  /** Distinct hosts not known yet that one request gets looked up: the origin's, then its events'. */
  maxLookupsPerRequest: number;
}

const DEFAULT_OPTIONS: FirstEventsOptions = { ttlMs: 1_000, maxEntries: 10_000, maxForeign: 1_000, maxLookupsPerRequest: 4 };

export class FirstEvents {
  /** (client, host) pairs whose first event is recorded, until when: nothing more to do for them. */
  private readonly matched = new Map<string, number>();
  /** (client, host) pairs that are not themselves one of the client's hostnames, until when that holds. */
  private readonly foreign = new Map<string, number>();
  /** Pairs being looked up by a request now: a concurrent one leaves them to it. */
  private readonly pending = new Set<string>();
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
   * Records, for the hosts the accepted events came from (the request's origin, each event's page
   * URL), the first event of the client's hostname each one matches, looking up at most
   * `maxLookupsPerRequest` hosts not known yet. Never fails: a failure to record is left for a
   * later event to retry, the events themselves being already durable.
   */
  async record(client: ClientRow, originHost: string | null | undefined, events: readonly StoredEvent[], at: number): Promise<void> {
    if (this.changes.generation !== this.generation) {
      // A client, domain or hostname may have changed (even been deleted and re-created).
      this.matched.clear();
      this.foreign.clear();
      this.generation = this.changes.generation;
    }
    const generation = this.generation;
    for (const host of this.hostsToLookUp(client.id, originHost, events, at)) {
      const key = `${client.id}\n${host}`;
      this.pending.add(key);
      try {
        const hostnames = await this.hostnamesOf(client, host);
        for (const hostname of hostnames) {
          if (!this.isMatched(`${client.id}\n${hostname}`, at)) await this.store.recordFirstEvent(client.id, hostname, at, client.created_at);
        }
        // Settled under rows read before a change made meanwhile: used for this request only.
        if (this.changes.generation === generation) this.remember(client.id, host, hostnames, at);
      } catch {
        // Not remembered, so the next event from this host tries again.
      } finally {
        this.pending.delete(key);
      }
    }
  }

  /** The distinct hosts of a request not settled yet, the origin's first, at most the per-request number. */
  private hostsToLookUp(clientId: string, originHost: string | null | undefined, events: readonly StoredEvent[], at: number): string[] {
    const hosts: string[] = [];
    const seen = new Set<string>();
    const consider = (host: string | null | undefined): void => {
      if (!host || seen.has(host)) return;
      seen.add(host);
      const key = `${clientId}\n${host}`;
      if (this.isMatched(key, at) || this.pending.has(key) || (this.foreign.get(key) ?? 0) > at) return;
      hosts.push(host);
    };
    consider(originHost);
    for (const event of events) {
      if (hosts.length >= this.options.maxLookupsPerRequest) break;
      consider(urlParts(event.url)?.hostname || originHost);
    }
    return hosts.slice(0, this.options.maxLookupsPerRequest);
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

  /**
   * Only the client's own hostnames (its domain, its extra hostnames) join the matched set, which
   * stays as small as the admin made them; any other host, a subdomain of the domain included, is
   * remembered for a while in the bounded foreign set, so sender-chosen hosts never push them out.
   */
  private remember(clientId: string, host: string, hostnames: readonly string[], at: number): void {
    for (const hostname of hostnames) {
      if (this.matched.size >= this.options.maxEntries) this.matched.clear();
      this.matched.set(`${clientId}\n${hostname}`, at + this.options.ttlMs);
    }
    if (hostnames.includes(host)) return;
    if (this.foreign.size >= this.options.maxForeign) this.foreign.clear();
    this.foreign.set(`${clientId}\n${host}`, at + this.options.ttlMs);
  }

  private isMatched(key: string, at: number): boolean {
    return (this.matched.get(key) ?? 0) > at;
  }
}
