import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Client } from '../clients/schemas.js';
import { adminErrors, DataEnvelope, ListEnvelope, listOf, ok, withConflict, withNotFound } from '../http/envelope.js';
import {
  Agency,
  AgencyDeleteResult,
  AgencyParams,
  CreateAgencyBody,
  DeleteAgencyQuery,
  ListAgenciesQuery,
  ListAgencyClientsQuery,
  UpdateAgencyBody,
} from './schemas.js';
import type { AgenciesService } from './service.js';

const tags = ['Agencies'];

export const agencyRoutes: FastifyPluginAsyncTypebox<{ agencies: AgenciesService }> = async (app, { agencies }) => {
  app.post(
    '/agencies',
    { schema: { tags, summary: 'Create an agency', body: CreateAgencyBody, response: { 201: DataEnvelope(Agency, 'Created'), ...withConflict } } },
    async (request, reply) => {
      const agency = await agencies.create(request.body);
      reply.header('location', `${app.prefix}/agencies/${agency.id}`);
      return reply.status(201).send(ok(agency));
    },
  );

  app.get(
    '/agencies',
    { schema: { tags, summary: 'List agencies, newest first', querystring: ListAgenciesQuery, response: { 200: ListEnvelope(Agency), ...adminErrors } } },
    async (request) => {
      const { q, ...paging } = request.query;
      const page = await agencies.list(q, paging);
      return listOf(page.items, page.total, page.next_cursor);
    },
  );

  app.get(
    '/agencies/:id',
    { schema: { tags, summary: 'Get an agency', params: AgencyParams, response: { 200: DataEnvelope(Agency), ...withNotFound } } },
    async (request) => ok(await agencies.get(request.params.id)),
  );

  app.patch(
    '/agencies/:id',
    {
      schema: { tags, summary: 'Change an agency', params: AgencyParams, body: UpdateAgencyBody, response: { 200: DataEnvelope(Agency), ...withConflict } },
    },
    async (request) => ok(await agencies.update(request.params.id, request.body)),
  );

  app.delete(
    '/agencies/:id',
    {
      schema: {
        tags,
        summary: 'Delete an agency; refused while it has clients unless ?force=true',
        params: AgencyParams,
        querystring: DeleteAgencyQuery,
        response: { 200: AgencyDeleteResult, ...withConflict },
      },
    },
    async (request) => {
      const detached = await agencies.remove(request.params.id, request.query.force);
      return { success: true as const, deleted: true as const, detached_clients: detached };
    },
  );

  app.get(
    '/agencies/:id/clients',
    {
      schema: {
        tags,
        summary: 'The agency’s clients, newest first',
        params: AgencyParams,
        querystring: ListAgencyClientsQuery,
        response: { 200: ListEnvelope(Client), ...withNotFound },
      },
    },
    async (request) => {
      const { limit, offset, cursor, ...filter } = request.query;
      const page = await agencies.listClients(request.params.id, filter, { limit, offset, cursor });
      return listOf(page.items, page.total, page.next_cursor);
    },
  );
};
