import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { matchesDigest } from '../keys/secrets.js';
import { ApiError } from './apiError.js';
import { bearerToken } from './bearer.js';
import { queryCredential } from './queryCredential.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route also accepts a client's secret key (sk_), which the route itself must check. */
    acceptsClientSecret?: boolean;
  }
}

/** Requests let through with a client secret key instead of the admin key, and that key. */
const clientSecrets = new WeakMap<FastifyRequest, string>();

/** The sk_ a request was admitted with, or undefined when it carried the admin key. */
export function presentedClientSecret(request: FastifyRequest): string | undefined {
  return clientSecrets.get(request);
}

/** Throws (401) on `?admin_key=` under an encoded name, even beside a valid header. */
function presentedKey(request: FastifyRequest): string | undefined {
  const fromQuery = queryCredential(request, 'admin_key');
  const header = request.headers.authorization;
  if (header !== undefined) return bearerToken(header);
  return fromQuery;
}

/**
 * onRequest hook guarding the admin API: the key comes from `Authorization: Bearer` or, for
 * server-to-server calls that cannot set headers, `?admin_key=`. Only the key's SHA-256 is held
 * in memory, and the comparison takes the same time whatever the presented key. Routes marked
 * `acceptsClientSecret` also let an sk_ through, and check it against their client themselves.
 */
export function adminAuth(adminKeyHash: string) {
  const expected = Buffer.from(adminKeyHash, 'hex');
  // Callback style rather than async: it runs on every admin request, and needs no promise.
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    let key: string | undefined;
    try {
      key = presentedKey(request);
    } catch (error) {
      done(error as Error);
      return;
    }
    // The key is a credential, not a query parameter of the route: keep it out of validation.
    const query = request.query as Record<string, unknown> | undefined;
    if (query && 'admin_key' in query) delete query.admin_key;
    if (key !== undefined && key.startsWith('sk_') && request.routeOptions.config.acceptsClientSecret === true) {
      clientSecrets.set(request, key);
      done();
      return;
    }
    if (key === undefined || !matchesDigest(key, expected)) {
      done(
        new ApiError(401, 'unauthorized', 'Send the admin key as "Authorization: Bearer <key>" or ?admin_key=<key>', undefined, {
          'www-authenticate': 'Bearer realm="mythic"',
        }),
      );
      return;
    }
    done();
  };
}
