import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { DEFAULT_SDK_SETTINGS, type RemoteConfig } from '../../src/loader/remoteConfig.js';
import { loadSdkAssets } from '../../src/loader/sdkAssets.js';
import { startApi, type TestApi } from '../helpers/api.js';
import { describeEachStore } from '../helpers/stores.js';

const NOOP = '/* mythic: unknown or inactive key */\n';
const DAY_MS = 24 * 3600 * 1000;

interface Created {
  id: string;
  publishable_key: string;
}

/** The config a loader carries, read back out of its text. */
function embeddedConfig(body: string): RemoteConfig {
  const match = /var MYTHIC_CONFIG=(.*?);var MYTHIC_CORE=/.exec(body);
  assert.ok(match, 'the loader declares MYTHIC_CONFIG');
  return JSON.parse(match[1] as string) as RemoteConfig;
}

describeEachStore('public loader and SDK scripts', (kind) => {
  let api: TestApi;
  before(async () => {
    api = await startApi(kind);
  });
  after(async () => {
    await api.close();
  });

  let n = 0;
  const createClient = async (fields: Record<string, unknown> = {}): Promise<Created> => {
    n += 1;
    const res = await api.request<{ data: Created }>('POST', '/api/v1/clients', { body: { id: `site-${n}`, name: `Site ${n}`, ...fields } });
    assert.equal(res.status, 201);
    return res.body.data;
  };
  const get = (url: string, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url, headers });

  it('serves the loader as short-cached JavaScript with a strong ETag, carrying the remote config', async () => {
    const c = await createClient({ global_name: 'acmeShop', sdk_settings: { batch_size: 5, require_consent: true } });
    const res = await get(`/s/${c.publishable_key}.js`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/javascript; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'public, max-age=60');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.match(String(res.headers.etag), /^"[\w-]{22}"$/);
    assert.doesNotThrow(() => new Function(res.body), 'the loader is valid JavaScript');
    assert.deepEqual(embeddedConfig(res.body), {
      v: 1,
      publishable_key: c.publishable_key,
      global_name: 'acmeShop',
      sdk: { ...DEFAULT_SDK_SETTINGS, batch_size: 5, require_consent: true },
      tags: [],
      snippets: [],
    });
    assert.ok(res.body.includes(`var MYTHIC_CORE=${JSON.stringify(loadSdkAssets().corePath)};`));
  });

  it('answers 304 to a matching If-None-Match, and a new body and ETag after any change', async () => {
    const c = await createClient({ domain: 'etag-shop.example' });
    const url = `/s/${c.publishable_key}.js`;
    const first = await get(url);
    const etag = String(first.headers.etag);
    const again = await get(url);
    assert.equal(again.headers.etag, etag, 'the same config gives the same ETag');
    assert.equal(again.body, first.body);

    const unchanged = await get(url, { 'if-none-match': etag });
    assert.equal(unchanged.statusCode, 304);
    assert.equal(unchanged.body, '');
    assert.equal(unchanged.headers.etag, etag);
    assert.equal(unchanged.headers['cache-control'], 'public, max-age=60');

    const tags = await api.request('PUT', `/api/v1/clients/${c.id}/tags`, {
      body: { tags: [{ tag_id: 'ga4', enabled: true, params: { measurement_id: 'G-ABCD1234' }, trigger_rules: [{ url_contains: '/checkout' }] }] },
    });
    assert.equal(tags.status, 200);
    const afterTags = await get(url, { 'if-none-match': etag });
    assert.equal(afterTags.statusCode, 200, 'a tag change invalidates the old ETag');
    assert.notEqual(afterTags.headers.etag, etag);
    const [tag] = embeddedConfig(afterTags.body).tags;
    assert.equal(tag?.tag_id, 'ga4');
    assert.deepEqual(tag?.rules, [{ url_contains: '/checkout' }]);
    assert.equal(tag?.src, 'https://www.googletagmanager.com/gtag/js?id=G-ABCD1234');

    const snippets = await api.request('PUT', `/api/v1/clients/${c.id}/snippets`, {
      body: { snippets: [{ code: '<script>window.x = "</script>";</script>', description: 'd', enabled: true, trigger_rules: [] }] },
    });
    assert.equal(snippets.status, 200);
    const afterSnippets = await get(url);
    assert.notEqual(afterSnippets.headers.etag, afterTags.headers.etag);
    assert.doesNotMatch(afterSnippets.body.slice(afterSnippets.body.indexOf('MYTHIC_CONFIG')), /<\/script>/, '< is escaped in the embedded JSON');
    assert.equal(embeddedConfig(afterSnippets.body).snippets[0]?.code, '<script>window.x = "</script>";</script>');

    const patched = await api.request('PATCH', `/api/v1/clients/${c.id}`, { body: { global_name: 'renamedShop' } });
    assert.equal(patched.status, 200);
    const afterPatch = await get(url);
    assert.notEqual(afterPatch.headers.etag, afterSnippets.headers.etag);
    assert.equal(embeddedConfig(afterPatch.body).global_name, 'renamedShop');
  });

  it('falls back to the global name `mythic`', async () => {
    const c = await createClient();
    assert.equal(embeddedConfig((await get(`/s/${c.publishable_key}.js`)).body).global_name, 'mythic');
  });

  it('answers unknown, malformed and secret keys with the same harmless no-op', async () => {
    const c = await createClient();
    const secret = (await api.request<{ data: { secret_key: string } }>('POST', `/api/v1/clients/${c.id}/keys/rotate`, { body: { key: 'secret' } })).body.data
      .secret_key;
    for (const file of [`pk_${'0'.repeat(32)}.js`, 'pk_123.js', `${c.publishable_key}.json`, `${c.publishable_key.toUpperCase()}.js`, `${secret}.js`, 'loader.js']) {
      const res = await get(`/s/${file}`);
      assert.equal(res.statusCode, 200, file);
      assert.equal(res.body, NOOP, file);
      assert.equal(res.headers['content-type'], 'application/javascript; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'max-age=60');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    }
  });

  it('stops serving the config of a deactivated client', async () => {
    const c = await createClient({ global_name: 'goneShop' });
    assert.notEqual((await get(`/s/${c.publishable_key}.js`)).body, NOOP);
    assert.equal((await api.request('DELETE', `/api/v1/clients/${c.id}`)).status, 200);
    const res = await get(`/s/${c.publishable_key}.js`);
    assert.equal(res.body, NOOP);
    assert.doesNotMatch(res.body, /goneShop/);
  });

  it('keeps serving a rotated-out key during its grace period, carrying that key, then stops', async () => {
    const c = await createClient();
    const rotated = await api.request<{ data: { publishable_key: string } }>('POST', `/api/v1/clients/${c.id}/keys/rotate`, { body: { key: 'publishable' } });
    assert.equal(rotated.status, 200);
    const fresh = rotated.body.data.publishable_key;
    const old = await get(`/s/${c.publishable_key}.js`);
    assert.equal(embeddedConfig(old.body).publishable_key, c.publishable_key, 'events from that page use the key it embedded');
    assert.equal(embeddedConfig((await get(`/s/${fresh}.js`)).body).publishable_key, fresh);
    api.clock.advance(DAY_MS + 1);
    assert.equal((await get(`/s/${c.publishable_key}.js`)).body, NOOP);
    assert.notEqual((await get(`/s/${fresh}.js`)).body, NOOP);
  });

  it('serves the core SDK, immutable under its content hash and briefly otherwise', async () => {
    const assets = loadSdkAssets();
    const versioned = await get(assets.corePath);
    assert.equal(versioned.statusCode, 200);
    assert.equal(versioned.body, assets.core);
    assert.equal(versioned.headers['content-type'], 'application/javascript; charset=utf-8');
    assert.equal(versioned.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(versioned.headers['x-content-type-options'], 'nosniff');
    assert.equal(versioned.headers.etag, `"${assets.coreHash}"`);
    assert.doesNotThrow(() => new Function(versioned.body));

    for (const url of ['/sdk/v1/core.js', '/sdk/v1/core.js?v=stale']) {
      const res = await get(url);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['cache-control'], 'public, max-age=300', url);
    }
    const revalidated = await get('/sdk/v1/core.js', { 'if-none-match': `"${assets.coreHash}"` });
    assert.equal(revalidated.statusCode, 304);
    assert.equal(revalidated.body, '');
  });
});
