import type { FastifyRequest } from 'fastify';
import { ApiError } from './apiError.js';

/**
 * A credential passed in the query string (`?admin_key=`, `?key=` on /e), read only under its
 * exact, documented name. Fastify decodes parameter names, so `?admin%5Fkey=` and `?%61dmin_key=`
 * would otherwise authenticate as well, under a spelling that no log redaction or proxy rule keyed
 * on the documented name recognises. A parameter whose raw name merely decodes to the credential's
 * name is refused (401), as is the credential given twice: the caller learns at once how to send
 * it, and no second spelling is ever a way in.
 */
export function queryCredential(request: FastifyRequest, name: string): string | undefined {
  const url = request.raw.url ?? request.url;
  const start = url.indexOf('?');
  if (start < 0) return undefined;
  let exact = 0;
  for (const part of url.slice(start + 1).split('&')) {
    const equals = part.indexOf('=');
    const rawName = equals < 0 ? part : part.slice(0, equals);
    if (rawName === name) exact += 1;
    else if (rawName.includes('%') && decodedName(rawName) === name) {
      throw new ApiError(401, 'unauthorized', `Send the credential as ?${name}= exactly: a percent-encoded parameter name is not accepted`);
    }
  }
  if (exact === 0) return undefined;
  if (exact > 1) throw new ApiError(401, 'unauthorized', `Send ?${name}= once`);
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** The name as Fastify's query parser reads it (`+` as a space, then percent-decoded). */
function decodedName(rawName: string): string | null {
  try {
    return decodeURIComponent(rawName.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
