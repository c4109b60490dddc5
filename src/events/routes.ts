import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponse, ListEnvelope, listOf, withNotFound } from '../http/envelope.js';
import { presentedClientSecret } from '../http/adminAuth.js';
import type { EventsService } from './service.js';
import { RecentEvent, RecentEventsParams, RecentEventsQuery } from './schemas.js';

export const eventRoutes: FastifyPluginAsyncTypebox<{ events: EventsService }> = async (app, { events }) => {
  app.get(
    '/clients/:id/events',
    {
      config: { acceptsClientSecret: true },
      schema: {
        tags: ['Events'],
        summary: 'The client’s most recent raw events, newest first (admin key, or the client’s own sk_)',
        params: RecentEventsParams,
        querystring: RecentEventsQuery,
        response: { 200: ListEnvelope(RecentEvent), ...withNotFound, 403: errorResponse('forbidden: an sk_ of another client; client_inactive: the sk_ of a deactivated client') },
      },
    },
    async (request) => {
      const rows = await events.recent(request.params.id, request.query, presentedClientSecret(request));
      return listOf(rows, rows.length, null);
    },
  );
};
