/**
 * /mcp/api-keys: the MCP gateway's keys (admin key only; a client's sk_ gets 403). Thin: parse,
 * call the service, envelope.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { adminErrors, DataEnvelope, errorResponse, ListEnvelope, listOf, ok, withNotFound } from '../http/envelope.js';
import { refuseClientSecret } from '../http/refuseClientSecret.js';
import type { KeysService } from '../keys/service.js';
import { CreateMcpKeyBody, ListMcpKeysQuery, McpKey, McpKeyParams, McpKeyWithSecret } from './schemas.js';
import type { McpKeysService } from './service.js';

const tags = ['MCP'];
const forbidden = { 403: errorResponse('forbidden: a client’s secret key (these routes take the admin key)') } as const;

export const mcpKeyRoutes: FastifyPluginAsyncTypebox<{ mcpKeys: McpKeysService; keys: KeysService }> = async (app, { mcpKeys, keys }) => {
  // An sk_ is let through the admin hook only to be told 403 rather than 401.
  const config = { acceptsClientSecret: true };
  app.addHook('onRequest', refuseClientSecret(keys, 'MCP keys'));

  app.post(
    '/mcp/api-keys',
    {
      config,
      schema: {
        tags,
        summary: 'Create an MCP gateway key (mak_…); the answer holds the key, shown this once',
        body: CreateMcpKeyBody,
        response: { 201: DataEnvelope(McpKeyWithSecret, 'Created'), ...adminErrors, ...forbidden },
      },
    },
    async (request, reply) => {
      const key = await mcpKeys.create(request.body);
      reply.header('location', `${app.prefix}/mcp/api-keys/${key.id}`);
      return reply.status(201).send(ok(key));
    },
  );

  app.get(
    '/mcp/api-keys',
    {
      config,
      schema: { tags, summary: 'MCP keys, newest first, masked (revoked and expired ones included)', querystring: ListMcpKeysQuery, response: { 200: ListEnvelope(McpKey), ...adminErrors, ...forbidden } },
    },
    async (request) => {
      const page = await mcpKeys.list(request.query);
      return listOf(page.items, page.total, page.next_cursor);
    },
  );

  app.get(
    '/mcp/api-keys/:id',
    { config, schema: { tags, summary: 'One MCP key, masked', params: McpKeyParams, response: { 200: DataEnvelope(McpKey), ...withNotFound, ...forbidden } } },
    async (request) => ok(await mcpKeys.get(request.params.id)),
  );

  app.delete(
    '/mcp/api-keys/:id',
    {
      config,
      schema: { tags, summary: 'Revoke an MCP key at once (it stays listed, as revoked)', params: McpKeyParams, response: { 200: DataEnvelope(McpKey), ...withNotFound, ...forbidden } },
    },
    async (request) => ok(await mcpKeys.revoke(request.params.id)),
  );
};
