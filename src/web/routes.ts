import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../http/apiError.js';
import type { WebAsset, WebAssets } from './assets.js';

/**
 * The dashboard loads only its own scripts and styles and talks only to this server. Styles set
 * from script through the CSSOM (the chart library does) are not inline styles, so no
 * 'unsafe-inline' is needed anywhere.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const INDEX_CACHE = 'no-cache';
const HASHED_CACHE = 'public, max-age=31536000, immutable';

function acceptsGzip(request: FastifyRequest): boolean {
  const header = request.headers['accept-encoding'];
  return typeof header === 'string' && /\bgzip\b/.test(header);
}

function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: WebAsset, cacheControl: string): FastifyReply {
  reply
    .header('content-type', asset.contentType)
    .header('cache-control', cacheControl)
    .header('etag', asset.etag)
    .header('vary', 'accept-encoding')
    .header('x-content-type-options', 'nosniff');
  if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
  if (asset.gzipped !== null && acceptsGzip(request)) return reply.header('content-encoding', 'gzip').send(asset.gzipped);
  return reply.send(asset.body);
}

/** `GET /` is the dashboard (a single page; its views live in the URL fragment), `GET /assets/*` its files. */
export const webRoutes: FastifyPluginAsync<{ assets: WebAssets | null }> = async (app, { assets }) => {
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    reply
      .header('content-security-policy', DASHBOARD_CSP)
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY');
    if (assets === null) {
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The dashboard is not built: run npm run build:web (npm run build and npm test do it).\n');
    }
    return sendAsset(request, reply, assets.index, INDEX_CACHE);
  });

  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (request, reply) => {
    const asset = assets?.hashed.get(request.params.file);
    if (asset === undefined) throw new ApiError(404, 'not_found', `No dashboard file '${request.params.file}'`);
    return sendAsset(request, reply, asset, HASHED_CACHE);
  });
};
