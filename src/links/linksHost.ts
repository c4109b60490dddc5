/**
 * The dedicated short-link host (MYTHIC_LINKS_HOST, e.g. `go.example.com`): there a link is
 * `https://go.example.com/<slug>`, one segment shorter than `/l/<slug>` on the main address. A
 * request whose Host names it is routed to the redirect only, by rewriting its URL before routing
 * (Fastify's `rewriteUrl`): `/<slug>` becomes `/l/<slug>`, `/` the links index page, and `/healthz`
 * stays as it is for the load balancer. Every other path becomes a path no route answers, so the
 * dashboard and the API never answer on the links host: a page there cannot read or script them,
 * and the host cannot be used to reach the API past a proxy rule written for the main host.
 *
 * A rewrite rather than host constraints on every route: constraints would have to be added to
 * each route the links host must not answer (all of them but three), and one forgotten route
 * would be served there. The Host header is the request's own (a proxy must pass it on, as for
 * any virtual host); a spoofed Host only ever reaches the redirect, which the main address serves
 * anyway under `/l/`.
 */
import type { IncomingMessage } from 'node:http';
import { isBareOrigin } from '../shared/origin.js';

/** The links host as configured: the origin short URLs are built on, and the host name requests are matched by. */
export interface LinksHost {
  /** `https://go.example.com` for a bare host name; a full origin (`http://go.localhost:8080`) as given. */
  origin: string;
  /** Lowercase, without port: what a request's Host must name (any port: the server listens on one). */
  hostname: string;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*(?::[0-9]{1,5})?$`, 'i');

/**
 * Reads MYTHIC_LINKS_HOST: a host name (`go.example.com`, https assumed) or an http(s) origin.
 * Returns null for anything else (a path, credentials, a query), for the caller to report.
 */
export function parseLinksHost(raw: string): LinksHost | null {
  const value = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : HOST_NAME.test(value) ? `https://${value}` : null;
  if (withScheme === null) return null;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  // A path of one slash only: `https://go.example.com/x` is not an origin, even where URL would accept it.
  const isOrigin = isBareOrigin(url, value) && !/^[a-z]+:\/\/[^/]*\/./i.test(value);
  if (!isOrigin) return null;
  return { origin: url.origin, hostname: url.hostname.toLowerCase() };
}

/**
 * The host name of a Host header: lowercase, without port (IPv6 brackets kept), without the
 * trailing dot of a fully qualified name: `GO.example.com.:443` names the same host as
 * `go.example.com` (DNS resolves both alike), and must not reach the dashboard under its name.
 */
export function hostnameOf(host: string | undefined): string | null {
  if (host === undefined || host === '') return null;
  const lower = host.toLowerCase();
  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    return end === -1 ? null : lower.slice(0, end + 1);
  }
  const colon = lower.indexOf(':');
  const name = colon === -1 ? lower : lower.slice(0, colon);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** The path prefix of the redirect on the main address. */
export const REDIRECT_PREFIX = '/l';
/** Not a slug (none starts with `-`): the redirect's 404 page, what the links host makes of anything that is not a link. */
const NOWHERE = '/l/-';

/**
 * Paths the links host passes on as they are (for the load balancer). Their first segment is a
 * reserved slug (slugs.ts), or a link named so could never be reached there.
 */
export const LINKS_HOST_PASSTHROUGH: readonly string[] = ['/healthz'];

const arrivedOnLinksHost = new WeakSet<IncomingMessage>();

/** Whether the request came in through the links host (its URL was rewritten). */
export const onLinksHost = (request: IncomingMessage): boolean => arrivedOnLinksHost.has(request);

/**
 * The URL a request is routed by. On the links host: `/` → `/l`, `/<segment>` → `/l/<segment>`
 * (query kept), `/healthz` unchanged, anything else → a path nothing answers. Elsewhere unchanged.
 */
export function linksHostRewrite(linksHost: LinksHost | undefined): (request: IncomingMessage) => string {
  return (request) => {
    const url = request.url ?? '/';
    if (linksHost === undefined || hostnameOf(request.headers.host) !== linksHost.hostname) return url;
    arrivedOnLinksHost.add(request);
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const query = queryAt === -1 ? '' : url.slice(queryAt);
    if (LINKS_HOST_PASSTHROUGH.includes(path)) return url;
    if (path === '/' || path === '') return `${REDIRECT_PREFIX}${query}`;
    // One segment, starting with a character a slug may start with: `//evil.com`, `/a/b` and
    // `/%2F…` never reach anything but the not-found answer.
    if (/^\/[A-Za-z0-9][^/]*\/?$/.test(path)) return `${REDIRECT_PREFIX}${path}${query}`;
    return NOWHERE;
  };
}
