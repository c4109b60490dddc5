import assert from 'node:assert/strict';
import { after, before, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { ADMIN, startApi, type Reply, type TestApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

/*
 * Property: a malformed PUT of tags or snippets, or POST of a hostname, is answered with a 4xx in
 * the error envelope and changes nothing stored. Every generated body starts valid and then gets at
 * least one part that is wrong on its own ("breakers"), so a 2xx is always a bug.
 * MYTHIC_FUZZ_SEED replays a run; the seed is reported as a diagnostic.
 */

const RUNS = 400;
const SEED = process.env.MYTHIC_FUZZ_SEED ? Number(process.env.MYTHIC_FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
const CLIENT = 'fuzz-tags';
const OTHER = 'fuzz-other';

type Json = Record<string, unknown>;

// Hard-coded, so the test does not trust the catalogue it checks.
const VALID_TAGS: Json[] = [
  { tag_id: 'ga4', params: { measurement_id: 'G-ABCD1234' } },
  { tag_id: 'gtm', enabled: false, params: { container_id: 'GTM-AB12CD3' }, trigger_rules: [] },
  { tag_id: 'meta_pixel', params: { pixel_id: '123456789012345' }, trigger_rules: [{ url_contains: '/checkout' }] },
  { tag_id: 'hotjar', params: { site_id: '1234567' }, trigger_rules: [{ path_prefix: '/' }, { exclude_url_contains: 'x' }] },
  { tag_id: 'linkedin_insight', params: { partner_id: '7654321' } },
  { tag_id: 'tiktok_pixel', params: { pixel_id: 'CABCDEFGHIJ123456789' }, trigger_rules: [{ url_regex: '^https://[a-z]+\\.example/' }] },
  { tag_id: 'custom_script', params: { src: 'https://cdn.example.com/a.js' }, trigger_rules: [{ url_equals: 'https://shop.example/' }] },
  // The documented forms: a template by its UUID, rules as one object (all keys must hold), {} for every page.
  { tag_id: 'f47ac10b-58cc-4372-a567-0e02b2c3d479', params: { measurement_id: 'G-WXYZ9876' }, trigger_rules: { url_contains: '/checkout' } },
  { tag_id: '2d8c69c4-f237-490c-9d0d-fbac31063c24', params: { site_id: '7654321' }, trigger_rules: {} },
  { tag_id: 'gtm', params: { container_id: 'GTM-ZZ12CD3' }, trigger_rules: { path_prefix: '/shop', url_regex: '^https://', exclude_url_contains: 'admin' } },
];
const PARAM_OF: Record<string, string> = {
  ga4: 'measurement_id', gtm: 'container_id', meta_pixel: 'pixel_id', hotjar: 'site_id',
  linkedin_insight: 'partner_id', tiktok_pixel: 'pixel_id', custom_script: 'src',
  'f47ac10b-58cc-4372-a567-0e02b2c3d479': 'measurement_id', '2d8c69c4-f237-490c-9d0d-fbac31063c24': 'site_id',
};
const TAG_IDS = new Set(Object.keys(PARAM_OF));
const TEMPLATE_UUIDS = [
  'f47ac10b-58cc-4372-a567-0e02b2c3d479', 'f53c5d7b-510d-4631-b704-79d7259b4393', 'ce0c0dea-2260-42dd-bb85-e64ad7e9de20', '2d8c69c4-f237-490c-9d0d-fbac31063c24',
  '1f95656d-99ec-4661-b19a-942ad79742ec', '431efe6f-5a6f-44d7-ba8b-8c5fb7d559be', '9deb373f-6591-4d8c-b8c9-83d0ffb0d1c7',
];
/** A UUID no template has: random ones, near misses, other spellings of real ones. */
const unknownUuid: fc.Arbitrary<string> = fc.oneof(
  fc.uuid().filter((u) => !TEMPLATE_UUIDS.includes(u)),
  fc.constantFrom(...TEMPLATE_UUIDS).map((u) => u.toUpperCase()),
  fc.constantFrom(...TEMPLATE_UUIDS).map((u) => `{${u}}`),
  fc.constantFrom(...TEMPLATE_UUIDS).map((u) => u.replace(/-/g, '')),
  fc.tuple(fc.constantFrom(...TEMPLATE_UUIDS), fc.nat(35), fc.constantFrom('0', 'f', 'g', ' ')).map(([u, i, c]) => u.slice(0, i) + c + u.slice(i + 1)).filter((u) => !TEMPLATE_UUIDS.includes(u)),
);
const RULE_KEYS = ['url_contains', 'url_equals', 'path_prefix', 'url_regex', 'exclude_url_contains'];

const smallJson = fc.jsonValue({ maxDepth: 2 });
const notAString = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(smallJson, { maxLength: 3 }), fc.dictionary(fc.string(), smallJson, { maxKeys: 3 }));
const notABoolean = fc.oneof(fc.integer(), fc.constantFrom('true', 'false', '', null), fc.array(smallJson, { maxLength: 2 }));
const unknownKey = (known: Set<string>) => fc.string({ minLength: 0, maxLength: 12 }).filter((k) => !known.has(k) && k !== '__proto__');

/** Text no parameter rule accepts: every rule is anchored and none allows a quote or a space. */
const injected = fc.string({ maxLength: 20 }).map((s) => `${s}"); alert(1); ("`);

const badRule: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant({}),
  fc.tuple(fc.shuffledSubarray(RULE_KEYS, { minLength: 2, maxLength: 5 }), fc.string({ minLength: 1, maxLength: 5 })).map(([keys, v]) => Object.fromEntries(keys.map((k) => [k, k === 'path_prefix' ? `/${v}` : v]))),
  fc.tuple(unknownKey(new Set(RULE_KEYS)), fc.string()).map(([k, v]) => ({ [k]: v })),
  fc.tuple(fc.constantFrom(...RULE_KEYS), fc.oneof(fc.constant(''), notAString)).map(([k, v]) => ({ [k]: v })),
  fc.tuple(fc.constantFrom('url_contains', 'url_equals', 'exclude_url_contains'), fc.integer({ min: 2049, max: 3000 })).map(([k, len]) => ({ [k]: 'u'.repeat(len) })),
  fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !s.startsWith('/')).map((v) => ({ path_prefix: v })),
  fc.constantFrom('(a+)+', '(.*)*', '((ab)*c)+', '(?:x|y+){2,}', '(', '[a-', 'a**', '(?<n>a)(?<n>b)', 'r'.repeat(257)).map((v) => ({ url_regex: v })),
  notAString.filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)),
);

/** The object form of trigger rules, broken: at least one key or value that is wrong on its own. */
const badRuleObject: fc.Arbitrary<unknown> = fc
  .tuple(
    fc.dictionary(fc.constantFrom('url_contains', 'exclude_url_contains'), fc.string({ minLength: 1, maxLength: 5 }), { maxKeys: 2 }),
    fc.oneof(
      fc.tuple(unknownKey(new Set(RULE_KEYS)), fc.oneof(fc.string(), notAString)).map(([k, v]) => ({ [k]: v })),
      fc.constantFrom('constructor', 'prototype', 'toString', 'hasOwnProperty', 'URL_CONTAINS', 'url_contains ').map((k) => ({ [k]: '/x' })),
      fc.tuple(fc.constantFrom(...RULE_KEYS), fc.oneof(fc.constant(''), notAString)).map(([k, v]) => ({ [k]: v })),
      fc.tuple(fc.constantFrom('url_equals', 'path_prefix'), fc.integer({ min: 2049, max: 3000 })).map(([k, len]) => ({ [k]: `/${'u'.repeat(len)}` })),
      fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !s.startsWith('/')).map((v) => ({ path_prefix: v })),
      fc.constantFrom('(a+)+', '(.*)*', '((ab)*c)+', '(', '[a-', 'a**', 'r'.repeat(257)).map((v) => ({ url_regex: v })),
    ),
  )
  // The broken key last, so it overrides a valid one of the same name.
  .map(([valid, broken]) => ({ ...valid, ...broken }));

/** trigger_rules that is neither a list nor an object. */
const notRules: fc.Arbitrary<unknown> = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));

/** A body that is no object, an object without `key`, or an object whose `key` is no array. */
function notABody(key: string, valid: fc.Arbitrary<Json[]>): fc.Arbitrary<unknown> {
  const scalar = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 5 }));
  return fc.oneof(scalar, valid, fc.constant({}), scalar.map((v) => ({ [key]: v })), fc.dictionary(fc.string(), smallJson, { maxKeys: 3 }).map((o) => ({ ...o, [key]: { ...o } })));
}

type Breaker = (tags: Json[], at: number) => fc.Arbitrary<unknown>;
const at = (tags: Json[], i: number, change: (tag: Json) => Json): Json[] => tags.map((t, j) => (j === i ? change({ ...t }) : t));

const tagBreakers: Breaker[] = [
  (tags, i) => unknownKey(TAG_IDS).map((id) => at(tags, i, (t) => ({ ...t, tag_id: id }))),
  (tags, i) => notAString.map((id) => at(tags, i, (t) => ({ ...t, tag_id: id }))),
  (tags, i) => fc.constant(at(tags, i, (t) => ({ ...t, params: {} }))),
  (tags, i) => fc.tuple(unknownKey(new Set(Object.values(PARAM_OF))), fc.string()).map(([k, v]) => at(tags, i, (t) => ({ ...t, params: { ...(t.params as Json), [k]: v } }))),
  (tags, i) => fc.oneof(notAString, injected).map((v) => at(tags, i, (t) => ({ ...t, params: { [PARAM_OF[t.tag_id as string] as string]: v } }))),
  (tags, i) => notAString.filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)).map((v) => at(tags, i, (t) => ({ ...t, params: v }))),
  (tags, i) => notABoolean.map((v) => at(tags, i, (t) => ({ ...t, enabled: v }))),
  (tags, i) => fc.tuple(fc.array(fc.constant({ url_contains: 'ok' }), { maxLength: 3 }), badRule).map(([ok, bad]) => at(tags, i, (t) => ({ ...t, trigger_rules: [...ok, bad] }))),
  (tags, i) => fc.constant(at(tags, i, (t) => ({ ...t, trigger_rules: Array.from({ length: 21 }, () => ({ url_contains: 'a' })) }))),
  (tags, i) => unknownUuid.map((id) => at(tags, i, (t) => ({ ...t, tag_id: id }))),
  (tags, i) => fc.oneof(badRuleObject, notRules).map((rules) => at(tags, i, (t) => ({ ...t, trigger_rules: rules }))),
  (tags, i) => fc.tuple(unknownKey(new Set(['tag_id', 'enabled', 'params', 'trigger_rules'])), smallJson).map(([k, v]) => at(tags, i, (t) => ({ ...t, [k]: v }))),
];

const validTags = fc.array(fc.constantFrom(...VALID_TAGS), { minLength: 1, maxLength: 8 });
const malformedTagsBody: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 20, arbitrary: validTags.chain((tags) => fc.tuple(fc.nat(tags.length - 1), fc.constantFrom(...tagBreakers)).chain(([i, breaker]) => breaker(tags, i))).map((tags) => ({ tags })) },
  { weight: 1, arbitrary: fc.constant({ tags: Array.from({ length: 51 }, () => VALID_TAGS[0]) }) },
  { weight: 1, arbitrary: fc.tuple(validTags, unknownKey(new Set(['tags'])), smallJson).map(([tags, k, v]) => ({ tags, [k]: v })) },
  { weight: 1, arbitrary: notABody('tags', validTags) },
);

const VALID_SNIPPETS: Json[] = [
  { code: '<p>a</p>' },
  { code: '<script>1</script>', description: 'd', enabled: false, trigger_rules: [{ path_prefix: '/x' }] },
  { code: '<script src="https://widgets.example/c.js"></script>', description: 'Checkout widget', enabled: true, trigger_rules: {} },
  { code: '<i>b</i>', trigger_rules: { url_contains: '/cart', exclude_url_contains: 'preview' } },
];
const snippetBreakers: Breaker[] = [
  (s, i) => fc.oneof(fc.constant(''), notAString).map((v) => at(s, i, (x) => ({ ...x, code: v }))),
  (s, i) => fc.integer({ min: 1, max: 3 }).map((extra) => at(s, i, (x) => ({ ...x, code: 'é'.repeat(32 * 1024) + 'a'.repeat(extra) }))),
  (s, i) => fc.oneof(fc.integer({ min: 256, max: 400 }).map((n) => 'd'.repeat(n)), notAString).map((v) => at(s, i, (x) => ({ ...x, description: v }))),
  (s, i) => fc.oneof(fc.stringMatching(/^[0-9a-f]{24}$/).map((h) => `snp_${h}`), fc.string(), notAString).map((v) => at(s, i, (x) => ({ ...x, id: v }))),
  (s, i) => notABoolean.map((v) => at(s, i, (x) => ({ ...x, enabled: v }))),
  (s, i) => badRule.map((r) => at(s, i, (x) => ({ ...x, trigger_rules: [r] }))),
  (s, i) => fc.oneof(badRuleObject, notRules).map((rules) => at(s, i, (x) => ({ ...x, trigger_rules: rules }))),
  (s, i) => fc.tuple(unknownKey(new Set(['id', 'code', 'description', 'enabled', 'trigger_rules'])), smallJson).map(([k, v]) => at(s, i, (x) => ({ ...x, [k]: v }))),
];
const validSnippets = fc.array(fc.constantFrom(...VALID_SNIPPETS), { minLength: 1, maxLength: 5 });
const malformedSnippetsBody: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 20, arbitrary: validSnippets.chain((s) => fc.tuple(fc.nat(s.length - 1), fc.constantFrom(...snippetBreakers)).chain(([i, breaker]) => breaker(s, i))).map((snippets) => ({ snippets })) },
  { weight: 1, arbitrary: fc.constant({ snippets: Array.from({ length: 51 }, () => VALID_SNIPPETS[0]) }) },
  { weight: 1, arbitrary: notABody('snippets', validSnippets) },
);

const malformedHostname: fc.Arbitrary<unknown> = fc.oneof(
  fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom(' ', '/', ':', '@', '?', '#', '\\', '[', '%', '_')).map(([s, bad]) => ({ hostname: `a${s}${bad}b.example` })),
  fc.constantFrom('', '.', '..', '-a.example', 'a-.example', `${'a'.repeat(64)}.example`, 'https://a.example').map((h) => ({ hostname: h })),
  // Local testing takes localhost and IP addresses with a port; broken forms of them stay refused.
  fc.constantFrom(
    '1.2.3', '1.2.3.256', '01.2.3.4', '1.2.3.4:0', '1.2.3.4:65536', '1.2.3.4:', '1.2.3.4:80:80', 'localhost:', 'localhost:x', 'localhost:-1',
    '::1', '[::1', '::1]', '[::1]:', '[::1]:0', '[::g]', '[fe80::1%eth0]', '[1.2.3.4]', '[]', 'http://localhost:3000', 'localhost:3000/x',
  ).map((h) => ({ hostname: h })),
  fc.tuple(fc.constantFrom('localhost', '127.0.0.1', '[::1]'), fc.integer({ min: 65_536, max: 10_000_000 })).map(([h, port]) => ({ hostname: `${h}:${port}` })),
  notAString.map((h) => ({ hostname: h })),
  // Held by the other client, as a domain or as a hostname: a 409.
  fc.constantFrom('other.example', 'OTHER.example.', 'held.example').map((h) => ({ hostname: h })),
  fc.tuple(unknownKey(new Set(['hostname'])), smallJson).map(([k, v]) => ({ hostname: 'fine.example', [k]: v })),
);

const STATUS_OF_CODE: Record<string, number> = { invalid_json: 400, validation_error: 400, unknown_field: 400, conflict: 409 };

function expectRefusal(res: Reply, tally: Map<string, number>, what: () => string): void {
  const label = `${res.status} ${res.body?.code ?? '(no code)'}`;
  tally.set(label, (tally.get(label) ?? 0) + 1);
  assert.ok(res.status >= 400 && res.status < 500, `${label} for ${what()}`);
  assert.equal(res.body.success, false);
  assert.equal(res.body.data, null);
  assert.equal(STATUS_OF_CODE[res.body.code ?? ''], res.status, `code ${res.body.code} for ${what()}`);
  // invalid_json (a `__proto__` key, say) has no field to name; every other refusal names one.
  if (res.body.code !== 'invalid_json') assert.ok(Array.isArray(res.body.details) && res.body.details.length > 0, `${res.body.code} names the field(s): ${what()}`);
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
};

function report(t: TestContext, title: string, tally: Map<string, number>): void {
  t.diagnostic(`${title} (seed ${SEED}): ${[...tally.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
}

describeEachStore('fuzzing tags, snippets and hostnames with malformed input', (kind) => {
  let api: TestApi;
  let stored: string;

  async function snapshot(): Promise<string> {
    const parts: string[] = [];
    for (const id of [CLIENT, OTHER]) {
      for (const what of ['', '/tags', '/snippets', '/hostnames']) {
        const url = `/api/v1/clients/${id}${what}`;
        const res = await api.app.inject({ method: 'GET', url, headers: ADMIN });
        assert.equal(res.statusCode, 200, url);
        parts.push(res.body);
      }
    }
    return parts.join('\n');
  }

  before(async () => {
    api = await startApi(kind);
    assert.equal((await api.request('POST', '/api/v1/clients', { body: { id: CLIENT, name: 'Fuzz', domain: 'fuzz.example' } })).status, 201);
    assert.equal((await api.request('POST', '/api/v1/clients', { body: { id: OTHER, name: 'Other', domain: 'other.example' } })).status, 201);
    assert.equal((await api.request('POST', `/api/v1/clients/${OTHER}/hostnames`, { body: { hostname: 'held.example' } })).status, 201);
    assert.equal((await api.request('PUT', `/api/v1/clients/${CLIENT}/tags`, { body: { tags: VALID_TAGS } })).status, 200);
    assert.equal((await api.request('PUT', `/api/v1/clients/${CLIENT}/snippets`, { body: { snippets: VALID_SNIPPETS } })).status, 200);
    assert.equal((await api.request('POST', `/api/v1/clients/${CLIENT}/hostnames`, { body: { hostname: 'mine.example' } })).status, 201);
    stored = await snapshot();
    // Any later write would move updated_at, so even a write of the same values shows.
    api.clock.advance(60_000);
  });
  after(async () => {
    assert.ok(api.contract.checked >= 3 * RUNS, 'responses were checked against the OpenAPI document');
    await api.close();
  });

  it(`refuses ${RUNS} malformed tag sets and changes nothing`, async (t) => {
    const tally = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(malformedTagsBody, async (body) => {
        expectRefusal(await api.request('PUT', `/api/v1/clients/${CLIENT}/tags`, { body }), tally, () => show(body));
      }),
      { numRuns: RUNS, seed: SEED },
    );
    report(t, 'PUT tags', tally);
    assert.equal(await snapshot(), stored);
  });

  it(`refuses ${RUNS} malformed snippet sets and changes nothing`, async (t) => {
    const tally = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(malformedSnippetsBody, async (body) => {
        expectRefusal(await api.request('PUT', `/api/v1/clients/${CLIENT}/snippets`, { body }), tally, () => show(body));
      }),
      { numRuns: RUNS, seed: SEED },
    );
    report(t, 'PUT snippets', tally);
    assert.equal(await snapshot(), stored);
  });

  it(`refuses ${RUNS} malformed or taken hostnames and changes nothing`, async (t) => {
    const tally = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(malformedHostname, async (body) => {
        expectRefusal(await api.request('POST', `/api/v1/clients/${CLIENT}/hostnames`, { body }), tally, () => show(body));
      }),
      { numRuns: RUNS, seed: SEED },
    );
    report(t, 'POST hostnames', tally);
    assert.ok((tally.get('409 conflict') ?? 0) > 0, 'collisions were tried');
    assert.equal(await snapshot(), stored);
  });
});
