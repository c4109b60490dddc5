import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { agencyRoutes } from './agencies/routes.js';
import { AgenciesService } from './agencies/service.js';
import { clientRoutes } from './clients/routes.js';
import { ClientsService } from './clients/service.js';
import { healthRoutes } from './health/routes.js';
import { adminAuth } from './http/adminAuth.js';
import { installJsonBodyParser } from './http/bodyParser.js';
import { ErrorEnvelope } from './http/envelope.js';
import { ApiError } from './http/apiError.js';
import { installErrorHandling, sendError, toApiError } from './http/errorHandler.js';
import { loggerOptions } from './http/logging.js';
import { registerOpenApi, serveOpenApiDocument } from './http/openapi.js';
import { rejectUnstorableText } from './http/textGuard.js';
import { validatorCompiler } from './http/validation.js';
import { systemClock, type Clock } from './shared/clock.js';
import type { MetaStore } from './store/metaStore.js';
import { VERSION } from './version.js';

export const API_PREFIX = '/api/v1';
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface AppOptions {
  store: MetaStore;
  /** SHA-256 (hex) of the admin key; the key itself is never kept. */
  adminKeyHash: string;
  clock?: Clock;
  /** A pino level, or false for no logging (tests). */
  logLevel?: string | false;
}

/** Builds the HTTP application around already-opened stores. It does not listen. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const clock = options.clock ?? systemClock;
  const app = Fastify({
    logger: options.logLevel ? loggerOptions(options.logLevel) : false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Client ids may be 255 characters; Fastify's default limit for a path parameter is 100.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    frameworkErrors: (error, _request, reply) => {
      sendError(reply, toApiError(error) ?? new ApiError(400, 'validation_error', error.message));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.addSchema(ErrorEnvelope);
  installErrorHandling(app);
  installJsonBodyParser(app);
  app.addHook('preValidation', rejectUnstorableText);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  await registerOpenApi(app, VERSION);

  const clients = new ClientsService(options.store, clock);
  const agencies = new AgenciesService(options.store, clock, clients);

  await app.register(healthRoutes, { store: options.store });
  await app.register(
    async (api) => {
      api.addHook('onRequest', adminAuth(options.adminKeyHash));
      await api.register(clientRoutes, { clients });
      await api.register(agencyRoutes, { agencies });
      serveOpenApiDocument(api, app, '/openapi.json');
    },
    { prefix: API_PREFIX },
  );
  return app;
}
