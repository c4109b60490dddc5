import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { LoaderEmbedView } from '../../src/loader/adminSchemas.js';
import { DEFAULT_SDK_SETTINGS } from '../../src/loader/remoteConfig.js';
import { KeysService } from '../../src/keys/service.js';
import { RemoteConfigService } from '../../src/loader/remoteConfigService.js';
import { renderTag } from '../../src/loader/tagTemplates.js';
import type { SnippetView } from '../../src/snippets/schemas.js';
import { startApi, type Envelope, type TestApi } from '../helpers/api.js';
import { describeEachStore } from '../helpers/stores.js';

const DAY_MS = 86_400_000;
const GA4 = { tag_id: 'ga4', params: { measurement_id: 'G-ABCD1234' }, trigger_rules: [{ url_contains: '/checkout' }] };

describeEachStore('remote config', (kind) => {
  let api: TestApi;
  let configs: RemoteConfigService;
  let n = 0;
  before(async () => {
    api = await startApi(kind);
    configs = new RemoteConfigService(api.store, new KeysService(api.store, api.clock.read));
  });
  after(async () => {
    assert.ok(api.contract.checked > 0, 'responses were checked against the OpenAPI document');
    await api.close();
  });

  async function newClient(extra: Record<string, unknown> = {}): Promise<{ id: string; publishable_key: string; secret_key: string }> {
    n += 1;
    const res = await api.request('POST', '/api/v1/clients', { body: { id: `configured-${n}`, name: `Configured ${n}`, ...extra } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data as { id: string; publishable_key: string; secret_key: string };
  }

  it('builds the config of a bare client: defaults everywhere, global mythic', async () => {
    const c = await newClient();
    const found = await configs.forPublishableKey(c.publishable_key);
    assert.ok(found);
    assert.deepEqual(found.config, { v: 1, publishable_key: c.publishable_key, global_name: 'mythic', sdk: DEFAULT_SDK_SETTINGS, tags: [], snippets: [] });
    assert.equal(found.client.id, c.id);
    assert.equal(found.client.ip_storage, 'truncated');
  });

  it('carries global_name, sdk settings over the defaults, enabled tags rendered and enabled snippets', async () => {
    const c = await newClient({ global_name: 'acmeShop', sdk_settings: { require_consent: true, batch_size: 25 }, ip_storage: 'hashed' });
    const hotjar = { tag_id: 'hotjar', enabled: false, params: { site_id: '42' } };
    const custom = { tag_id: 'custom_script', params: { src: 'https://cdn.example.com/x.js' } };
    assert.equal((await api.request('PUT', `/api/v1/clients/${c.id}/tags`, { body: { tags: [GA4, hotjar, custom] } })).status, 200);
    const snippets = await api.request<Envelope<SnippetView[]>>('PUT', `/api/v1/clients/${c.id}/snippets`, {
      body: {
        snippets: [
          { code: '<p>off</p>', enabled: false },
          { code: '<p>on</p>', trigger_rules: [{ exclude_url_contains: '/admin' }] },
        ],
      },
    });
    const on = snippets.body.data[1];
    const found = await configs.forPublishableKey(c.publishable_key);
    assert.ok(found);
    const { config } = found;
    assert.equal(config.global_name, 'acmeShop');
    assert.deepEqual(config.sdk, { ...DEFAULT_SDK_SETTINGS, require_consent: true, batch_size: 25 });
    assert.equal(found.client.ip_storage, 'hashed');
    // Ids carry the stored position, so the disabled tag in between shows as a gap.
    assert.deepEqual(config.tags, [
      { id: 'ga4-0', tag_id: 'ga4', rules: GA4.trigger_rules, ...renderTag('ga4', GA4.params) },
      { id: 'custom_script-2', tag_id: 'custom_script', rules: [], src: 'https://cdn.example.com/x.js' },
    ]);
    assert.match(config.tags[0]?.inline ?? '', /gtag\('config', "G-ABCD1234"\)/);
    assert.equal(config.tags[0]?.src, 'https://www.googletagmanager.com/gtag/js?id=G-ABCD1234');
    assert.deepEqual(config.snippets, [{ id: on?.id, rules: [{ exclude_url_contains: '/admin' }], code: '<p>on</p>' }]);
  });

  it('delivers a tag sent by its template’s UUID under the slug, with its rules in the form they were sent', async () => {
    const c = await newClient();
    const tags = [
      { tag_id: 'f47ac10b-58cc-4372-a567-0e02b2c3d479', params: { measurement_id: 'G-ABCD1234' }, trigger_rules: { url_contains: '/checkout', exclude_url_contains: '/test' } },
      { tag_id: 'ga4', params: { measurement_id: 'G-EFGH5678' }, trigger_rules: {} },
    ];
    assert.equal((await api.request('PUT', `/api/v1/clients/${c.id}/tags`, { body: { tags } })).status, 200);
    const snippets = [{ code: '<p>all</p>', trigger_rules: {} }, { code: '<p>pay</p>', trigger_rules: { path_prefix: '/pay' } }];
    assert.equal((await api.request('PUT', `/api/v1/clients/${c.id}/snippets`, { body: { snippets } })).status, 200);
    const config = (await configs.forPublishableKey(c.publishable_key))?.config;
    assert.deepEqual(config?.tags.map((t) => [t.id, t.tag_id, t.rules]), [
      ['ga4-0', 'ga4', { url_contains: '/checkout', exclude_url_contains: '/test' }],
      ['ga4-1', 'ga4', {}],
    ]);
    assert.equal(config?.tags[0]?.src, 'https://www.googletagmanager.com/gtag/js?id=G-ABCD1234');
    assert.deepEqual(config?.snippets.map((s) => s.rules), [{}, { path_prefix: '/pay' }]);
  });

  it('shows every change on the next fetch', async () => {
    const c = await newClient();
    assert.deepEqual((await configs.forPublishableKey(c.publishable_key))?.config.tags, []);
    await api.request('PUT', `/api/v1/clients/${c.id}/tags`, { body: { tags: [GA4] } });
    assert.equal((await configs.forPublishableKey(c.publishable_key))?.config.tags.length, 1);
    await api.request('PATCH', `/api/v1/clients/${c.id}`, { body: { global_name: 'renamedShop', sdk_settings: { capture_pageleave: false } } });
    const config = (await configs.forPublishableKey(c.publishable_key))?.config;
    assert.equal(config?.global_name, 'renamedShop');
    assert.equal(config?.sdk.capture_pageleave, false);
    await api.request('PATCH', `/api/v1/clients/${c.id}`, { body: { global_name: null, sdk_settings: null } });
    const reset = (await configs.forPublishableKey(c.publishable_key))?.config;
    assert.equal(reset?.global_name, 'mythic');
    assert.deepEqual(reset?.sdk, DEFAULT_SDK_SETTINGS);
  });

  it('answers null for malformed, unknown and secret keys', async () => {
    const c = await newClient();
    for (const key of ['', 'pk_', `pk_${'0'.repeat(32)}`, c.publishable_key.toUpperCase(), `${c.publishable_key}x`, c.secret_key, c.secret_key.replace('sk_', 'pk_'), ` ${c.publishable_key}`]) {
      assert.equal(await configs.forPublishableKey(key), null, JSON.stringify(key));
    }
  });

  it('keeps serving a rotated-out key during its grace period, then stops', async () => {
    const c = await newClient();
    const rotated = await api.request<Envelope<{ publishable_key: string }>>('POST', `/api/v1/clients/${c.id}/keys/rotate`, { body: { key: 'publishable' } });
    const fresh = rotated.body.data.publishable_key;
    api.clock.advance(DAY_MS - 1);
    const old = await configs.forPublishableKey(c.publishable_key);
    assert.equal(old?.config.publishable_key, c.publishable_key, 'the page keeps the key it embeds');
    assert.equal((await configs.forPublishableKey(fresh))?.config.publishable_key, fresh);
    api.clock.advance(1);
    assert.equal(await configs.forPublishableKey(c.publishable_key), null);
    assert.ok(await configs.forPublishableKey(fresh));
  });

  it('answers null for a deactivated client, again for a reactivated one, and null once it is removed', async () => {
    const c = await newClient();
    await api.request('DELETE', `/api/v1/clients/${c.id}`);
    assert.equal(await configs.forPublishableKey(c.publishable_key), null);
    await api.request('PATCH', `/api/v1/clients/${c.id}`, { body: { status: true } });
    assert.ok(await configs.forPublishableKey(c.publishable_key));
    await api.request('DELETE', `/api/v1/clients/${c.id}?hard=true`);
    assert.equal(await configs.forPublishableKey(c.publishable_key), null);
  });

  it('gives the embed code for the host the request came to, with the current key', async () => {
    const c = await newClient({ global_name: 'embedShop' });
    const res = await api.request<Envelope<LoaderEmbedView>>('GET', `/api/v1/clients/${c.id}/loader`, { headers: { host: 'analytics.example.com:8443' } });
    assert.equal(res.status, 200);
    const url = `http://analytics.example.com:8443/s/${c.publishable_key}.js`;
    assert.deepEqual(res.body.data, { html: `<script async src="${url}"></script>`, script_url: url, global_name: 'embedShop', domain: null });
    const rotated = await api.request<Envelope<{ publishable_key: string }>>('POST', `/api/v1/clients/${c.id}/keys/rotate`, { body: { key: 'publishable' } });
    const after = await api.request<Envelope<LoaderEmbedView>>('GET', `/api/v1/clients/${c.id}/loader`, { headers: { host: 'analytics.example.com' } });
    assert.equal(after.body.data.script_url, `http://analytics.example.com/s/${rotated.body.data.publishable_key}.js`);
  });

  it('falls back to the global mythic, refuses a Host that is no host, and 404s an unknown client', async () => {
    const c = await newClient();
    const ok = await api.request<Envelope<LoaderEmbedView>>('GET', `/api/v1/clients/${c.id}/loader`, { headers: { host: '[::1]:8080' } });
    assert.equal(ok.body.data.global_name, 'mythic');
    assert.equal(ok.body.data.script_url, `http://[::1]:8080/s/${c.publishable_key}.js`);
    for (const host of ['x.example"><img src=x onerror=alert(1)>', 'a b', 'x.example:99999', 'x.example/path', '[nope]']) {
      const res = await api.request('GET', `/api/v1/clients/${c.id}/loader`, { headers: { host } });
      assert.equal(res.status, 400, host);
      assert.equal(res.body.code, 'validation_error');
      assert.deepEqual(res.body.details?.map((d) => d.field), ['Host']);
      assert.match(res.body.error ?? '', /MYTHIC_PUBLIC_URL/);
      assert.ok(!JSON.stringify(res.body).includes('<img'));
    }
    const missing = await api.request('GET', '/api/v1/clients/nope/loader');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'not_found');
  });
});
