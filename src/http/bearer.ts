const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The token of an `Authorization: Bearer <token>` header; undefined when the header is absent or
 * is not a bearer. One parser for every credential (admin key, client keys), so a header one part
 * of the API reads as a key is never read differently by another.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}
