import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ClientParams } from '../clients/schemas.js';
import { adminErrors, DataEnvelope, ok, withConflict } from '../http/envelope.js';
import { publicOrigin } from '../http/publicOrigin.js';
import { LoaderEmbed, TagTemplateView } from './adminSchemas.js';
import type { LoaderAdminService } from './adminService.js';

/** `publicUrl`: MYTHIC_PUBLIC_URL; unset, the embed code names the host the request was sent to. */
export const loaderAdminRoutes: FastifyPluginAsyncTypebox<{ loader: LoaderAdminService; publicUrl?: string | undefined }> = async (
  app,
  { loader, publicUrl },
) => {
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
        summary: 'The embed code of the client’s loader script (on MYTHIC_PUBLIC_URL, else the host this request was sent to), and whether its domain has sent an event yet',
        params: ClientParams,
        response: { 200: DataEnvelope(LoaderEmbed), ...withConflict },
      },
    },
    async (request) => ok(await loader.embed(request.params.id, publicOrigin(request, publicUrl))),
  );
};
