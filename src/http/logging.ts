import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * What a request line may say about the request. Never the URL as sent: a key can ride in it under
 * any spelling (`?admin_key=`, `?admin%5Fkey=`, `?%61dmin_key=`, `+` for a space, an unknown
 * parameter, the path of a 404, `/s/<pk>.js`), and no pattern recognises every encoding of every
 * key. The route's pattern (`/api/v1/clients/:id`) says which endpoint was asked, and the request
 * id ties the line to the answer; headers are not logged at all.
 */
function describeRequest(request: FastifyRequest): { method: string; route: string; remoteAddress: string } {
  return { method: request.method, route: request.routeOptions.url ?? '(no route)', remoteAddress: request.ip };
}

/**
 * Errors as type, message, stack and code, and nothing else: Node attaches the bytes of a request
 * it could not parse (headers, an Authorization among them) to the error as `rawPacket`, which
 * pino's own serializer would print with every other property at `trace`.
 */
function describeError(error: Error): { type: string; message: string; stack: string; code?: unknown } {
  const code = (error as NodeJS.ErrnoException).code;
  return { type: error.name, message: error.message, stack: error.stack ?? '', ...(code === undefined ? {} : { code }) };
}

/**
 * Logger options: request lines carry method, route pattern and remote address (see above);
 * anything that still reaches a log under a credential-like path is censored by pino.
 */
export function loggerOptions(level: string) {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-mythic-proxy-key"]', 'headers.authorization', '*.secret_key', '*.admin_key'],
      censor: '[REDACTED]',
    },
    serializers: { req: describeRequest, err: describeError },
  };
}

/**
 * Per-request lines at `debug`: at the default level a dashboard left open for 8 minutes wrote 781
 * of them. What an operator must see stays at `info` or above: a request answered 5xx (`warn`,
 * with its request id; a bug is also logged at `error` with its stack by the error handler), and
 * one that failed while its answer was being sent (`error`).
 */
export class RequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else if (reply.statusCode >= 500) reply.log.warn({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request failed');
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'route not found');
  }

  override streamError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') reply.log.debug({ res: reply }, 'stream closed prematurely');
    else super.streamError(error, request, reply);
  }
}
