import type { onSendHookHandler } from 'fastify';
import type { MetaChanges } from '../shared/metaChanges.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A POST that changes nothing stored (a report): it leaves caches of MetaStore rows alone. */
    readOnly?: boolean;
  }
}

/**
 * onSend hook of the admin scope: a write it answers successfully marks the MetaStore as changed,
 * before the answer leaves, so whoever acts on the answer (sends an event with a rotated key)
 * already meets the change rather than a cached key or client. Reports are POSTs too, and the
 * dashboard sends a dozen per page: they say so (`readOnly`) and keep the caches warm.
 */
export function trackMetaChanges(changes: MetaChanges): onSendHookHandler {
  return (request, reply, payload, done) => {
    const writes = request.method !== 'GET' && request.method !== 'HEAD' && request.routeOptions.config.readOnly !== true;
    if (writes && reply.statusCode < 400) changes.changed();
    done(null, payload);
  };
}
