import { FirstEvents } from '../hostnames/firstEvents.js';
import { ApiError } from '../http/apiError.js';
import type { KeysService } from '../keys/service.js';
import type { Clock } from '../shared/clock.js';
import type { MetaChanges } from '../shared/metaChanges.js';
import type { ClientRow, MetaStore } from '../store/metaStore.js';
import { authenticate, checkOrigin, verifyProxyKey, visitorOf, type ConnectionFacts, type Visitor } from './access.js';
import { enrich, identityLinks, type RequestFacts } from './enrich.js';
import type { Locator } from './geo/geoLookup.js';
import type { EventSink } from '../pipeline/eventSink.js';
import { KeyedClients } from './keyedClients.js';
import { acceptEvents, DEFAULT_LIMITS, unpackBody, type AcceptedEvent, type IngestLimits } from './events.js';
import { forgetKeyInProperties, keyInEvents } from './posthog/bodyKey.js';
import { limitedAddress } from './ip.js';
import { TokenBuckets, type RateLimit } from './rateLimit.js';

export interface IngestRateLimits {
  /** Per visitor address: the connection's, or the one a verified proxy forwards. */
  perIp: RateLimit;
  /** Per client key kind: a client's publishable traffic, and its secret-key traffic. */
  perKey: RateLimit;
}

/** How long MetaStore rows are reused by default: the bound on how late another node's change is seen. */
export const DEFAULT_META_CACHE_TTL_MS = 1_000;

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
  /** Where visitors' addresses are (country, region, city), looked up before they are truncated or hashed. */
  geo: Locator;
  limits?: Partial<IngestLimits>;
  rateLimits?: Partial<IngestRateLimits>;
  /**
   * Milliseconds this process reuses MetaStore rows it read (keys, clients, hostnames checked by
   * the install check): a change made through another node reaches this one within this time.
   */
  metaCacheTtlMs?: number;
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
  /** What `admit` answered for this request: whose address it is charged to, if still open. */
  charge?: AddressCharge;
}

/**
 * Whether a request has been charged to an address yet. Every ingestion request is charged to
 * exactly one: its connection's at the gate, or, when it claims to come from the client's proxy,
 * the visitor's the proxy forwards once the claim is verified; a request that fails before then
 * is charged to its connection's (`chargeFailure`), however it failed.
 */
export class AddressCharge {
  settled = false;
}

/** An SDK asking for its settings: the facts of an ingestion request, without events. */
export type SdkRequest = Omit<IngestRequest, 'body'>;

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
  private readonly firstEvents: FirstEvents;

  constructor(private readonly options: IngestServiceOptions) {
    const ttl = options.metaCacheTtlMs ?? DEFAULT_META_CACHE_TTL_MS;
    this.keyedClients = new KeyedClients(options.keys, options.store, options.metaChanges, options.clock, { ttlMs: ttl });
    this.firstEvents = new FirstEvents(options.store, options.metaChanges, { ttlMs: ttl });
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.perIp = new TokenBuckets(options.rateLimits?.perIp ?? DEFAULT_RATE_LIMITS.perIp);
    this.perKey = new TokenBuckets(options.rateLimits?.perKey ?? DEFAULT_RATE_LIMITS.perKey);
  }

  /**
   * The gate in front of everything, before the body is read: a connection is limited by its
   * address at once unless it claims to be a proxy, whose one address carries many visitors. That
   * claim is settled in `ingest`, or by `chargeFailure` when the request fails first; the charge
   * answered here is to be passed to both.
   */
  admit(connectionIp: string, proxyKey: string | undefined): AddressCharge {
    const charge = new AddressCharge();
    if (proxyKey === undefined) {
      charge.settled = true;
      this.limitAddress(connectionIp, this.options.clock());
    }
    return charge;
  }

  /**
   * Refuses, before the body is read, a key given outside it (in the URL or the Authorization
   * header) that is unknown, past its grace period, of the wrong kind or of a deactivated client.
   * Records no use: the full check in `ingest` does, once the events are known to be valid.
   */
  async screenKey(key: string | undefined, publishableOnly: boolean): Promise<void> {
    if (key === undefined || key === '') return;
    await authenticate(this.keyedClients, key, publishableOnly, false);
  }

  /**
   * For a request that failed whatever the reason: if it was not charged to an address yet (a
   * claimed proxy that never got verified), it is charged to its connection's now. Answers the
   * error to send: the 429 when that address is over its limit, else `error` itself.
   */
  chargeFailure(charge: AddressCharge | undefined, connectionIp: string, error: unknown): unknown {
    if (charge === undefined || charge.settled) return error;
    charge.settled = true;
    try {
      this.limitAddress(connectionIp, this.options.clock());
    } catch (limited) {
      return limited;
    }
    return error;
  }

  async ingest(request: IngestRequest): Promise<IngestOutcome> {
    const { sink, ipHashSecret, geo } = this.options;
    const receivedAt = this.options.clock();
    const { client, accepted, trusted } = await this.vouch(request, receivedAt);
    const visitor = visitorOf(request, trusted, request.proxyKey !== undefined);
    await this.allow(request, client, trusted, visitor, receivedAt);

    const facts: RequestFacts = { clientId: client.id, receivedAt, ...visitor, ipStorage: client.ip_storage, ipHashSecret, geo };
    const events = accepted.map((event) => enrich(event, facts));
    // The life of the client the key was checked against: a hard delete of that life drops these
    // events even if they reach the journal after it (see EventWriter.forgetClient).
    await sink.write(events, identityLinks(accepted, client.id), { client_id: client.id, life: client.created_at, received_at: receivedAt });
    // The install check (hostnames' `verified`): one store write per hostname, not per event, and
    // after the answer: it never delays an acknowledgement, and never fails (see FirstEvents.record).
    if (!trusted) void this.firstEvents.record(client, request.originHost, events, receivedAt).catch(() => undefined);
    return { received: events.length };
  }

  /**
   * Validates the events, then looks up the key (which records its use) and checks a claimed proxy
   * key. Until that claim is verified it counts for nothing: a request that fails before then is
   * charged to its connection's address like any other (`chargeFailure`), so a made-up proxy key
   * is no way around the per-address limit.
   */
  private async vouch(request: IngestRequest, now: number): Promise<Vouched> {
    const unpacked = unpackBody(request.body, this.limits);
    const key = request.key ?? unpacked.apiKey ?? keyInEvents(unpacked.items, unpacked.labels);
    forgetKeyInProperties(unpacked.items, key);
    // What an event may set depends on the key's kind, which its prefix tells before any lookup
    // (an sk_ on /e is refused by authenticate, whatever its events).
    const trusted = key?.startsWith('sk_') === true;
    const accepted = acceptEvents(unpacked, { trusted, now, limits: this.limits });
    const { client } = await authenticate(this.keyedClients, key, request.publishableOnly);
    if (request.proxyKey !== undefined) verifyProxyKey(client, request.proxyKey);
    return { client, accepted, trusted };
  }

  /**
   * The client behind an SDK's feature-flag or remote-config request (PostHog's /flags and
   * /array/<token>/config), under the rules its events would meet: the key, a claimed proxy key,
   * the client's origins for a publishable key, and both allowances. Expects the gate to have admitted it (`admit`).
   */
  async sdkClient(request: SdkRequest): Promise<ClientRow> {
    const { client } = await authenticate(this.keyedClients, request.key, request.publishableOnly);
    if (request.proxyKey !== undefined) verifyProxyKey(client, request.proxyKey);
    const trusted = request.key?.startsWith('sk_') === true;
    await this.allow(request, client, trusted, visitorOf(request, trusted, request.proxyKey !== undefined), this.options.clock());
    return client;
  }

  /**
   * The rules a request of a known client meets, events or not. A verified proxy's visitors are
   * limited one by one, by the address it forwards (a failure before this point is charged to the
   * connection by the gate, `chargeFailure`). The key's allowance is charged last: a request
   * refused before (a foreign origin) must not use up the allowance of the client whose key it carries.
   */
  private async allow(request: SdkRequest, client: ClientRow, trusted: boolean, visitor: Visitor, now: number): Promise<void> {
    if (request.proxyKey !== undefined) {
      if (request.charge !== undefined) request.charge.settled = true;
      this.limitAddress(visitor.ip ?? request.connectionIp, now);
    }
    if (!trusted) await checkOrigin(this.options.store, client, request.originHost);
    const keyWait = this.perKey.take(`${client.id}\n${trusted ? 'secret' : 'publishable'}`, now);
    if (keyWait > 0) throw rateLimited(keyWait, 'key');
  }

  private limitAddress(ip: string, now: number): void {
    const wait = this.perIp.take(limitedAddress(ip), now);
    if (wait > 0) throw rateLimited(wait, 'address');
  }
}
