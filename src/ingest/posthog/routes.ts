import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ApiError } from '../../http/apiError.js';
import { bearerToken } from '../../http/bearer.js';
import { answerPreflight } from '../../http/cors.js';
import { errorResponse } from '../../http/envelope.js';
import { decodeBody, type RawBody } from '../body.js';
import type { IngestService, SdkRequest } from '../service.js';
import { NO_FLAGS, PostHogFlags, PostHogRemoteConfig, remoteConfigFor, remoteConfigScript } from './answers.js';
import { keyInBody } from './bodyKey.js';
import { bodyEncoding } from './encoding.js';
import { requestFacts } from '../gate.js';

export interface PostHogRoutesOptions {
  service: IngestService;
}

const tags = ['Ingestion'];

/** Short, like the loader's: a deactivated client's SDKs learn it within a minute. */
const CONFIG_CACHE = 'public, max-age=60';

const FlagsQuery = Type.Object({
  v: Type.Optional(Type.String({ maxLength: 8, description: 'Answer format; posthog-js asks for 2. The answer has both shapes.' })),
  compression: Type.Optional(Type.String({ maxLength: 32, description: '`base64`: the body’s form `data` field (or the body) is base64; `gzip-js`: gzip.' })),
});

const ConfigParams = Type.Object({
  token: Type.String({ maxLength: 100, description: 'The publishable key posthog-js was set up with.' }),
});

/** What the service needs to know of an SDK's request, besides the key. */
const factsOf = (request: FastifyRequest, key: string | undefined, publishableOnly: boolean): SdkRequest => ({
  key,
  publishableOnly,
  ...requestFacts(request),
});

const configErrors = {
  401: errorResponse('The token is not a publishable key of an active client’s, or is past its grace period'),
  403: errorResponse('origin_not_allowed, or client_inactive'),
  429: errorResponse('rate_limited: see Retry-After'),
  500: errorResponse('A bug: never caused by input'),
} as const;

/**
 * The two questions posthog-js asks besides sending events, answered so that it neither errors
 * nor retries: its remote config (`GET /array/<token>/config`, and `config.js`, the same as a
 * script) and its feature flags (`POST /flags`). The token names the client exactly as on /e:
 * an unknown key is refused, and a publishable key only from the client's own sites.
 * Registered inside the ingestion context (routes.ts), whose hooks add CORS headers and charge
 * each request to its address first.
 */
export const postHogRoutes: FastifyPluginAsyncTypebox<PostHogRoutesOptions> = async (app, { service }) => {
  const { limits } = service;

  app.post(
    '/flags',
    {
      schema: {
        tags,
        summary: 'PostHog feature flags: always none',
        description:
          'For posthog-js and posthog-node set up with Mythic as their host: the key is the body’s `token` (or `api_key`, or a bearer token), checked as on /batch (a publishable key only from the client’s sites). The answer, in PostHog’s shape, has no flag.',
        security: [],
        consumes: ['application/json', 'text/plain', 'application/x-www-form-urlencoded'],
        querystring: FlagsQuery,
        response: {
          200: PostHogFlags,
          400: errorResponse('invalid_json or validation_error'),
          413: errorResponse('Over 1 MiB, compressed or not'),
          415: errorResponse('Not JSON, text/plain or a form; or an unsupported compression'),
          503: errorResponse('overloaded: see Retry-After'),
          ...configErrors,
        },
      },
    },
    async (request, reply) => {
      const encoding = bodyEncoding(request.query.compression, request.headers['content-encoding'], request.headers['content-type']);
      const body = await decodeBody(request.body as RawBody | undefined, { ...encoding, maxBytes: limits.maxRequestBytes });
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw new ApiError(400, 'validation_error', 'The body must be a JSON object naming the token', [{ field: '(body)', message: 'must be an object' }]);
      }
      await service.sdkClient(factsOf(request, bearerToken(request.headers.authorization) ?? keyInBody(body), false));
      return reply.send(NO_FLAGS);
    },
  );
  app.options('/flags', { schema: { hide: true } }, (request, reply) => answerPreflight(request, reply, 'Content-Type, Authorization'));

  /** The client of a token in the URL: a publishable key only, as any key in a URL (see /e). */
  const configFor = async (request: FastifyRequest, token: string): Promise<void> => {
    await service.sdkClient(factsOf(request, token, true));
  };

  app.get(
    '/array/:token/config',
    {
      schema: {
        tags,
        summary: 'PostHog remote config: event capture only',
        description: 'For posthog-js set up with Mythic as api_host and the client’s publishable key as token: PostHog’s remote config with flags, recording, surveys, autocapture and the rest off.',
        security: [],
        params: ConfigParams,
        response: { 200: PostHogRemoteConfig, ...configErrors },
      },
    },
    async (request, reply) => {
      await configFor(request, request.params.token);
      return reply.header('cache-control', CONFIG_CACHE).send(remoteConfigFor(request.params.token));
    },
  );

  app.get('/array/:token/config.js', { schema: { hide: true, params: ConfigParams } }, async (request, reply) => {
    await configFor(request, request.params.token);
    return reply
      .header('cache-control', CONFIG_CACHE)
      .header('x-content-type-options', 'nosniff')
      .type('application/javascript; charset=utf-8')
      .send(remoteConfigScript(request.params.token));
  });
};
