/** One offending field of a rejected request. `field` is a dotted path into the body or query. */
export interface FieldProblem {
  field: string;
  message: string;
}

export type ErrorCode =
  | 'invalid_json'
  | 'validation_error'
  | 'unknown_field'
  | 'no_fields'
  | 'unauthorized'
  | 'forbidden'
  | 'origin_not_allowed'
  | 'client_inactive'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'limit_reached'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal'
  | 'overloaded'
  | 'unavailable';

/**
 * The only way a handler or service fails on purpose. Anything else that is thrown is a bug and
 * becomes a 500 `internal`. Services throw it too: it carries no HTTP machinery, only a status.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldProblem[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string, id: string): ApiError =>
  new ApiError(404, 'not_found', `${what} '${id}' does not exist`);

export const conflict = (field: string, message: string): ApiError =>
  new ApiError(409, 'conflict', message, [{ field, message }]);

/** A rule broken that only a service can check (it needs stored data or a catalogue): the same 400 as schema failures. */
export const invalidFields = (details: FieldProblem[]): ApiError =>
  new ApiError(
    400,
    'validation_error',
    `Invalid field${details.length > 1 ? 's' : ''}: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`,
    details,
  );
