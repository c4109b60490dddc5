import type { FastifyRequest } from 'fastify';
import type { KeysService } from '../keys/service.js';
import { presentedClientSecret } from './adminAuth.js';
import { ApiError } from './apiError.js';

/**
 * onRequest hook of admin-only routes that tell a client's secret key apart from a wrong key: the
 * route is marked `acceptsClientSecret` so that an sk_ reaches it, and here a valid sk_ gets 403
 * (the key is fine, the resource is the operator's) while anything else gets the usual 401. It
 * runs on the request, before the body is parsed or validated, so an sk_ gets the same answer
 * whatever it sent (every route using it registers it as `onRequest`, after the admin hook).
 */
export function refuseClientSecret(keys: KeysService, what: string) {
  return async (request: FastifyRequest): Promise<void> => {
    const secret = presentedClientSecret(request);
    if (secret === undefined) return;
    const identity = await keys.authenticate(secret);
    if (identity === null || identity.kind !== 'secret') {
      throw new ApiError(401, 'unauthorized', 'Send the admin key as "Authorization: Bearer <key>" or ?admin_key=<key>', undefined, {
        'www-authenticate': 'Bearer realm="mythic"',
      });
    }
    throw new ApiError(403, 'forbidden', `${what} take the admin key; a client’s secret key cannot manage them`);
  };
}
