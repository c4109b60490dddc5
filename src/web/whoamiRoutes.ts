import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { presentedClientSecret } from '../http/adminAuth.js';
import { adminErrors, DataEnvelope, errorResponse, ok } from '../http/envelope.js';
import { Whoami } from './whoamiSchemas.js';
import type { WhoamiService } from './whoamiService.js';

export const whoamiRoutes: FastifyPluginAsyncTypebox<{ whoami: WhoamiService }> = async (app, { whoami }) => {
  app.get(
    '/whoami',
    {
      config: { acceptsClientSecret: true },
      schema: {
        tags: ['Dashboard'],
        summary: 'What the presented key is: the admin key, or the secret key (sk_) of one client',
        response: { 200: DataEnvelope(Whoami), ...adminErrors, 403: errorResponse('client_inactive: the sk_ of a deactivated client') },
      },
    },
    async (request) => ok(await whoami.describe(presentedClientSecret(request))),
  );
};
