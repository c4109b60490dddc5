import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppendResult } from '../events/eventStore.js';
import { ApiError } from '../http/apiError.js';
import { errorResponse, ok } from '../http/envelope.js';
import { validatorCompiler } from '../http/validation.js';
import type { KeysService } from '../keys/service.js';
import type { Clock } from '../shared/clock.js';
import type { MetaStore } from '../store/metaStore.js';
import { authenticate, bearerKey, checkOrigin, PROXY_KEY_HEADER, viaTrustedProxy, visitorOf } from './access.js';
import { decodeBody, RawBody } from './body.js';
import { allowRequestOrigin, answerPreflight } from './cors.js';
import { enrich, identityLinks, type RequestFacts } from './enrich.js';
import { Overloaded, type EventSink } from './eventSink.js';
import { acceptEvents, DEFAULT_LIMITS, unpackBody, type IngestLimits } from './events.js';
import { TokenBuckets, type RateLimit } from './rateLimit.js';
import { Accepted, BrowserQuery, IngestBody, IngestEventComponent, ServerQuery } from './schemas.js';

export interface IngestRateLimits {
  /** Per visitor address (as forwarded by a trusted proxy, else the connection's). */
  perIp: RateLimit;
  /** Per client key kind: a client's publishable traffic, and its secret-key traffic. */
  perKey: RateLimit;
}

export const DEFAULT_RATE_LIMITS: IngestRateLimits = { perIp: { perSecond: 200 }, perKey: { perSecond: 2000 } };

export interface IngestRoutesOptions {
  sink: EventSink;
  keys: KeysService;
  store: MetaStore;
  clock: Clock;
  /** Keys the HMAC of hashed visitor addresses (clients with ip_storage 'hashed'). */
  ipHashSecret: Buffer;
  limits?: Partial<IngestLimits>;
  rateLimits?: Partial<IngestRateLimits>;
}

const ingestErrors = {
  400: errorResponse('invalid_json or validation_error: nothing of the request was stored'),
  401: errorResponse('Key missing, unknown or past its grace period; or a wrong X-Mythic-Proxy-Key'),
  403: errorResponse('origin_not_allowed, or client_inactive'),
  413: errorResponse('Over 1 MiB (compressed or not), 1,000 events, or 32 KiB in one event'),
  415: errorResponse('Not application/json or text/plain, or an unsupported compression'),
  429: errorResponse('rate_limited: see Retry-After'),
  500: errorResponse('A bug: never caused by input'),
  503: errorResponse('overloaded: the write queue is full; see Retry-After'),
} as const;

const tags = ['Ingestion'];

const rateLimited = (seconds: number, what: string): ApiError =>
  new ApiError(429, 'rate_limited', `Too many requests for this ${what}; retry in ${seconds} s`, undefined, { 'retry-after': String(seconds) });

/** Whether the body is gzip: from Content-Encoding, or `?compression=gzip-js` for posthog-js. */
function isGzip(request: FastifyRequest, compression: string | undefined): boolean {
  if (compression !== undefined && compression !== 'gzip-js') {
    throw new ApiError(415, 'unsupported_media_type', `compression=${compression} is not supported; use gzip-js or none`);
  }
  const encoding = request.headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new ApiError(415, 'unsupported_media_type', `Content-Encoding ${encoding} is not supported; use gzip or none`);
  }
  return compression === 'gzip-js' || encoding === 'gzip' || encoding === 'x-gzip';
}

/**
 * Public ingestion: browsers POST to /e with a publishable key; servers POST to /batch or /ingest
 * with either key. A request is stored whole or not at all, and answered 200 only once durable.
 * Registered outside the admin scope, in its own context: bodies are read here as raw bytes,
 * since they may be gzip or text/plain, and are validated by hand (see events.ts).
 */
export const ingestRoutes: FastifyPluginAsyncTypebox<IngestRoutesOptions> = async (app, options) => {
  const { sink, keys, store, clock, ipHashSecret } = options;
  const limits: IngestLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const perIp = new TokenBuckets(options.rateLimits?.perIp ?? DEFAULT_RATE_LIMITS.perIp);
  const perKey = new TokenBuckets(options.rateLimits?.perKey ?? DEFAULT_RATE_LIMITS.perKey);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer', bodyLimit: limits.maxRequestBytes }, (_request, body, done) => {
    done(null, new RawBody(body as Buffer));
  });
  app.addContentTypeParser('*', (_request, _payload, done) => {
    done(new ApiError(415, 'unsupported_media_type', 'Send the body as application/json or text/plain'), undefined);
  });
  // The body schema is documentation: events are checked one by one in events.ts, which names
  // `batch[i]` in its errors and refuses a request whole. Other parts validate as everywhere.
  app.setValidatorCompiler((route) => (route.httpPart === 'body' ? () => true : validatorCompiler(route)));
  app.addSchema(IngestEventComponent);

  app.addHook('onRequest', (request, reply, done) => {
    allowRequestOrigin(request, reply);
    // The connection's address is limited before any work, unless a proxy claims to forward
    // visitors: then the visitor's address is limited once the proxy's key is verified.
    if (request.method === 'POST' && request.headers[PROXY_KEY_HEADER] === undefined) {
      const wait = perIp.take(request.ip, clock());
      if (wait > 0) {
        done(rateLimited(wait, 'address'));
        return;
      }
    }
    done();
  });

  /** One request, whatever the endpoint; `presentedKey` picks the key given the body's api_key. */
  async function ingest(
    request: FastifyRequest,
    reply: FastifyReply,
    presentedKey: (apiKey: string | undefined) => string | undefined,
    publishableOnly: boolean,
  ): Promise<FastifyReply> {
    const receivedAt = clock();
    const query = request.query as { compression?: string };
    const body = await decodeBody(request.body as RawBody | undefined, { gzip: isGzip(request, query.compression), maxBytes: limits.maxRequestBytes });
    const unpacked = unpackBody(body, limits);

    const identity = await authenticate(keys, presentedKey(unpacked.apiKey), publishableOnly);
    const keyWait = perKey.take(`${identity.client_id}\n${identity.kind}`, receivedAt);
    if (keyWait > 0) throw rateLimited(keyWait, 'key');
    const client = await store.getClient(identity.client_id);
    // Deleted between the two lookups: its keys went with it.
    if (client === null) throw new ApiError(401, 'unauthorized', 'The key is unknown');
    const trusted = identity.kind === 'secret';
    const proxied = viaTrustedProxy(client, request.headers);
    if (!trusted) await checkOrigin(store, client, request.headers);

    const visitor = visitorOf(request, trusted, proxied);
    if (proxied && visitor.ip !== null) {
      const ipWait = perIp.take(visitor.ip, receivedAt);
      if (ipWait > 0) throw rateLimited(ipWait, 'address');
    }

    const accepted = acceptEvents(unpacked, { trusted, now: receivedAt, limits });
    const facts: RequestFacts = { clientId: client.id, receivedAt, ...visitor, ipStorage: client.ip_storage, ipHashSecret };
    const events = accepted.map((event) => enrich(event, facts));
    let result: AppendResult;
    try {
      result = await sink.write(events, identityLinks(accepted, client.id));
    } catch (error) {
      if (error instanceof Overloaded) {
        throw new ApiError(503, 'overloaded', `Too many events are waiting to be stored; retry in ${error.retryAfterSeconds} s`, undefined, {
          'retry-after': String(error.retryAfterSeconds),
        });
      }
      throw error;
    }
    return reply.send(ok({ received: events.length, duplicates: result.duplicates }));
  }

  app.post(
    '/e',
    {
      schema: {
        tags,
        summary: 'Browser events, with the publishable key in ?key= (or api_key in the body)',
        description:
          'Only a publishable key. When the request carries Origin (else Referer), its host must be the client’s domain, a subdomain of it, or one of its hostnames. The visitor’s address and user agent are taken from the connection (or from the client’s first-party proxy, which sends X-Mythic-Proxy-Key and X-Forwarded-For).',
        security: [],
        consumes: ['application/json', 'text/plain'],
        querystring: BrowserQuery,
        body: IngestBody,
        response: { 200: Accepted, ...ingestErrors },
      },
    },
    (request, reply) => ingest(request, reply, (apiKey) => request.query.key ?? apiKey, true),
  );

  for (const path of ['/batch', '/ingest']) {
    app.post(
      path,
      {
        schema: {
          tags,
          summary: 'Server-side events, with "Authorization: Bearer pk_…|sk_…" (or api_key in the body)',
          description:
            'With a secret key: no origin check, past timestamps are kept (backfill), and each event may set the visitor’s address (`$ip`/`ip`) and user agent (`$user_agent`/`user_agent`), at the top level or in properties. With a publishable key the rules of /e apply.',
          security: [],
          consumes: ['application/json', 'text/plain'],
          querystring: ServerQuery,
          body: IngestBody,
          response: { 200: Accepted, ...ingestErrors },
        },
      },
      (request, reply) => ingest(request, reply, (apiKey) => bearerKey(request.headers) ?? apiKey, false),
    );
  }

  for (const path of ['/e', '/batch', '/ingest']) {
    app.options(path, { schema: { hide: true } }, (request, reply) => answerPreflight(request, reply));
  }
};
