import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '../http/apiError.js';
import { DataEnvelope, errorResponse, ok } from '../http/envelope.js';
import type { MetaStore } from '../store/metaStore.js';

const Health = Type.Object({
  status: Type.Literal('ok'),
  uptime_seconds: Type.Number(),
  meta_store: Type.Object({ engine: Type.String(), ready: Type.Boolean() }),
});

/** Liveness and readiness: 200 when the process answers and its store does; 503 otherwise. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ store: MetaStore }> = async (app, { store }) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['System'],
        summary: 'Liveness and store readiness',
        security: [],
        response: { 200: DataEnvelope(Health, 'Alive, and the store answers'), 503: errorResponse('The store does not answer') },
      },
    },
    async () => {
      try {
        await store.ping();
      } catch {
        throw new ApiError(503, 'unavailable', `The ${store.engine} meta store is not answering`);
      }
      return ok({ status: 'ok' as const, uptime_seconds: Math.round(process.uptime()), meta_store: { engine: store.engine, ready: true } });
    },
  );
};
