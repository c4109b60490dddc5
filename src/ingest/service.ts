import { ApiError } from '../http/apiError.js';
import type { KeysService } from '../keys/service.js';
import type { Clock } from '../shared/clock.js';
import type { MetaChanges } from '../shared/metaChanges.js';
import type { ClientRow, MetaStore } from '../store/metaStore.js';
import { authenticate, checkOrigin, verifyProxyKey, visitorOf, type ConnectionFacts } from './access.js';
import { enrich, identityLinks, type RequestFacts } from './enrich.js';
import type { EventSink } from './eventSink.js';
import { KeyedClients } from './keyedClients.js';
import { acceptEvents, DEFAULT_LIMITS, unpackBody, type AcceptedEvent, type IngestLimits } from './events.js';
import { TokenBuckets, type RateLimit } from './rateLimit.js';

export interface IngestRateLimits {
  /** Per visitor address: the connection's, or the one a verified proxy forwards. */
  perIp: RateLimit;
  /** Per client key kind: a client's publishable traffic, and its secret-key traffic. */
  perKey: RateLimit;
}

export const DEFAULT_RATE_LIMITS: IngestRateLimits = { perIp: { perSecond: 200 }, perKey: { perSecond: 2000 } };

export interface IngestServiceOptions {
  /** Where accepted events go; rejects with `Overloaded` when it cannot take them. */
  sink: EventSink;
  keys: KeysService;
  store: MetaStore;
  clock: Clock;
  /** Changes made through the admin API: they end the reuse of looked-up keys and clients at once. */
  metaChanges: MetaChanges;
  /** Keys the HMAC of hashed visitor addresses (clients with ip_storage 'hashed'). */
  ipHashSecret: Buffer;
  limits?: Partial<IngestLimits>;
  rateLimits?: Partial<IngestRateLimits>;
}

/** One ingestion request as plain facts: what the route read from HTTP, nothing of HTTP itself. */
export interface IngestRequest extends ConnectionFacts {
  /** The key given outside the body (?key= on /e, the bearer token elsewhere); else the body's api_key is used. */
  key: string | undefined;
  /** Only a publishable key is accepted (/e, whose key travels in URLs). */
  publishableOnly: boolean;
  /** Host of the sending page (Origin, else Referer); undefined: none named; null: one without a host. */
  originHost: string | null | undefined;
  /** X-Mythic-Proxy-Key as received: the caller claims to be the client's first-party proxy. */
  proxyKey: string | undefined;
  /** The body, decoded and parsed, not yet validated. */
  body: unknown;
}

export interface IngestOutcome {
  /** Events of the request, all durably accepted. */
  received: number;
}

const rateLimited = (seconds: number, what: string): ApiError =>
  new ApiError(429, 'rate_limited', `Too many requests for this ${what}; retry in ${seconds} s`, undefined, { 'retry-after': String(seconds) });

/** A request whose events are valid and whose key (and proxy key, if claimed) checked out. */
interface Vouched {
  client: ClientRow;
  accepted: AcceptedEvent[];
  /** A secret key: its events may backfill and name the visitor, and no origin applies. */
  trusted: boolean;
}

/**
 * Ingestion, from a parsed body to durably accepted events: rate limits, validation, the key, the
 * client's proxy and origin rules, enrichment. The checks run from cheapest and stateless to
 * costliest, so that a refused request changes nothing stored (not even a key's last use) and
 * uses up nobody's allowance but its own.
 */
export class IngestService {
  readonly limits: IngestLimits;
  private readonly perIp: TokenBuckets;
  private readonly perKey: TokenBuckets;
  private readonly keyedClients: KeyedClients;

  constructor(private readonly options: IngestServiceOptions) {
    this.keyedClients = new KeyedClients(options.keys, options.store, options.metaChanges, options.clock);
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.perIp = new TokenBuckets(options.rateLimits?.perIp ?? DEFAULT_RATE_LIMITS.perIp);
    this.perKey = new TokenBuckets(options.rateLimits?.perKey ?? DEFAULT_RATE_LIMITS.perKey);
  }

  /**
   * The gate in front of everything, before the body is read: a connection is limited by its
   * address at once unless it claims to be a proxy, whose one address carries many visitors. That
   * claim is settled in `ingest`, which therefore expects every request to have passed here first.
   */
  admit(connectionIp: string, proxyKey: string | undefined): void {
    if (proxyKey === undefined) this.limitAddress(connectionIp, this.options.clock());
  }

  async ingest(request: IngestRequest): Promise<IngestOutcome> {
    const { store, sink, ipHashSecret } = this.options;
    const receivedAt = this.options.clock();
    const { client, accepted, trusted } = await this.vouch(request, receivedAt);
    const proxied = request.proxyKey !== undefined;
    const visitor = visitorOf(request, trusted, proxied);
    // A verified proxy's visitors are limited one by one, by the address it forwards.
    if (proxied) this.limitAddress(visitor.ip ?? request.connectionIp, receivedAt);
    if (!trusted) await checkOrigin(store, client, request.originHost);
    // Charged only now: a request refused above (a wrong proxy key, a foreign origin) must not use
    // up the allowance of the client whose key it carries.
    const keyWait = this.perKey.take(`${client.id}\n${trusted ? 'secret' : 'publishable'}`, receivedAt);
    if (keyWait > 0) throw rateLimited(keyWait, 'key');

    const facts: RequestFacts = { clientId: client.id, receivedAt, ...visitor, ipStorage: client.ip_storage, ipHashSecret };
    const events = accepted.map((event) => enrich(event, facts));
    // The life of the client the key was checked against: a hard delete of that life drops these
    // events even if they reach the journal after it (see EventWriter.forgetClient).
    await sink.write(events, identityLinks(accepted, client.id), { client_id: client.id, life: client.created_at, received_at: receivedAt });
    return { received: events.length };
  }

  /**
   * Validates the events, then looks up the key (which records its use) and checks a claimed proxy
   * key. Until that claim is verified it counts for nothing: a request that fails before then is
   * charged to its connection's address like any other, so a made-up proxy key is no way around
   * the per-address limit.
   */
  private async vouch(request: IngestRequest, now: number): Promise<Vouched> {
    try {
      const unpacked = unpackBody(request.body, this.limits);
      const key = request.key ?? unpacked.apiKey;
      // What an event may set depends on the key's kind, which its prefix tells before any lookup
      // (an sk_ on /e is refused by authenticate, whatever its events).
      const trusted = key?.startsWith('sk_') === true;
      const accepted = acceptEvents(unpacked, { trusted, now, limits: this.limits });
      const { client } = await authenticate(this.keyedClients, key, request.publishableOnly);
      if (request.proxyKey !== undefined) verifyProxyKey(client, request.proxyKey);
      return { client, accepted, trusted };
    } catch (error) {
      if (request.proxyKey !== undefined) this.limitAddress(request.connectionIp, now);
      throw error;
    }
  }

  private limitAddress(ip: string, now: number): void {
    const wait = this.perIp.take(ip, now);
    if (wait > 0) throw rateLimited(wait, 'address');
  }
}
