/**
 * The password form's body (`application/x-www-form-urlencoded`), for the redirect's POST only:
 * read as bytes under a small limit (a password and a token fit in far less than 8 KiB), then
 * parsed by URLSearchParams. `@fastify/formbody` would do the same for one route at the cost of a
 * dependency.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../http/apiError.js';

export const MAX_FORM_BYTES = 8 * 1024;

/** The fields of a form body; a repeated field keeps its first value. */
export type FormFields = Record<string, string>;

export function parseFormBody(body: Buffer): FormFields {
  // No prototype: a field named __proto__ or constructor is a field like any other.
  const fields: FormFields = Object.create(null) as FormFields;
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    if (!Object.hasOwn(fields, name)) fields[name] = value;
  }
  return fields;
}

/** Installs the form parser in `app`'s context (the redirect's), and refuses other body types there. */
export function installFormParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit: MAX_FORM_BYTES }, (_request, body, done) => {
    done(null, parseFormBody(body as Buffer));
  });
  app.addContentTypeParser('*', (_request, _payload, done) => {
    done(new ApiError(415, 'unsupported_media_type', 'Send the password form as application/x-www-form-urlencoded'), undefined);
  });
}
