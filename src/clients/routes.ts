import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { adminErrors, DataEnvelope, ListEnvelope, listOf, ok, withConflict, withNotFound } from '../http/envelope.js';
import type { ClientsService } from './service.js';
import {
  ApiKey,
  Client,
  ClientParams,
  CreateClientBody,
  DeleteClientQuery,
  DeleteResult,
  ListClientsQuery,
  RotatedKeys,
  RotateKeysBody,
  UpdateClientBody,
} from './schemas.js';

const tags = ['Clients'];

export const clientRoutes: FastifyPluginAsyncTypebox<{ clients: ClientsService }> = async (app, { clients }) => {
  app.post(
    '/clients',
    {
      schema: {
        tags,
        summary: 'Create a client; both keys are generated and returned in full, once',
        body: CreateClientBody,
        response: { 201: DataEnvelope(Client, 'Created; the only answer with the secret key in full'), ...withConflict },
      },
    },
    async (request, reply) => {
      const client = await clients.create(request.body);
      reply.header('location', `${app.prefix}/clients/${encodeURIComponent(client.id)}`);
      return reply.status(201).send(ok(client));
    },
  );

  app.get(
    '/clients',
    {
      schema: {
        tags,
        summary: 'List clients, newest first',
        querystring: ListClientsQuery,
        response: { 200: ListEnvelope(Client), ...adminErrors },
      },
    },
    async (request) => {
      const { limit, offset, cursor, ...filter } = request.query;
      const page = await clients.list(filter, { limit, offset, cursor });
      return listOf(page.items, page.total, page.next_cursor);
    },
  );

  app.get(
    '/clients/:id',
    { schema: { tags, summary: 'Get a client', params: ClientParams, response: { 200: DataEnvelope(Client), ...withNotFound } } },
    async (request) => ok(await clients.get(request.params.id)),
  );

  app.patch(
    '/clients/:id',
    {
      schema: {
        tags,
        summary: 'Change any subset of a client’s fields; null clears an optional field',
        params: ClientParams,
        body: UpdateClientBody,
        response: { 200: DataEnvelope(Client), ...withConflict },
      },
    },
    async (request) => ok(await clients.update(request.params.id, request.body)),
  );

  app.delete(
    '/clients/:id',
    {
      schema: {
        tags,
        summary: 'Deactivate a client (soft), or remove it and all its data with ?hard=true',
        params: ClientParams,
        querystring: DeleteClientQuery,
        response: { 200: DeleteResult, ...withNotFound },
      },
    },
    async (request) => {
      await clients.remove(request.params.id, request.query.hard);
      return { success: true as const, deleted: request.params.id, hard: request.query.hard };
    },
  );

  app.post(
    '/clients/:id/keys/rotate',
    {
      schema: {
        tags,
        summary: 'Issue new keys; the old ones keep working for grace_seconds',
        params: ClientParams,
        body: RotateKeysBody,
        response: { 200: DataEnvelope(RotatedKeys), ...withNotFound },
      },
      // Every field has a default, so an empty POST is a valid "rotate both with the default grace".
      // (A JSON `null` body stays null and is refused: only an absent body means the defaults.)
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
    },
    async (request) => ok(await clients.rotateKeys(request.params.id, request.body)),
  );

  app.get(
    '/clients/:id/keys',
    {
      schema: {
        tags,
        summary: 'The client’s working keys, including rotated-out keys still in their grace period',
        params: ClientParams,
        response: { 200: DataEnvelope(Type.Array(ApiKey)), ...withNotFound },
      },
    },
    async (request) => ok(await clients.listKeys(request.params.id)),
  );
};
