import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * CORS for the public endpoints pages call (ingestion, the publishable-key query door). Any origin
 * may send (the key, and for ingestion the origin check, decide what is accepted), and every answer, errors included, names the request's origin so the SDK can read
 * the status, and exposes Retry-After, which a browser hides from cross-origin scripts otherwise:
 * the SDK waits as long as a 429 or 503 asks. Credentials are never involved: the SDK
 * authenticates with its key, not cookies.
 */
export function allowRequestOrigin(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('access-control-expose-headers', 'Retry-After');
  const origin = request.headers.origin;
  if (origin === undefined) return;
  reply.header('access-control-allow-origin', origin);
  reply.header('vary', 'Origin');
}

/** Preflight: answered from the headers alone, with exactly what the endpoint's callers need (`allowHeaders`). */
export function answerPreflight(request: FastifyRequest, reply: FastifyReply, allowHeaders = 'Content-Type'): FastifyReply {
  allowRequestOrigin(request, reply);
  return reply
    .status(204)
    .header('access-control-allow-methods', 'POST')
    .header('access-control-allow-headers', allowHeaders)
    .header('access-control-max-age', '86400')
    .send();
}
