/**
 * GET /clients/{id}/links/{linkId}/analytics: one link's clicks for its client. Takes the admin key
 * or the client's own sk_ (route config acceptsClientSecret, as funnels and queries do); the
 * service decides what that caller may read.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponse, ok, withNotFound } from '../http/envelope.js';
import { callerOf } from '../http/readCaller.js';
import type { LinkAnalyticsService } from './analytics.js';
import { LinkAnalyticsEnvelope, LinkAnalyticsParams, LinkAnalyticsQuery } from './analyticsSchemas.js';

const forbidden = { 403: errorResponse('forbidden: the sk_ of another client; client_inactive: the sk_ of a deactivated client') } as const;

export const linkAnalyticsRoutes: FastifyPluginAsyncTypebox<{ analytics: LinkAnalyticsService }> = async (app, { analytics }) => {
  app.get(
    '/clients/:id/links/:linkId/analytics',
    {
      config: { acceptsClientSecret: true },
      schema: {
        tags: ['Links'],
        summary: 'A link’s clicks: totals, unique visitors, bots apart, referrers, countries and clicks per day in the client’s time zone (admin key, or the client’s own sk_)',
        params: LinkAnalyticsParams,
        querystring: LinkAnalyticsQuery,
        response: { 200: LinkAnalyticsEnvelope, ...withNotFound, ...forbidden },
      },
    },
    async (request) => ok(await analytics.analytics(callerOf(request), request.params.id, request.params.linkId, request.query.period)),
  );
};
