import type { IncomingHttpHeaders } from 'node:http';

/**
 * The host a browser request comes from: the Origin header, else the Referer (some browsers omit
 * Origin on same-site and beacon requests). undefined when neither is sent (a server-side call);
 * null when the one sent has no host (`Origin: null` from sandboxed frames and file:// pages).
 */
export function requestingHost(headers: IncomingHttpHeaders): string | null | undefined {
  const origin = headers.origin;
  const source = origin !== undefined && origin !== '' ? origin : headers.referer;
  if (source === undefined || source === '') return undefined;
  try {
    // The URL parser lowercases the host and converts internationalised names to punycode,
    // the form in which client domains and hostnames are stored.
    const host = new URL(source).hostname;
    return host === '' ? null : host.replace(/\.$/, '');
  } catch {
    return null;
  }
}

/** Whether `host` is the client's domain or a subdomain of it. */
export function isDomainOrSubdomain(host: string, domain: string): boolean {
  return host === domain || (host.length > domain.length && host.endsWith(domain) && host[host.length - domain.length - 1] === '.');
}
