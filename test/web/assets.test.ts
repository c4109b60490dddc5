import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { loadWebAssets } from '../../src/web/assets.js';
import { DASHBOARD_CSP, webRoutes } from '../../src/web/routes.js';
import { startApi, type TestApi } from '../helpers/api.js';
import { STORE_KINDS } from '../helpers/stores.js';

/** Needs the built dashboard (npm run build:web; npm test runs it first). */
describe('the dashboard served at /', () => {
  let api: TestApi;
  before(async () => {
    api = await startApi(STORE_KINDS[0]!);
  });
  after(async () => api.close());

  const get = (url: string, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url, headers });
  const assetPaths = (html: string): string[] => [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);

  it('serves the page without a key, with a strict Content-Security-Policy and no caching', async () => {
    const page = await get('/');
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['content-security-policy'], DASHBOARD_CSP);
    assert.match(DASHBOARD_CSP, /default-src 'none'/);
    assert.doesNotMatch(DASHBOARD_CSP, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.doesNotMatch(page.body, /<script>|<style>|style="/, 'nothing inline that the policy would block');
    const assets = assetPaths(page.body);
    assert.ok(assets.some((p) => p.endsWith('.js')) && assets.some((p) => p.endsWith('.css')), `links its script and stylesheet: ${assets.join(', ')}`);
  });

  it('serves the hashed files with their content type, cached for a year, gzipped on request, with ETags', async () => {
    const page = await get('/');
    for (const path of assetPaths(page.body)) {
      const plain = await get(path);
      assert.equal(plain.statusCode, 200, path);
      assert.equal(plain.headers['content-type'], path.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.equal(plain.headers['x-content-type-options'], 'nosniff');
      assert.equal(plain.headers['content-encoding'], undefined);
      const zipped = await get(path, { 'accept-encoding': 'gzip, br' });
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      assert.ok(gunzipSync(zipped.rawPayload).equals(plain.rawPayload), 'the gzipped body is the same file');
      const again = await get(path, { 'if-none-match': String(plain.headers.etag) });
      assert.equal(again.statusCode, 304);
    }
  });

  it('answers an unknown file with a 404 in the error envelope, and keeps the admin API working', async () => {
    const missing = await get('/assets/app-NOPE.js');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'not_found');
    const clients = await api.request('GET', '/api/v1/clients');
    assert.equal(clients.status, 200);
    const unauthorized = await api.request('GET', '/api/v1/clients', { anonymous: true });
    assert.equal(unauthorized.status, 401, 'the admin API still needs the key');
  });

  it('reports a missing build as absent rather than failing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'mythic-web-'));
    try {
      assert.equal(loadWebAssets(empty), null);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('treats a page without its assets/ directory as not built: / answers 503 with the command to run', async () => {
    const halfBuilt = mkdtempSync(join(tmpdir(), 'mythic-web-'));
    const app = Fastify();
    try {
      writeFileSync(join(halfBuilt, 'index.html'), '<!doctype html><script src="/assets/app-1234.js"></script>');
      const assets = loadWebAssets(halfBuilt);
      assert.equal(assets, null);
      await app.register(webRoutes, { assets });
      const page = await app.inject({ method: 'GET', url: '/' });
      assert.equal(page.statusCode, 503);
      assert.match(page.body, /The dashboard is not built: run npm run build:web/);
    } finally {
      await app.close();
      rmSync(halfBuilt, { recursive: true, force: true });
    }
  });
});
