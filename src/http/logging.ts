import type { FastifyRequest } from 'fastify';

const SECRET_PARAMS = /([?&](?:admin_key|key)=)[^&#]*/gi;

/** A URL safe to log: credentials passed in the query string are replaced. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[REDACTED]');
}

/**
 * Logger options: request logs carry method, redacted URL and remote address only, never headers;
 * anything that still reaches a log under a credential-like path is censored by pino.
 */
export function loggerOptions(level: string) {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-mythic-proxy-key"]', 'headers.authorization', '*.secret_key', '*.admin_key'],
      censor: '[REDACTED]',
    },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactUrl(request.url),
        remoteAddress: request.ip,
      }),
    },
  };
}
