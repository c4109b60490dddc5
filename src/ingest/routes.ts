import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../http/apiError.js';
import { bearerToken } from '../http/bearer.js';
import { errorResponse, ok } from '../http/envelope.js';
import { queryCredential } from '../http/queryCredential.js';
import { validatorCompiler } from '../http/validation.js';
import { decodeBody, RawBody } from './body.js';
import { allowRequestOrigin, answerPreflight } from '../http/cors.js';
import { JournalUnavailable, Overloaded } from '../pipeline/eventSink.js';
import { installIngestGate, requestFacts } from './gate.js';
import { bodyEncoding } from './posthog/encoding.js';
import { postHogRoutes } from './posthog/routes.js';
import { Accepted, BrowserQuery, IngestBody, IngestEventComponent, ServerQuery } from './schemas.js';
import { IngestService, type IngestServiceOptions } from './service.js';

export type IngestRoutesOptions = IngestServiceOptions;

export { PROXY_KEY_HEADER } from './gate.js';

const ingestErrors = {
  400: errorResponse('invalid_json or validation_error: nothing of the request was stored'),
  401: errorResponse('Key missing, unknown or past its grace period; or a wrong X-Mythic-Proxy-Key'),
  403: errorResponse('origin_not_allowed, or client_inactive'),
  413: errorResponse('Over 1 MiB (compressed or not), 1,000 events, or 32 KiB in one event'),
  415: errorResponse('Not application/json or text/plain, or an unsupported compression'),
  429: errorResponse('rate_limited: see Retry-After'),
  500: errorResponse('A bug: never caused by input'),
  503: errorResponse('overloaded: the write queue is full; or unavailable: the journal cannot be written (a full disk). See Retry-After'),
} as const;

const tags = ['Ingestion'];

/** A 503 telling the caller to come back after the sink's Retry-After. */
const retryLater = (code: 'overloaded' | 'unavailable', message: string, seconds: number): ApiError =>
  new ApiError(503, code, `${message}; retry in ${seconds} s`, undefined, { 'retry-after': String(seconds) });

/** The sink's refusals as answers; anything else is left to the error handler. */
function refusal(error: unknown): unknown {
  if (error instanceof Overloaded) return retryLater('overloaded', 'Too many events are waiting to be stored', error.retryAfterSeconds);
  if (error instanceof JournalUnavailable) {
    return retryLater('unavailable', 'Events cannot be stored right now and none of this request was', error.retryAfterSeconds);
  }
  return error;
}

/**
 * Public ingestion: browsers POST to /e with a publishable key; servers POST to /batch or /ingest
 * with either key. A request is stored whole or not at all, and answered 200 only once durable.
 * Registered outside the admin scope, in its own context: bodies are read here as raw bytes,
 * since they may be gzip or text/plain, and are validated by IngestService (see events.ts).
 */
export const ingestRoutes: FastifyPluginAsyncTypebox<IngestRoutesOptions> = async (app, options) => {
  const service = new IngestService(options);
  const { limits } = service;

  app.removeAllContentTypeParsers();
  // Forms: posthog-js's sendBeacon on page leave (`data=<base64>`), a CORS-simple type.
  app.addContentTypeParser(['application/json', 'text/plain', 'application/x-www-form-urlencoded'], { parseAs: 'buffer', bodyLimit: limits.maxRequestBytes }, (_request, body, done) => {
    done(null, new RawBody(body as Buffer));
  });
  app.addContentTypeParser('*', (_request, _payload, done) => {
    done(new ApiError(415, 'unsupported_media_type', 'Send the body as application/json, text/plain or an x-www-form-urlencoded data field'), undefined);
  });
  // The body schema is documentation: events are checked one by one in events.ts, which names
  // `batch[i]` in its errors and refuses a request whole. Other parts validate as everywhere.
  app.setValidatorCompiler((route) => (route.httpPart === 'body' ? () => true : validatorCompiler(route)));
  app.addSchema(IngestEventComponent);

  installIngestGate(app, { service, sink: options.sink, before: allowRequestOrigin, refusal });

  /** One request, whatever the endpoint; `key` is the one given outside the body. */
  async function ingest(request: FastifyRequest, reply: FastifyReply, key: string | undefined, publishableOnly: boolean): Promise<FastifyReply> {
    const query = request.query as { compression?: string };
    const encoding = bodyEncoding(query.compression, request.headers['content-encoding'], request.headers['content-type']);
    const body = await decodeBody(request.body as RawBody | undefined, { ...encoding, maxBytes: limits.maxRequestBytes });
    try {
      const outcome = await service.ingest({
        key,
        publishableOnly,
        body,
        ...requestFacts(request),
      });
      return reply.send(ok(outcome));
    } catch (error) {
      throw refusal(error);
    }
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
        consumes: ['application/json', 'text/plain', 'application/x-www-form-urlencoded'],
        querystring: BrowserQuery,
        body: IngestBody,
        response: { 200: Accepted, ...ingestErrors },
      },
    },
    (request, reply) => ingest(request, reply, queryCredential(request, 'key'), true),
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
          consumes: ['application/json', 'text/plain', 'application/x-www-form-urlencoded'],
          querystring: ServerQuery,
          body: IngestBody,
          response: { 200: Accepted, ...ingestErrors },
        },
      },
      (request, reply) => ingest(request, reply, bearerToken(request.headers.authorization), false),
    );
  }

  for (const path of ['/e', '/batch', '/ingest']) {
    app.options(path, { schema: { hide: true } }, (request, reply) => answerPreflight(request, reply));
  }

  // PostHog's SDKs, configured for PostHog, ask these too: answered here so that this context's
  // parsers, CORS and per-address limit apply to them as to /e.
  await app.register(postHogRoutes, { service });
};
