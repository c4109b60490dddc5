/**
 * /clients/{id}/funnels: a client's saved funnels. Each route also takes the client's own sk_
 * (route config acceptsClientSecret), which the service checks against the client in the path.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ClientParams } from '../clients/schemas.js';
import { errorResponse, ok, SetEnvelope, setOf, DataEnvelope, withConflict, withNotFound } from '../http/envelope.js';
import { callerOf } from '../http/readCaller.js';
import { CreateFunnelBody, FunnelDeleteResult, FunnelParams, SavedFunnel, UpdateFunnelBody } from './schemas.js';
import type { FunnelsService } from './service.js';

const tags = ['Funnels'];
const forbidden = { 403: errorResponse('forbidden: the sk_ of another client; client_inactive: the sk_ of a deactivated client') } as const;
const writeErrors = { ...withConflict, ...forbidden, 409: errorResponse('conflict: the name is taken (case-insensitively); limit_reached: the client has 100 funnels') } as const;

export const funnelRoutes: FastifyPluginAsyncTypebox<{ funnels: FunnelsService }> = async (app, { funnels }) => {
  const config = { acceptsClientSecret: true };

  app.get(
    '/clients/:id/funnels',
    {
      config,
      schema: {
        tags,
        summary: 'The client’s saved funnels, by name (admin key, or the client’s own sk_)',
        params: ClientParams,
        response: { 200: SetEnvelope(SavedFunnel), ...withNotFound, ...forbidden },
      },
    },
    async (request) => setOf(await funnels.list(callerOf(request), request.params.id)),
  );

  app.post(
    '/clients/:id/funnels',
    {
      config,
      schema: {
        tags,
        summary: 'Save a funnel for the client (at most 100; names unique per client, case-insensitively)',
        params: ClientParams,
        body: CreateFunnelBody,
        response: { 201: DataEnvelope(SavedFunnel, 'Saved'), ...writeErrors },
      },
    },
    async (request, reply) => {
      const funnel = await funnels.create(callerOf(request), request.params.id, request.body);
      reply.header('location', `${app.prefix}/clients/${encodeURIComponent(funnel.client_id)}/funnels/${funnel.id}`);
      return reply.status(201).send(ok(funnel));
    },
  );

  app.get(
    '/clients/:id/funnels/:funnelId',
    {
      config,
      schema: { tags, summary: 'One saved funnel', params: FunnelParams, response: { 200: DataEnvelope(SavedFunnel), ...withNotFound, ...forbidden } },
    },
    async (request) => ok(await funnels.get(callerOf(request), request.params.id, request.params.funnelId)),
  );

  app.patch(
    '/clients/:id/funnels/:funnelId',
    {
      config,
      schema: {
        tags,
        summary: 'Change a saved funnel’s name, steps or window',
        params: FunnelParams,
        body: UpdateFunnelBody,
        response: { 200: DataEnvelope(SavedFunnel), ...writeErrors },
      },
    },
    async (request) => ok(await funnels.update(callerOf(request), request.params.id, request.params.funnelId, request.body)),
  );

  app.delete(
    '/clients/:id/funnels/:funnelId',
    {
      config,
      schema: { tags, summary: 'Delete a saved funnel', params: FunnelParams, response: { 200: FunnelDeleteResult, ...withNotFound, ...forbidden } },
    },
    async (request) => {
      await funnels.remove(callerOf(request), request.params.id, request.params.funnelId);
      return { success: true as const, deleted: request.params.funnelId };
    },
  );
};
