import type { FastifyRequest } from 'fastify';
import type { QueryCaller } from '../keys/readAccess.js';
import { presentedClientSecret } from './adminAuth.js';

/**
 * Who asks, for the routes that answer the admin key (any client) or a client's own sk_ as Bearer
 * (route config `acceptsClientSecret`): queries and saved funnels. The service decides what that
 * caller may read.
 */
export const callerOf = (request: FastifyRequest): QueryCaller => {
  const key = presentedClientSecret(request);
  return key === undefined ? { door: 'admin' } : { door: 'secret', key };
};
