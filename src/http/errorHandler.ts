import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ErrorCode } from './apiError.js';
import { isUnknownFieldError, problemsFrom } from './validation.js';

// Fastify's own failures, mapped onto our codes so that clients see one envelope whatever failed.
const FASTIFY_CODES: Record<string, { status: number; code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The body is empty' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'The body is larger than the limit of 1 MiB' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Send the body as application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_json', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_INVALID_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Send the body as application/json' },
  FST_ERR_BAD_URL: { status: 400, code: 'validation_error', message: 'The URL is not validly percent-encoded' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'validation_error', message: 'A path segment of the URL is too long' },
};

export function fromValidation(errors: ErrorObject[], context: string | undefined): ApiError {
  const details = problemsFrom(errors);
  const where = context === 'querystring' ? 'query parameter' : 'field';
  if (errors.some(isUnknownFieldError)) {
    const names = problemsFrom(errors.filter(isUnknownFieldError)).map((d) => d.field);
    return new ApiError(400, 'unknown_field', `Unknown ${where}${names.length > 1 ? 's' : ''}: ${names.join(', ')}`, details);
  }
  const summary = details.map((d) => `${d.field} ${d.message}`).join('; ');
  return new ApiError(400, 'validation_error', `Invalid ${where}${details.length > 1 ? 's' : ''}: ${summary}`, details);
}

/** Turns anything thrown while handling a request into an ApiError; unknown errors are bugs. */
export function toApiError(error: FastifyError): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error.validation) return fromValidation(error.validation as ErrorObject[], error.validationContext);
  const known = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (known) return new ApiError(known.status, known.code, known.message);
  if (error instanceof SyntaxError) return new ApiError(400, 'invalid_json', 'The body is not valid JSON');
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return new ApiError(status, status === 404 ? 'not_found' : 'validation_error', error.message);
  return null;
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  if (error.headers) reply.headers(error.headers);
  return reply.status(error.status).send({
    success: false,
    data: null,
    error: error.message,
    code: error.code,
    ...(error.details ? { details: error.details } : {}),
  });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const apiError = toApiError(error);
    if (apiError) return sendError(reply, apiError);
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, new ApiError(500, 'internal', `Internal error (request ${request.id})`));
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new ApiError(404, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}
