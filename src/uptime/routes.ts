/**
 * /links/{id}/uptime/start|stop|status: the admin key, or the link's client's own sk_ (route
 * config acceptsClientSecret; the service checks the link belongs to that client).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DataEnvelope, errorResponse, ok, withNotFound } from '../http/envelope.js';
import { callerOf } from '../http/readCaller.js';
import { StartUptimeBody, UptimeParams, UptimeStatus, UptimeStatusQuery } from './schemas.js';
import type { UptimeService } from './service.js';

const tags = ['Links'];
const errors = { ...withNotFound, 403: errorResponse('client_inactive: the sk_ of a deactivated client') } as const;

export const uptimeRoutes: FastifyPluginAsyncTypebox<{ uptime: UptimeService }> = async (app, { uptime }) => {
  const config = { acceptsClientSecret: true };

  app.post(
    '/links/:id/uptime/start',
    {
      config,
      // Every setting has a default, so a start with no body at all (curl -X POST) is a start with the defaults.
      preValidation: (request, _reply, done) => {
        request.body ??= {};
        done();
      },
      schema: {
        tags,
        summary: 'Start monitoring the link’s destination, or change the running monitor’s interval and timeout',
        description: 'The first check runs within seconds. Checks go through the outbound guard: a destination on a private network fails with its reason.',
        params: UptimeParams,
        body: StartUptimeBody,
        response: { 200: DataEnvelope(UptimeStatus), ...errors },
      },
    },
    async (request) => ok(await uptime.start(callerOf(request), request.params.id, request.body)),
  );

  app.post(
    '/links/:id/uptime/stop',
    {
      config,
      schema: {
        tags,
        summary: 'Stop monitoring the link (its last status and history are kept)',
        params: UptimeParams,
        response: { 200: DataEnvelope(UptimeStatus), ...errors },
      },
    },
    async (request) => ok(await uptime.stop(callerOf(request), request.params.id)),
  );

  app.get(
    '/links/:id/uptime/status',
    {
      config,
      schema: {
        tags,
        summary: 'The link’s uptime: status, last check, settings and recent checks',
        params: UptimeParams,
        querystring: UptimeStatusQuery,
        response: { 200: DataEnvelope(UptimeStatus), ...errors },
      },
    },
    async (request) => ok(await uptime.status(callerOf(request), request.params.id, request.query.limit)),
  );
};
