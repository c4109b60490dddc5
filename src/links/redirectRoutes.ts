/**
 * The public redirect: `GET /l/<slug>` on the main address, and `/<slug>` on the links host
 * (rewritten to the same routes, see linksHost.ts). Outside the admin scope: no key.
 *
 * - A link answers `302` to its stored destination with `Cache-Control: private, no-store`, so a
 *   browser or proxy never replays a redirect without it being counted. No Referrer-Policy is set
 *   on it: the browser's own policy (and the page the link was on) decides what the destination
 *   learns, which is the page the link was clicked on, as with any link, never more (a shortener
 *   setting `unsafe-url` would leak full URLs of pages that chose not to), and the short URL
 *   itself is not the referrer of the destination. The click is written without waiting.
 * - Unknown slug `404`, expired `410`: small HTML pages, or the error envelope to a caller that
 *   asks for JSON. HEAD answers as GET does, without a body and without a click.
 * - A password link answers a form (200); its POST checks a CSRF token and refuses a cross-site
 *   Origin / Sec-Fetch-Site (403), then the password: right → `302` and a click; wrong → the form
 *   again (401); too many tries from one address for one link, or from all for one link → `429`;
 *   too many password checks running at once → `503` (passwordTries.ts), both with Retry-After.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ApiError } from '../http/apiError.js';
import { errorResponse } from '../http/envelope.js';
import { sendError } from '../http/errorHandler.js';
import { isValidHostHeader } from '../http/publicOrigin.js';
import { MAX_USER_AGENT_LENGTH } from '../ingest/schemas.js';
import { installFormParser, type FormFields } from './formBody.js';
import { onLinksHost, REDIRECT_PREFIX, type LinksHost } from './linksHost.js';
import {
  busyPage,
  expiredPage,
  forbiddenFormPage,
  linksIndexPage,
  notFoundPage,
  PAGE_HEADERS,
  passwordFormPage,
  tooManyTriesPage,
} from './redirectPages.js';
import type { Followable, RedirectService, Visit } from './redirectService.js';

export interface RedirectRoutesOptions {
  redirects: RedirectService;
  /** MYTHIC_PUBLIC_URL: the origin of `/l/<slug>` short URLs; unset, the request's Host. */
  publicUrl?: string | undefined;
  linksHost?: LinksHost | undefined;
}

const tags = ['Links'];
const SlugParams = Type.Object({ slug: Type.String({ description: 'The link’s slug, any case' }) });
const html = (description: string) => Type.Unsafe<string>({ type: 'string', description: `${description} (text/html; the error envelope to Accept: application/json)` });
const responses = {
  302: Type.Unsafe<string>({ type: 'string', description: 'To the stored destination, with the short URL’s query parameters added (the destination’s own win a clash) and mlc=<click id>' }),
  404: errorResponse('not_found: no link has this slug (an HTML page unless JSON is asked for)'),
  410: errorResponse('not_found: the link has expired (an HTML page unless JSON is asked for)'),
};

/** A caller that asks for JSON and not for HTML (an API client, not a browser) gets the envelope. */
function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return /\bapplication\/json\b/.test(accept) && !/\btext\/html\b/.test(accept);
}

const single = (value: string | string[] | undefined): string | null => (Array.isArray(value) ? (value[0] ?? null) : (value ?? null)) || null;

function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.status(status).headers(PAGE_HEADERS).send(body);
}

function refuse(request: FastifyRequest, reply: FastifyReply, status: 404 | 410): FastifyReply {
  if (wantsJson(request)) {
    reply.header('cache-control', 'private, no-store').header('x-robots-tag', 'noindex, nofollow');
    const message = status === 404 ? 'No link has this slug' : 'This link has expired';
    return sendError(reply, new ApiError(status, 'not_found', message));
  }
  return sendPage(reply, status, status === 404 ? notFoundPage() : expiredPage());
}

/**
 * A POST from another site: refused by its Origin (when sent, it must be this host) or its
 * Sec-Fetch-Site (browsers that send it say `cross-site`). A POST with neither (not a browser)
 * still needs a valid token.
 */
function crossSite(request: FastifyRequest): boolean {
  if (request.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    // Both through URL, so that a default port (`:80` in Host, absent from Origin) compares alike.
    return new URL(origin).host !== new URL(`${request.protocol}://${request.host}`).host;
  } catch {
    return true; // `null` (an opaque origin: a sandboxed frame, a data: page) or garbage.
  }
}

export const redirectRoutes: FastifyPluginAsyncTypebox<RedirectRoutesOptions> = async (app, { redirects, publicUrl, linksHost }) => {
  installFormParser(app);

  /** The short URL as the visitor reached it, for the click's `url`: never trusted for anything else. */
  const shortUrlOf = (request: FastifyRequest, slug: string): string | null => {
    if (linksHost !== undefined && onLinksHost(request.raw)) return `${linksHost.origin}/${slug}`;
    if (publicUrl !== undefined) return `${publicUrl}${REDIRECT_PREFIX}/${slug}`;
    const scheme = request.protocol;
    return isValidHostHeader(request.host) && (scheme === 'http' || scheme === 'https') ? `${scheme}://${request.host.toLowerCase()}${REDIRECT_PREFIX}/${slug}` : null;
  };

  const visitOf = (request: FastifyRequest, slug: string, referrer: string | null): Visit => {
    const url = request.raw.url ?? '';
    const queryAt = url.indexOf('?');
    return {
      ip: request.ip,
      userAgent: single(request.headers['user-agent'])?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
      referrer,
      query: queryAt === -1 ? '' : url.slice(queryAt + 1),
      shortUrl: shortUrlOf(request, slug),
    };
  };

  /** The short URL's path and query on the host it was reached on: a relative Location built from the stored slug. */
  const ownPath = (request: FastifyRequest, slug: string): string => {
    const { query } = visitOf(request, slug, null);
    const path = linksHost !== undefined && onLinksHost(request.raw) ? `/${encodeURIComponent(slug)}` : `${REDIRECT_PREFIX}/${encodeURIComponent(slug)}`;
    return query === '' ? path : `${path}?${new URLSearchParams(query).toString()}`;
  };

  const redirect = (reply: FastifyReply, location: string): FastifyReply =>
    reply.header('cache-control', 'private, no-store').redirect(location, 302);

  const showForm = (reply: FastifyReply, lookup: Followable, status: 200 | 401): FastifyReply =>
    sendPage(reply, status, passwordFormPage({ token: redirects.formToken(lookup.found.link), wrongPassword: status === 401 }));

  app.get(
    `${REDIRECT_PREFIX}/:slug`,
    {
      schema: {
        tags,
        summary: 'Follow a short link (public; on the links host: GET /{slug})',
        description:
          'Redirects to the link’s destination and counts a click (HEAD answers the same without counting one). A password link answers a form instead (200, HTML), which POSTs to the same address. Not cached by browsers or proxies, so every click is counted.',
        security: [],
        params: SlugParams,
        response: { ...responses, 200: html('The password form of a password link') },
      },
    },
    async (request, reply) => {
      const { slug } = request.params;
      const lookup = await redirects.lookup(slug);
      if (lookup.state === 'not_found') return refuse(request, reply, 404);
      if (lookup.state === 'expired') return refuse(request, reply, 410);
      if (lookup.state === 'password') return showForm(reply, lookup, 200);
      const query = visitOf(request, lookup.found.link.slug, null).query;
      if (request.method === 'HEAD') return redirect(reply, redirects.peek(lookup.found, query));
      return redirect(reply, redirects.follow(lookup.found, visitOf(request, lookup.found.link.slug, single(request.headers.referer))));
    },
  );

  app.post(
    `${REDIRECT_PREFIX}/:slug`,
    {
      schema: {
        tags,
        summary: 'Submit the password of a password link (application/x-www-form-urlencoded: password, token)',
        security: [],
        consumes: ['application/x-www-form-urlencoded'],
        params: SlugParams,
        response: {
          ...responses,
          303: Type.Unsafe<string>({ type: 'string', description: 'The right password: to the destination, as GET answers for a link without one (and a click is counted)' }),
          401: html('The form again: wrong password'),
          403: html('The form was sent from another site, or its token is missing, wrong or over ten minutes old'),
          429: html('Too many tries from this address for this link, or from all addresses for this link; see Retry-After'),
          503: html('Too many password checks running at once; see Retry-After'),
        },
      },
    },
    async (request, reply) => {
      const { slug } = request.params;
      const lookup = await redirects.lookup(slug);
      if (lookup.state === 'not_found') return refuse(request, reply, 404);
      if (lookup.state === 'expired') return refuse(request, reply, 410);
      // The password was removed while the form was open: back to the short URL, which now redirects.
      if (lookup.state === 'active') return reply.header('cache-control', 'private, no-store').redirect(ownPath(request, lookup.found.link.slug), 303);
      const fields = (request.body ?? {}) as FormFields;
      if (crossSite(request) || !redirects.formTokenValid(lookup.found.link, fields.token)) return sendPage(reply, 403, forbiddenFormPage());
      // The Referer of this POST is the form itself: the page the link was clicked on is not known here.
      const outcome = await redirects.tryPassword(lookup.found, fields.password ?? '', visitOf(request, lookup.found.link.slug, null));
      if (outcome.outcome === 'rate_limited') {
        reply.header('retry-after', String(outcome.retryAfterSeconds));
        if (outcome.refused === 'busy') return sendPage(reply, 503, busyPage(outcome.retryAfterSeconds));
        return sendPage(reply, 429, tooManyTriesPage(outcome.retryAfterSeconds, outcome.refused));
      }
      if (outcome.outcome === 'wrong') return showForm(reply, lookup, 401);
      // 303: the browser follows with a GET, and reloading the destination never re-posts the password.
      return reply.header('cache-control', 'private, no-store').redirect(outcome.location, 303);
    },
  );

  // The links host's root (and /l on the main address): a page saying what this address is.
  app.get(REDIRECT_PREFIX, { schema: { hide: true } }, async (_request, reply) => sendPage(reply, 200, linksIndexPage()));
};
