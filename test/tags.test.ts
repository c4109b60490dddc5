import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { TagTemplateViewValue } from '../src/loader/adminSchemas.js';
import type { TagView } from '../src/tags/schemas.js';
import { suiteApi, type Envelope, type TestApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

type Tags = Envelope<TagView[]>;
type TagItem = Record<string, unknown>;

const GA4 = { tag_id: 'ga4', enabled: true, params: { measurement_id: 'G-ABCD1234' }, trigger_rules: [{ url_contains: '/checkout' }] };
const HOTJAR = { tag_id: 'hotjar', enabled: false, params: { site_id: '1234567' }, trigger_rules: [] };
const CUSTOM = { tag_id: 'custom_script', enabled: true, params: { src: 'https://cdn.example.com/w.js' }, trigger_rules: [{ path_prefix: '/shop' }, { exclude_url_contains: 'admin' }] };

describeEachStore('tags API', (kind) => {
  const suite = suiteApi(kind, 'tagged');
  const { newClient } = suite;
  let api: TestApi;
  before(() => {
    api = suite.api();
  });

  const put = (id: string, tags: unknown) => api.request<Tags>('PUT', `/api/v1/clients/${id}/tags`, { body: { tags } });
  const get = (id: string) => api.request<Tags>('GET', `/api/v1/clients/${id}/tags`);

  it('serves the tag template catalogue', async () => {
    const res = await api.request<Envelope<TagTemplateViewValue[]>>('GET', '/api/v1/tag-templates');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data.map((t) => t.id), ['ga4', 'gtm', 'meta_pixel', 'hotjar', 'linkedin_insight', 'tiktok_pixel', 'custom_script']);
    const ga4 = res.body.data[0];
    assert.deepEqual(ga4?.params.map((p) => [p.name, p.required, p.pattern, p.example]), [['measurement_id', true, '^G-[A-Z0-9]{4,20}$', 'G-XXXXXXXXXX']]);
    assert.equal(res.body.data.at(-1)?.params[0]?.format, 'https-url');
    // Fixed UUIDs, GA4's being the placeholder of the Mythic Analytics docs' example.
    assert.deepEqual(res.body.data.map((t) => t.uuid), [
      'f47ac10b-58cc-4372-a567-0e02b2c3d479', 'f53c5d7b-510d-4631-b704-79d7259b4393', 'ce0c0dea-2260-42dd-bb85-e64ad7e9de20',
      '2d8c69c4-f237-490c-9d0d-fbac31063c24', '1f95656d-99ec-4661-b19a-942ad79742ec', '431efe6f-5a6f-44d7-ba8b-8c5fb7d559be',
      '9deb373f-6591-4d8c-b8c9-83d0ffb0d1c7',
    ]);
    assert.equal((await api.request('GET', '/api/v1/tag-templates', { anonymous: true })).status, 401);
  });

  it('starts empty, replaces the whole set in order, and reads back what it stored', async () => {
    const id = await newClient();
    assert.deepEqual((await get(id)).body.data, []);
    const res = await put(id, [GA4, HOTJAR, CUSTOM]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { success: true, data: [GA4, HOTJAR, CUSTOM], count: 3 });
    assert.deepEqual((await get(id)).body, { success: true, data: [GA4, HOTJAR, CUSTOM], count: 3 });
    // A second PUT replaces; it does not append.
    assert.deepEqual((await put(id, [CUSTOM, GA4])).body.data, [CUSTOM, GA4]);
    assert.deepEqual((await get(id)).body.data, [CUSTOM, GA4]);
    assert.deepEqual((await put(id, [])).body, { success: true, data: [], count: 0 });
    assert.deepEqual((await get(id)).body, { success: true, data: [], count: 0 });
  });

  it('takes a template’s UUID as tag_id and answers it as it was sent', async () => {
    const id = await newClient();
    const byUuid = { ...GA4, tag_id: 'f47ac10b-58cc-4372-a567-0e02b2c3d479' };
    const hotjar = { ...HOTJAR, tag_id: '2d8c69c4-f237-490c-9d0d-fbac31063c24' };
    const res = await put(id, [byUuid, GA4, hotjar]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.data, [byUuid, GA4, hotjar]);
    assert.deepEqual((await get(id)).body.data, [byUuid, GA4, hotjar]);
    // Params are checked against the template the UUID names, and the message names it by its slug.
    const wrong = await put(id, [{ tag_id: byUuid.tag_id, params: { site_id: '1234567' } }]);
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body.details?.map((d) => d.field), ['tags.0.params.site_id', 'tags.0.params.measurement_id']);
    assert.match(wrong.body.details?.[1]?.message ?? '', /required by tag 'ga4'/);
    assert.deepEqual((await get(id)).body.data, [byUuid, GA4, hotjar]);
  });

  it('refuses a UUID that is no template’s, naming the tag, and changes nothing', async () => {
    const id = await newClient();
    await put(id, [GA4]);
    // A random UUID, a near miss, and GA4's in capitals: the catalogue's spelling is the only one.
    for (const tagId of ['0b7e2f4e-6d8c-4a51-9a43-3f1f6d0c2b11', 'f47ac10b-58cc-4372-a567-0e02b2c3d478', 'F47AC10B-58CC-4372-A567-0E02B2C3D479', '{f47ac10b-58cc-4372-a567-0e02b2c3d479}']) {
      const res = await put(id, [GA4, { ...GA4, tag_id: tagId }]);
      assert.equal(res.status, 400, tagId);
      assert.equal(res.body.code, 'validation_error');
      assert.deepEqual(res.body.details?.map((d) => d.field), ['tags.1.tag_id']);
      assert.match(res.body.details?.[0]?.message ?? '', /f47ac10b-58cc-4372-a567-0e02b2c3d479/, 'the message lists the accepted ids');
    }
    assert.deepEqual((await get(id)).body.data, [GA4]);
  });

  it('takes trigger rules as one object, every key of which must hold, and answers them in the form sent', async () => {
    const id = await newClient();
    const tags = [
      { ...GA4, trigger_rules: { url_contains: '/checkout' } },
      { ...HOTJAR, trigger_rules: {} },
      { ...CUSTOM, trigger_rules: { path_prefix: '/shop', url_regex: '^https://', url_equals: 'https://a.example/shop', exclude_url_contains: 'admin', url_contains: 'shop' } },
      GA4,
    ];
    const res = await put(id, tags);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.data, tags);
    assert.deepEqual((await get(id)).body.data, tags);
    const stored = await api.store.listTags(id);
    assert.ok(!Array.isArray(stored[1]?.trigger_rules) && Array.isArray(stored[3]?.trigger_rules), 'stored in the form sent');
  });

  it('refuses malformed trigger rule objects, naming the field, and changes nothing', async () => {
    const id = await newClient();
    await put(id, [CUSTOM]);
    const cases: [unknown, string, string][] = [
      [{ url_contains: '/a', url_starts_with: '/b' }, 'tags.0.trigger_rules.url_starts_with', 'unknown_field'],
      [{ tag_id: 'ga4' }, 'tags.0.trigger_rules.tag_id', 'unknown_field'],
      [{ url_contains: 7 }, 'tags.0.trigger_rules.url_contains', 'validation_error'],
      [{ url_contains: ['/a'] }, 'tags.0.trigger_rules.url_contains', 'validation_error'],
      [{ exclude_url_contains: null }, 'tags.0.trigger_rules.exclude_url_contains', 'validation_error'],
      [{ url_contains: '' }, 'tags.0.trigger_rules.url_contains', 'validation_error'],
      [{ url_equals: 'x'.repeat(2049) }, 'tags.0.trigger_rules.url_equals', 'validation_error'],
      [{ url_contains: '/a', path_prefix: 'shop' }, 'tags.0.trigger_rules.path_prefix', 'validation_error'],
      [{ url_regex: '(a+)+$' }, 'tags.0.trigger_rules.url_regex', 'validation_error'],
      [{ url_regex: '(' }, 'tags.0.trigger_rules.url_regex', 'validation_error'],
      [{ url_regex: 'a'.repeat(257) }, 'tags.0.trigger_rules.url_regex', 'validation_error'],
      ['/checkout', 'tags.0.trigger_rules', 'validation_error'],
      [42, 'tags.0.trigger_rules', 'validation_error'],
      [null, 'tags.0.trigger_rules', 'validation_error'],
      [true, 'tags.0.trigger_rules', 'validation_error'],
    ];
    for (const [rules, field, code] of cases) {
      const res = await put(id, [{ ...GA4, trigger_rules: rules }]);
      assert.equal(res.status, 400, JSON.stringify(rules).slice(0, 80));
      assert.equal(res.body.code, code, JSON.stringify(res.body.details));
      // Exactly one problem, at the key at fault: no second complaint from the list form.
      assert.deepEqual(res.body.details?.map((d) => d.field), [field], JSON.stringify(rules).slice(0, 80));
    }
    const typeError = await put(id, [{ ...GA4, trigger_rules: 'x' }]);
    assert.match(typeError.body.details?.[0]?.message ?? '', /array or a JSON object/);
    assert.deepEqual((await get(id)).body.data, [CUSTOM]);
  });

  it('defaults enabled to true and trigger_rules to every page', async () => {
    const id = await newClient();
    const res = await put(id, [{ tag_id: 'gtm', params: { container_id: 'GTM-AB12CD3' } }]);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, [{ tag_id: 'gtm', enabled: true, params: { container_id: 'GTM-AB12CD3' }, trigger_rules: [] }]);
  });

  it('moves the client’s updated_at', async () => {
    const id = await newClient();
    const before = (await api.request('GET', `/api/v1/clients/${id}`)).body.data.updated_at;
    api.clock.advance(7_000);
    await put(id, [GA4]);
    const after = (await api.request('GET', `/api/v1/clients/${id}`)).body.data.updated_at;
    assert.equal(Date.parse(after) - Date.parse(before), 7_000);
  });

  it('404s an unknown client on GET and PUT', async () => {
    for (const res of [await get('nope'), await put('nope', [GA4])]) {
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'not_found');
      assert.match(res.body.error ?? '', /nope/);
    }
  });

  it('refuses bad params with a detail naming the tag’s position and id, and changes nothing', async () => {
    const id = await newClient();
    await put(id, [GA4, HOTJAR]);
    const cases: [TagItem[], string, RegExp][] = [
      [[GA4, GA4, { tag_id: 'ga4', params: { measurement_id: 'UA-1234-1' } }], 'tags.2.params.measurement_id', /tag 'ga4'/],
      [[{ tag_id: 'ga4', params: {} }], 'tags.0.params.measurement_id', /required by tag 'ga4'/],
      [[{ tag_id: 'ga4' }], 'tags.0.params.measurement_id', /required by tag 'ga4'/],
      [[GA4, { tag_id: 'meta_pixel', params: { pixel_id: '123456', colour: 'red' } }], 'tags.1.params.colour', /not a parameter of tag 'meta_pixel'/],
      [[{ tag_id: 'custom_script', params: { src: 'http://cdn.example.com/a.js' } }], 'tags.0.params.src', /https.*tag 'custom_script'/],
      [[{ tag_id: 'tiktok_pixel', params: { pixel_id: "'); alert(1); ('" } }], 'tags.0.params.pixel_id', /tag 'tiktok_pixel'/],
    ];
    for (const [tags, field, message] of cases) {
      const res = await put(id, tags);
      assert.equal(res.status, 400, JSON.stringify(tags));
      assert.equal(res.body.code, 'validation_error');
      const detail = res.body.details?.find((d) => d.field === field);
      assert.ok(detail, `details name ${field}: ${JSON.stringify(res.body.details)}`);
      assert.match(detail.message, message);
      assert.match(res.body.error ?? '', new RegExp(field.replace(/\./g, '\\.')));
    }
    assert.deepEqual((await get(id)).body.data, [GA4, HOTJAR]);
  });

  it('reports every bad tag at once', async () => {
    const id = await newClient();
    const res = await put(id, [{ tag_id: 'ga4', params: { measurement_id: 'x' } }, GA4, { tag_id: 'hotjar', params: {} }]);
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.details?.map((d) => d.field), ['tags.0.params.measurement_id', 'tags.2.params.site_id']);
  });

  it('refuses unknown tag ids, malformed tags and malformed trigger rules, naming the field', async () => {
    const id = await newClient();
    await put(id, [CUSTOM]);
    const rule = (r: unknown) => [{ ...GA4, trigger_rules: [{ url_contains: 'ok' }, r] }];
    const cases: [unknown, string, string][] = [
      [[{ tag_id: 'google_ads', params: {} }], 'tags.0.tag_id', 'validation_error'],
      [[GA4, { ...GA4, tag_id: 'GA4' }], 'tags.1.tag_id', 'validation_error'],
      [[{ ...GA4, enabled: 'yes' }], 'tags.0.enabled', 'validation_error'],
      [[{ ...GA4, params: { measurement_id: 1234 } }], 'tags.0.params.measurement_id', 'validation_error'],
      [[{ ...GA4, params: ['G-ABCD1234'] }], 'tags.0.params', 'validation_error'],
      [[{ ...GA4, extra: 1 }], 'tags.0.extra', 'unknown_field'],
      [rule({}), 'tags.0.trigger_rules.1', 'validation_error'],
      [rule({ url_contains: 'a', path_prefix: '/a' }), 'tags.0.trigger_rules.1', 'validation_error'],
      [rule({ url_starts_with: 'a' }), 'tags.0.trigger_rules.1.url_starts_with', 'unknown_field'],
      [rule({ url_contains: '' }), 'tags.0.trigger_rules.1.url_contains', 'validation_error'],
      [rule({ url_contains: 'x'.repeat(2049) }), 'tags.0.trigger_rules.1.url_contains', 'validation_error'],
      [rule({ url_equals: 7 }), 'tags.0.trigger_rules.1.url_equals', 'validation_error'],
      [rule({ path_prefix: 'shop' }), 'tags.0.trigger_rules.1.path_prefix', 'validation_error'],
      [rule({ url_regex: '(' }), 'tags.0.trigger_rules.1.url_regex', 'validation_error'],
      [rule({ url_regex: '[a-' }), 'tags.0.trigger_rules.1.url_regex', 'validation_error'],
      [rule({ url_regex: '(a+)+$' }), 'tags.0.trigger_rules.1.url_regex', 'validation_error'],
      [rule({ url_regex: '^/(.*)*' }), 'tags.0.trigger_rules.1.url_regex', 'validation_error'],
      [rule({ url_regex: 'a'.repeat(257) }), 'tags.0.trigger_rules.1.url_regex', 'validation_error'],
      [rule('url_contains'), 'tags.0.trigger_rules.1', 'validation_error'],
      [[{ ...GA4, trigger_rules: Array.from({ length: 21 }, () => ({ url_contains: 'a' })) }], 'tags.0.trigger_rules', 'validation_error'],
      [Array.from({ length: 51 }, () => GA4), 'tags', 'validation_error'],
      [{ tag_id: 'ga4' }, 'tags', 'validation_error'],
    ];
    for (const [tags, field, code] of cases) {
      const res = await put(id, tags);
      assert.equal(res.status, 400, `${JSON.stringify(tags).slice(0, 120)}: ${res.status}`);
      assert.equal(res.body.code, code, JSON.stringify(res.body.details));
      assert.ok(res.body.details?.some((d) => d.field === field), `details name ${field}: ${JSON.stringify(res.body.details)}`);
    }
    for (const body of [{}, { tags: [GA4], more: 1 }, null]) {
      const res = await api.request('PUT', `/api/v1/clients/${id}/tags`, { body });
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.deepEqual((await get(id)).body.data, [CUSTOM]);
  });

  it('judges url_regex patterns only once the rest of the body is valid', async () => {
    const id = await newClient();
    await put(id, [CUSTOM]);
    // Exponential, and never judged before in this process.
    const unsafe = `^/${Date.now()}/(a+)+$`;
    const first = await put(id, [{ ...GA4, trigger_rules: [{ url_regex: unsafe }] }, { ...HOTJAR, enabled: 'yes' }]);
    assert.equal(first.status, 400);
    assert.deepEqual(first.body.details?.map((d) => d.field), ['tags.1.enabled']);
    const second = await put(id, [{ ...GA4, trigger_rules: [{ url_regex: unsafe }] }, HOTJAR]);
    assert.equal(second.status, 400);
    assert.deepEqual(second.body.details?.map((d) => d.field), ['tags.0.trigger_rules.0.url_regex']);
    assert.deepEqual((await get(id)).body.data, [CUSTOM]);
  });

  it('explains a refused regex in the message', async () => {
    const id = await newClient();
    const res = await put(id, [{ ...GA4, trigger_rules: [{ url_regex: '(a+)+' }] }]);
    assert.match(res.body.details?.[0]?.message ?? '', /find to run in linear time on any URL/);
  });

  it('accepts the limits themselves: 50 tags, 20 rules, 2048-character values, 256-character regexes', async () => {
    const id = await newClient();
    const rules = [
      { url_contains: 'c'.repeat(2048) },
      { path_prefix: `/${'p'.repeat(2047)}` },
      { url_regex: `^${'r'.repeat(255)}` },
      ...Array.from({ length: 17 }, (_, i) => ({ exclude_url_contains: `x${i}` })),
    ];
    const tags = Array.from({ length: 50 }, (_, i) => ({ ...GA4, params: { measurement_id: `G-${String(i).padStart(4, '0')}` }, trigger_rules: i === 0 ? rules : [] }));
    const res = await put(id, tags);
    assert.equal(res.status, 200, JSON.stringify(res.body.details));
    const stored = (await get(id)).body.data;
    assert.equal(stored.length, 50);
    assert.deepEqual(stored[0]?.trigger_rules, rules);
    assert.deepEqual(stored.map((t) => t.params.measurement_id), tags.map((t) => t.params.measurement_id));
  });

  it('keeps one request’s set whole under concurrent replacements', async () => {
    const id = await newClient();
    const sets = Array.from({ length: 20 }, (_, i) =>
      Array.from({ length: 1 + (i % 5) }, (_, j) => ({ ...GA4, params: { measurement_id: `G-R${String(i).padStart(3, '0')}X${j}` } })),
    );
    const replies = await Promise.all(sets.map((tags) => put(id, tags)));
    assert.deepEqual(replies.map((r) => r.status), sets.map(() => 200));
    const stored = (await get(id)).body.data;
    assert.ok(sets.some((tags) => JSON.stringify(tags) === JSON.stringify(stored)), `the stored set is one of the sets sent: ${JSON.stringify(stored)}`);
  });

  it('removes the tags with the client on hard delete, and not on soft delete', async () => {
    const id = await newClient();
    await put(id, [GA4, HOTJAR]);
    await api.request('DELETE', `/api/v1/clients/${id}`);
    assert.equal((await api.store.listTags(id)).length, 2);
    await api.request('DELETE', `/api/v1/clients/${id}?hard=true`);
    assert.deepEqual(await api.store.listTags(id), []);
    assert.equal((await get(id)).status, 404);
    // A new client with the same id starts with no tags.
    await api.request('POST', '/api/v1/clients', { body: { id, name: 'Again' } });
    assert.deepEqual((await get(id)).body.data, []);
  });
});
