import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { findUnstorableText } from '../validation/storableText.js';
import { ApiError } from './apiError.js';

/**
 * preValidation hook: refuses text that one of the stores could not hold (NUL, broken UTF-16)
 * anywhere in the path, query or body, so that such input is a 400 on every engine, never a 500.
 * Callback style rather than async: it runs on every request, and needs no promise.
 */
export function rejectUnstorableText(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  for (const part of [request.params, request.query, request.body]) {
    const found = findUnstorableText(part);
    if (found !== null) {
      // A path through deeply nested input can be enormous; the start of it locates the problem.
      const field = found.length > 200 ? `${found.slice(0, 200)}…` : found;
      done(
        new ApiError(400, 'validation_error', `${field} contains a NUL character or malformed Unicode`, [
          { field, message: 'must not contain NUL characters or unpaired surrogates' },
        ]),
      );
      return;
    }
  }
  done();
}
