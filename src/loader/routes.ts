import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ClientRow } from '../store/metaStore.js';
import type { RemoteConfig } from './remoteConfig.js';
import { NOOP_LOADER, renderLoader } from './renderLoader.js';
import { CORE_PATH, contentHash, type SdkAssets } from './sdkAssets.js';

/** The part of RemoteConfigService (./remoteConfigService.ts) the script routes use. */
export interface RemoteConfigSource {
  forPublishableKey(publishableKey: string): Promise<{ config: RemoteConfig; client: ClientRow } | null>;
}

export interface LoaderRoutesOptions {
  remoteConfigs: RemoteConfigSource;
  assets: SdkAssets;
}

const LOADER_FILE = /^(pk_[0-9a-f]{32})\.js$/;
/** Short, so a change to the client, its tags or snippets reaches pages within a minute. */
const LOADER_CACHE = 'public, max-age=60';
const NOOP_CACHE = 'max-age=60';
const CORE_VERSIONED_CACHE = 'public, max-age=31536000, immutable';
const CORE_UNVERSIONED_CACHE = 'public, max-age=300';
/** Rendered loaders kept per key; beyond this the oldest entry is dropped. */
const MAX_RENDERED = 10_000;

interface Rendered {
  /** The config as JSON: when the next one serialises the same, the body and ETag are reused. */
  json: string;
  body: string;
  etag: string;
}

const quoted = (hash: string): string => `"${hash}"`;
const NOOP_ETAG = quoted(contentHash(NOOP_LOADER));

/** If-None-Match may list several tags, or `*`; a weak tag matches too (RFC 9110, weak comparison). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

function sendScript(request: FastifyRequest, reply: FastifyReply, body: string, etag: string, cacheControl: string): FastifyReply {
  reply.header('etag', etag).header('cache-control', cacheControl).header('x-content-type-options', 'nosniff');
  if (etagMatches(request.headers['if-none-match'], etag)) return reply.status(304).send();
  return reply.type('application/javascript; charset=utf-8').send(body);
}

/**
 * The public scripts a page embeds (no authentication: the publishable key is public).
 * `GET /s/<pk>.js` is the client's loader, carrying its remote config; any key that does not
 * resolve to an active client gets the same harmless no-op, so the answer reveals nothing.
 * `GET /sdk/v1/core.js` is the SDK the loaders fetch, cacheable for a year under its `?v=` hash.
 */
export const loaderRoutes: FastifyPluginAsync<LoaderRoutesOptions> = async (app, { remoteConfigs, assets }) => {
  const rendered = new Map<string, Rendered>();

  const render = (publishableKey: string, config: RemoteConfig): Rendered => {
    const json = JSON.stringify(config);
    const cached = rendered.get(publishableKey);
    if (cached && cached.json === json) return cached;
    const body = renderLoader(config, assets);
    const entry: Rendered = { json, body, etag: quoted(contentHash(body)) };
    rendered.delete(publishableKey);
    if (rendered.size >= MAX_RENDERED) rendered.delete(rendered.keys().next().value as string);
    rendered.set(publishableKey, entry);
    return entry;
  };

  app.get<{ Params: { file: string } }>('/s/:file', { schema: { hide: true } }, async (request, reply) => {
    const publishableKey = LOADER_FILE.exec(request.params.file)?.[1];
    const found = publishableKey === undefined ? null : await remoteConfigs.forPublishableKey(publishableKey);
    if (publishableKey === undefined || found === null || !found.client.status) {
      return sendScript(request, reply, NOOP_LOADER, NOOP_ETAG, NOOP_CACHE);
    }
    const { body, etag } = render(publishableKey, found.config);
    return sendScript(request, reply, body, etag, LOADER_CACHE);
  });

  const coreEtag = quoted(assets.coreHash);
  app.get<{ Querystring: { v?: unknown } }>(CORE_PATH, { schema: { hide: true } }, async (request, reply) => {
    // Only the current hash may be cached for good: an old loader asking for an old version gets
    // today's core, which must not then stick in caches under the old URL.
    const versioned = request.query.v === assets.coreHash;
    return sendScript(request, reply, assets.core, coreEtag, versioned ? CORE_VERSIONED_CACHE : CORE_UNVERSIONED_CACHE);
  });
};
