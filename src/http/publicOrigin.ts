/**
 * The origin absolute links are built on (the loader's `script_url` in embed codes). The operator's
 * MYTHIC_PUBLIC_URL when set; otherwise the Host the request was sent to, but only a well-formed
 * one: the raw header once went into `script_url` verbatim, so a forged `Host: evil"><script>`
 * came back as markup (and so could a forged X-Forwarded-Proto behind a trusted proxy). A request without a usable Host is refused rather than answered with a
 * guessed address (such as the listen address), which would give an embed code that silently
 * fails on the customer's pages.
 */

import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './apiError.js';

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST = new RegExp(`^(?:(?<name>${LABEL}(?:\\.${LABEL})*)|\\[(?<ipv6>[0-9a-f:.]+)\\])(?::(?<port>[0-9]{1,5}))?$`, 'i');

/** Whether `host` is `name[:port]`, `IPv4[:port]` or `[IPv6][:port]`, as a Host header should be. */
export function isValidHostHeader(host: string): boolean {
  if (host.length > 260) return false;
  const match = HOST.exec(host);
  if (match?.groups === undefined) return false;
  const { name, ipv6, port } = match.groups;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) return false;
  if (ipv6 !== undefined) return isIP(ipv6) === 6;
  return name !== undefined && name.length <= 253;
}

export function publicOrigin(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl !== undefined) return publicUrl;
  const host = request.host;
  if (!isValidHostHeader(host)) {
    throw new ApiError(
      400,
      'validation_error',
      'The request’s Host header is not a valid host, so no address for the embed code can be built from it; set MYTHIC_PUBLIC_URL to the address browsers reach this server at',
      [{ field: 'Host', message: 'must be a host name or IP address with an optional port' }],
    );
  }
  // Behind a trusted proxy the scheme is X-Forwarded-Proto's, which Fastify passes on unchecked.
  const scheme = request.protocol.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    throw new ApiError(400, 'validation_error', 'The request’s scheme (X-Forwarded-Proto) is neither http nor https, so no address for the embed code can be built from it; set MYTHIC_PUBLIC_URL to the address browsers reach this server at', [
      { field: 'X-Forwarded-Proto', message: 'must be http or https' },
    ]);
  }
  return `${scheme}://${host.toLowerCase()}`;
}
