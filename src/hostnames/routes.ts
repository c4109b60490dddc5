import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ClientParams } from '../clients/schemas.js';
import { DataEnvelope, ok, withConflict, withNotFound } from '../http/envelope.js';
import { AddHostnameBody, Hostname, HostnameDeleteResult, HostnameParams } from './schemas.js';
import type { HostnamesService } from './service.js';

const tags = ['Hostnames'];

export const hostnameRoutes: FastifyPluginAsyncTypebox<{ hostnames: HostnamesService }> = async (app, { hostnames }) => {
  app.post(
    '/clients/:id/hostnames',
    {
      schema: {
        tags,
        summary: 'Attach an extra hostname to the client; browser events are accepted from it',
        params: ClientParams,
        body: AddHostnameBody,
        response: {
          201: DataEnvelope(Hostname, 'Attached'),
          200: DataEnvelope(Hostname, 'The client already had this hostname; nothing changed'),
          ...withConflict,
        },
      },
    },
    async (request, reply) => {
      const { created, hostname } = await hostnames.add(request.params.id, request.body.hostname);
      if (!created) return ok(hostname);
      reply.header('location', `${app.prefix}/clients/${encodeURIComponent(request.params.id)}/hostnames/${encodeURIComponent(hostname.hostname)}`);
      return reply.status(201).send(ok(hostname));
    },
  );

  app.get(
    '/clients/:id/hostnames',
    {
      schema: {
        tags,
        summary: 'The client’s extra hostnames, oldest first',
        params: ClientParams,
        response: { 200: DataEnvelope(Type.Array(Hostname)), ...withNotFound },
      },
    },
    async (request) => ok(await hostnames.list(request.params.id)),
  );

  app.delete(
    '/clients/:id/hostnames/:hostname',
    {
      schema: {
        tags,
        summary: 'Detach an extra hostname from the client',
        params: HostnameParams,
        response: { 200: HostnameDeleteResult, ...withNotFound },
      },
    },
    async (request) => {
      await hostnames.remove(request.params.id, request.params.hostname);
      return { success: true as const, deleted: true as const };
    },
  );
};
