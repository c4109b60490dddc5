import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ClientParams } from '../clients/schemas.js';
import { adminErrors, DataEnvelope, ok, withConflict } from '../http/envelope.js';
import { LoaderEmbed, TagTemplateView } from './adminSchemas.js';
import type { LoaderAdminService } from './adminService.js';

/** Where the caller reached this server: the loader is served from the same place. */
const originOf = (request: FastifyRequest): string => `${request.protocol}://${request.host || 'localhost'}`;

export const loaderAdminRoutes: FastifyPluginAsyncTypebox<{ loader: LoaderAdminService }> = async (app, { loader }) => {
  app.get(
    '/tag-templates',
    {
      schema: {
        tags: ['Tags'],
        summary: 'The catalogue of tag templates and their parameters',
        response: { 200: DataEnvelope(Type.Array(TagTemplateView)), ...adminErrors },
      },
    },
    async () => ok(loader.tagTemplates()),
  );

  app.get(
    '/clients/:id/loader',
    {
      schema: {
        tags: ['Loader'],
        summary: 'The embed code of the client’s loader script, for the host this request was sent to, and whether its domain has sent an event yet',
        params: ClientParams,
        response: { 200: DataEnvelope(LoaderEmbed), ...withConflict },
      },
    },
    async (request) => ok(await loader.embed(request.params.id, originOf(request))),
  );
};
