import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/** Registers the OpenAPI 3.1 generator; routes registered after this appear in the document. */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    // Shared schemas appear under their own $id in components, not as def-0, def-1, ...
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Mythic Analytics API',
        version,
        description: 'Self-hostable, multi-tenant analytics: clients, agencies and their keys.',
      },
      components: {
        securitySchemes: {
          adminBearer: { type: 'http', scheme: 'bearer', description: 'The admin key.' },
          adminQuery: { type: 'apiKey', in: 'query', name: 'admin_key', description: 'The admin key, for callers that cannot set headers.' },
        },
      },
      security: [{ adminBearer: [] }, { adminQuery: [] }],
      tags: [
        { name: 'Clients', description: 'Client tenants and their keys' },
        { name: 'Agencies', description: 'Resellers grouping clients' },
        { name: 'System', description: 'Health and the API description' },
      ],
    },
  });
}

/** Serves the generated document; public, since it describes the API and holds no data. */
export function serveOpenApiDocument(app: FastifyInstance, path: string): void {
  app.get(path, { schema: { hide: true } }, async () => app.swagger());
}
