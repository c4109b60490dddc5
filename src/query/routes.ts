import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { callerOf } from '../http/readCaller.js';
import { ApiError } from '../http/apiError.js';
import { errorResponse, ok, withNotFound } from '../http/envelope.js';
import { limitedAddress } from '../ingest/ip.js';
import { TokenBuckets, type RateLimit } from '../ingest/rateLimit.js';
import type { Clock } from '../shared/clock.js';
import { allowRequestOrigin, answerPreflight } from '../http/cors.js';
import { FunnelBody, FunnelResultEnvelope, QueryBody, QueryResultEnvelope } from './schemas.js';
import type { QueryService } from './service.js';

const tags = ['Query'];
const queryErrors = {
  ...withNotFound,
  403: errorResponse('forbidden: a client key naming another client; client_inactive: the key of a deactivated client'),
} as const;

/** `POST /query` and `POST /query/funnel`, registered inside the admin-key scope. */
export const queryRoutes: FastifyPluginAsyncTypebox<{ queries: QueryService }> = async (app, { queries }) => {
  app.post(
    '/query',
    {
      config: { acceptsClientSecret: true, readOnly: true },
      schema: {
        tags,
        summary: 'Aggregates of a client’s events (admin key: any client; the client’s own sk_: that client only)',
        body: QueryBody,
        response: { 200: QueryResultEnvelope, ...queryErrors },
      },
    },
    async (request) => ok(await queries.query(callerOf(request), request.body)),
  );
  app.post(
    '/query/funnel',
    {
      config: { acceptsClientSecret: true, readOnly: true },
      schema: {
        tags,
        summary: 'Persons reaching each of 2–8 ordered steps within a window (admin key, or the client’s own sk_)',
        body: FunnelBody,
        response: { 200: FunnelResultEnvelope, ...queryErrors },
      },
    },
    async (request) => ok(await queries.funnel(callerOf(request), request.body)),
  );
};

export interface PublicQueryRoutesOptions {
  queries: QueryService;
  clock: Clock;
  /** Per client address; default 5 per second, bursts of 20. 0 turns it off. */
  rateLimit?: RateLimit;
}

/**
 * A page shows a handful of figures, each one query, and a query can cost the server a second of
 * CPU over a long period: a burst of 20 loads a full page at once, 5 a second refreshes it, and an
 * address asking more is not a page.
 */
export const DEFAULT_PUBLIC_QUERY_RATE_LIMIT: RateLimit = { perSecond: 5, burst: 20 };
const PUBLISHABLE_KEY_HEADER = 'x-publishable-key';

/**
 * `POST /public/query` with `X-Publishable-Key`: meant to be called from customers' pages, so it
 * sits outside the admin scope, answers CORS, and is rate limited per address.
 */
export const publicQueryRoutes: FastifyPluginAsyncTypebox<PublicQueryRoutesOptions> = async (app, options) => {
  const perIp = new TokenBuckets(options.rateLimit ?? DEFAULT_PUBLIC_QUERY_RATE_LIMIT);
  app.addHook('onRequest', (request, reply, done) => {
    // Any site may read its own aggregates from the browser: the key, not the origin, decides.
    allowRequestOrigin(request, reply);
    if (request.method !== 'POST') return done();
    const wait = perIp.take(limitedAddress(request.ip), options.clock());
    if (wait > 0) {
      return done(
        new ApiError(429, 'rate_limited', `Too many queries from this address; retry in ${wait} s`, undefined, { 'retry-after': String(wait) }),
      );
    }
    done();
  });
  app.post(
    '/public/query',
    {
      schema: {
        tags,
        summary: 'Aggregates of one client’s events, with its publishable key in X-Publishable-Key',
        description: '`client_id` must be the key’s client. Rate limited per address; any origin may call it.',
        security: [],
        headers: Type.Object({ 'x-publishable-key': Type.Optional(Type.String({ description: 'pk_… of the client in client_id' })) }),
        body: QueryBody,
        response: {
          200: QueryResultEnvelope,
          ...queryErrors,
          401: errorResponse('Publishable key missing, unknown or past its grace period'),
          429: errorResponse('rate_limited: see Retry-After'),
        },
      },
    },
    async (request) => {
      const key = request.headers[PUBLISHABLE_KEY_HEADER];
      return ok(await options.queries.query({ door: 'publishable', key: typeof key === 'string' ? key : undefined }, request.body));
    },
  );
  app.options('/public/query', { schema: { hide: true } }, (request, reply) => answerPreflight(request, reply, 'Content-Type, X-Publishable-Key'));
};
