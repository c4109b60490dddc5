import assert from 'node:assert/strict';
import { after, before, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { ADMIN, SEED_CLIENT, startApi, type Envelope, type Reply, type TestApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

/*
 * Property: no malformed request to the clients API is ever answered with anything but a 4xx in the
 * error envelope, and none of them changes what is stored. Every generated body carries at least
 * one part that is wrong on its own (the "breakers" below), whatever else it holds, so a 2xx is
 * always a bug in the server or in a breaker; the failing example is printed by fast-check.
 *
 * Set MYTHIC_FUZZ_SEED to replay a run; the seed of every run is reported as a diagnostic.
 */

const RUNS = { create: 2_000, patch: 2_000, rawBody: 300, query: 300 };
const SEED = process.env.MYTHIC_FUZZ_SEED ? Number(process.env.MYTHIC_FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);

type Json = Record<string, unknown>;

/** Which status goes with which error code: a 400 labelled `conflict` would be a bug too. */
const STATUS_OF_CODE: Record<string, number> = {
  invalid_json: 400,
  validation_error: 400,
  unknown_field: 400,
  no_fields: 400,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
};

/** The documented create fields; anything else is unknown. Hard-coded so the test does not trust src. */
const CREATE_FIELDS = new Set([
  'id', 'name', 'status', 'domain', 'email', 'phone', 'website', 'timezone', 'global_name',
  'company_id', 'agency_id', 'api_metadata', 'ghl_location_id', 'proxy_api_key', 'ip_storage', 'sdk_settings',
]);
const PATCH_TARGET = '/api/v1/clients/acme-retail';

/** The other seeded clients, whose unique values a malformed request may collide with. */
const BETA = { id: 'beta-shop', name: 'Beta Shop', domain: 'beta.example', global_name: 'betaShop', api_metadata: { tier: { level: 2, tags: ['a', 'b'] } } };
const GAMMA = { id: 'gamma_old', name: 'Gamma (gone)', domain: 'Gämma.example', global_name: 'gammaOld', email: 'g@gamma.example' };

// ---------------------------------------------------------------------------------------------
// Building blocks

/** Sets an own property even for `__proto__`, which plain assignment would treat as the prototype. */
function setOwn(target: Json, key: string, value: unknown): Json {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

function objectOf(entries: [string, unknown][]): Json {
  const out: Json = {};
  for (const [k, v] of entries) setOwn(out, k, v);
  return out;
}

/** Characters no store may hold: NUL and unpaired surrogates. */
const unstorableChar = fc.constantFrom('\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uD83D');

/** `base` with one unstorable character inserted; base must hold no surrogates itself. */
const tainted = (base: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(base, unstorableChar, fc.nat()).map(([s, bad, at]) => {
    const i = s.length === 0 ? 0 : at % (s.length + 1);
    return s.slice(0, i) + bad + s.slice(i);
  });

const safeText = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 });
const finiteNumber = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
const smallJson = fc.jsonValue({ maxDepth: 2 });
const jsonArray = fc.array(smallJson, { maxLength: 4 });
const jsonObject = fc.dictionary(safeText, smallJson, { maxKeys: 4 });

/** Values of the wrong JSON type for a string field; `null` is added where null is not allowed. */
const notAString = fc.oneof(finiteNumber, fc.boolean(), jsonArray, jsonObject);
const notAStringNorNull = fc.oneof(notAString, fc.constant(null));
const notABoolean = fc.oneof(finiteNumber, fc.constantFrom('true', 'false', '1', '', 'yes'), jsonArray, jsonObject, fc.constant(null));
const notAnObject = fc.oneof(finiteNumber, fc.boolean(), fc.string(), jsonArray);

/** At least `min` code points (ajv counts code points, not UTF-16 units). */
const tooLong = (min: number, unit: string): fc.Arbitrary<string> =>
  fc.integer({ min, max: min + 300 }).map((n) => unit.repeat(n));

/** Nested arrays/objects `levels` deep, wrapped around `leaf`. */
function nest(levels: number, leaf: unknown, asObject: boolean): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i += 1) value = asObject ? { d: value } : [value];
  return value;
}

// ---------------------------------------------------------------------------------------------
// Valid values, from which bodies are built before they are broken

const validId = fc.stringMatching(/^[a-zA-Z0-9_-]{1,40}$/).map((s) => `fz-${s}`);
const VALID: Record<string, fc.Arbitrary<unknown>> = {
  name: fc.constantFrom('Fuzz Shop', '  Bücher Laden  ', 'n'.repeat(255), 'Ω', '名前'),
  status: fc.boolean(),
  domain: fc.constantFrom('fuzz.example', 'Bücher.Example.', 'a-b.c-d.example', null),
  email: fc.constantFrom('a@fuzz.example', 'first.last+tag@sub.fuzz.example', null),
  phone: fc.constantFrom('+1 (415) 555-0198', '0', null),
  website: fc.constantFrom('https://fuzz.example/shop?x=1#y', 'http://localhost:8080', null),
  timezone: fc.constantFrom('Europe/Berlin', 'utc', 'America/Argentina/Buenos_Aires', null),
  global_name: fc.constantFrom('fuzzShop', '$fuzz', '_f1', null),
  company_id: fc.option(safeText),
  agency_id: fc.option(safeText),
  ghl_location_id: fc.option(safeText),
  proxy_api_key: fc.option(safeText),
  // Nested junk that is still valid: unicode keys, `constructor` and `toString` as plain keys.
  api_metadata: fc.option(
    fc.tuple(jsonObject, fc.boolean()).map(([o, odd]) => (odd ? { ...o, constructor: 1, toString: 'x', 'ключ': [null, { '🔑': true }] } : o)),
  ),
  ip_storage: fc.constantFrom('truncated', 'hashed', 'none', null),
  sdk_settings: fc.option(
    fc.record(
      {
        capture_pageview: fc.boolean(),
        require_consent: fc.boolean(),
        session_timeout_minutes: fc.integer({ min: 1, max: 720 }),
        batch_size: fc.integer({ min: 1, max: 100 }),
        flush_interval_ms: fc.integer({ min: 100, max: 60_000 }),
      },
      { requiredKeys: [] },
    ),
  ),
};
const SETTABLE = Object.keys(VALID);

/** A valid subset of the settable fields (possibly empty). */
const validFields: fc.Arbitrary<[string, unknown][]> = fc
  .subarray(SETTABLE)
  .chain((fields) => fc.tuple(...fields.map((f) => VALID[f] as fc.Arbitrary<unknown>)).map((values) => fields.map((f, i): [string, unknown] => [f, values[i]])));

// ---------------------------------------------------------------------------------------------
// Breakers: each is wrong on its own, whatever the rest of the body holds.

type Breaker = { set: [string, unknown] } | { drop: string };
const set = (field: string, value: fc.Arbitrary<unknown>): fc.Arbitrary<Breaker> => value.map((v) => ({ set: [field, v] }));

const OPTIONAL_TEXT = ['company_id', 'agency_id', 'ghl_location_id', 'proxy_api_key'];

/** Metadata that breaks a rule: too big (in bytes, not characters), too deep, poisoned keys, NUL. */
const badMetadata: fc.Arbitrary<unknown> = fc.oneof(
  notAnObject,
  fc.integer({ min: 16 * 1024, max: 40_000 }).map((n) => ({ blob: 'x'.repeat(n) })),
  // 8,200 two-byte characters: under 16 KiB of characters, over 16 KiB of UTF-8.
  fc.constant({ blob: 'é'.repeat(8_200) }),
  fc.integer({ min: 800, max: 1_000 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`key-${i}`, 'value-value']))),
  // Regression: nesting past the depth limit was a 500 (stack overflow) before it was refused.
  fc.tuple(fc.integer({ min: 100, max: 2_000 }), fc.boolean()).map(([levels, asObject]) => ({ deep: nest(levels, 1, asObject) })),
  fc.tuple(jsonObject, tainted(safeText), smallJson).map(([o, key, v]) => objectOf([...Object.entries(o), [key, v]])),
  fc.tuple(jsonObject, tainted(safeText)).map(([o, text]) => ({ ...o, nested: { list: [1, { text }] } })),
  fc.tuple(jsonObject, smallJson).map(([o, v]) => ({ ...o, inner: objectOf([['__proto__', { polluted: v }]]) })),
  fc.tuple(jsonObject, smallJson).map(([o, v]) => objectOf([...Object.entries(o), ['constructor', { prototype: { polluted: v } }]])),
);

/** Breakers valid for both create and PATCH. */
const commonBreakers: fc.Arbitrary<Breaker>[] = [
  set('name', fc.oneof(
    fc.constantFrom('', ' ', '   ', '\t\n', '\u00a0', '\u2003\u3000', '\ufeff'),
    tooLong(256, 'n'),
    tooLong(256, '😀'),
    notAStringNorNull,
    tainted(fc.constant('Acme Retail')),
  )),
  set('status', notABoolean),
  set('domain', fc.oneof(
    fc.constantFrom('https://acme.example', 'acme.example:8080', 'acme.example/shop', '10.0.0.1', '-bad-.example', 'bad-.example',
      'a..b.example', '', ' ', 'acme example', 'user@acme.example', 'acme.example?x', 'a_b.example', '[::1]', `${'a'.repeat(64)}.example`,
      `${'abcdefghi.'.repeat(26)}example`, 'example.123', '.', '..'),
    tooLong(256, 'a'),
    notAString,
    tainted(fc.constant('acme.example')),
  )),
  set('email', fc.oneof(
    fc.constantFrom('not-an-email', 'a@', '@b.example', 'a b@c.example', 'a@b..example', 'a@@b.example', '', 'a@-b.example', 'ops@acme-retail.com '),
    fc.integer({ min: 250, max: 400 }).map((n) => `${'a'.repeat(n)}@x.example`),
    notAString,
    tainted(fc.constant('ops@acme.example')),
  )),
  set('phone', fc.oneof(
    fc.constantFrom('call me', '', '+-() .', '١٢٣', '+1 415 555 0198 ext', '１２３'),
    fc.integer({ min: 33, max: 60 }).map((n) => '1'.repeat(n)),
    notAString,
    tainted(fc.constant('+1 415 555')),
  )),
  set('website', fc.oneof(
    fc.constantFrom('acme.example', 'ftp://acme.example', 'http://', 'https://', 'javascript:alert(1)', '//acme.example', 'http//acme.example',
      'mailto:a@b.example', 'https://:80', 'file:///etc/passwd', ''),
    fc.integer({ min: 250, max: 400 }).map((n) => `https://acme.example/${'p'.repeat(n)}`),
    notAString,
    tainted(fc.constant('https://acme.example')),
  )),
  set('timezone', fc.oneof(
    fc.constantFrom('Mars/Olympus_Mons', '+01:00', 'Europe/Berlinn', '', 'Europe/', '../etc/passwd', 'America/New York', 'GMT+25', '/UTC'),
    tooLong(65, 'x'),
    notAString,
    tainted(fc.constant('Europe/Berlin')),
  )),
  set('global_name', fc.oneof(
    fc.constantFrom('class', 'let', 'await', 'yield', 'undefined', 'NaN', 'eval', 'arguments', 'window', 'document', 'dataLayer', 'gtag', 'fbq',
      'globalThis', 'JSON', '1abc', 'has-dash', 'has space', 'ñame', '', 'a.b'),
    tooLong(65, 'g'),
    notAString,
    tainted(fc.constant('acmeGlobal')),
  )),
  ...OPTIONAL_TEXT.map((field) => set(field, fc.oneof(fc.constant(''), tooLong(256, 'c'), tooLong(256, '字'), notAString, tainted(safeText)))),
  set('api_metadata', badMetadata),
  set('ip_storage', fc.oneof(fc.constantFrom('full', 'TRUNCATED', '', 'hash'), fc.oneof(finiteNumber, fc.boolean(), jsonArray, jsonObject))),
  set('sdk_settings', fc.oneof(
    notAnObject,
    fc.constantFrom({ batch_size: 0 }, { batch_size: 101 }, { batch_size: 2.5 }, { session_timeout_minutes: 721 }, { flush_interval_ms: 99 },
      { respect_dnt: 'true' }, { capture_pageleave: null }, { autocapture: true }, { batch_size: '10' }),
  )),
  // Unknown fields: documented response fields, near misses, and random names.
  fc.tuple(
    fc.oneof(
      fc.constantFrom('secret_key', 'publishable_key', 'created_at', 'updated_at', 'Name', 'name ', 'apiMetadata', 'metadata', 'constructor', 'toString', '', 'hasOwnProperty'),
      fc.string({ unit: 'binary', maxLength: 12 }).filter((k) => !CREATE_FIELDS.has(k)),
    ),
    smallJson,
  ).map(([field, value]): Breaker => ({ set: [field, value] })),
  // Keys no store can hold, and the prototype-poisoning keys.
  fc.tuple(tainted(fc.constantFrom('name', 'domain', 'x')), smallJson).map(([field, value]): Breaker => ({ set: [field, value] })),
  fc.tuple(fc.constantFrom('__proto__'), jsonObject).map(([field, value]): Breaker => ({ set: [field, value] })),
  fc.constant<Breaker>({ set: ['constructor', { prototype: { isAdmin: true } }] }),
];

const createBreakers: fc.Arbitrary<Breaker>[] = [
  ...commonBreakers,
  set('id', fc.oneof(
    fc.constantFrom('', 'has space', 'dot.ted', 'slash/ed', 'ümlaut', 'semi;colon', 'pct%41', 'tab\t', 'line\n'),
    tooLong(256, 'i'),
    notAStringNorNull,
    tainted(fc.constant('fuzz-id')),
  )),
  fc.constantFrom<Breaker>({ drop: 'id' }, { drop: 'name' }),
  // Collisions with stored clients: 409s, which must not store anything either.
  fc.constant<Breaker>({ set: ['id', SEED_CLIENT.id] }),
  fc.constantFrom('ACME-RETAIL.COM', 'acme-retail.com.', BETA.domain, 'gämma.example', 'xn--gmma-loa.example').map((d): Breaker => ({ set: ['domain', d] })),
  fc.constantFrom(SEED_CLIENT.global_name, BETA.global_name, GAMMA.global_name).map((g): Breaker => ({ set: ['global_name', g] })),
];

const patchBreakers: fc.Arbitrary<Breaker>[] = [
  ...commonBreakers,
  // id is not settable: any value of it is an unknown field on PATCH.
  set('id', fc.oneof(fc.constant(SEED_CLIENT.id), validId, smallJson)),
  fc.constantFrom('BETA.example', 'GÄMMA.example', 'xn--gmma-loa.example.').map((d): Breaker => ({ set: ['domain', d] })),
  fc.constantFrom(BETA.global_name, GAMMA.global_name).map((g): Breaker => ({ set: ['global_name', g] })),
];

function applyBreakers(body: Json, breakers: Breaker[]): Json {
  for (const b of breakers) {
    if ('drop' in b) delete body[b.drop];
    else setOwn(body, b.set[0], b.set[1]);
  }
  return body;
}

/** A body that is not an object at all. */
const notAnObjectBody = (valid: fc.Arbitrary<Json>): fc.Arbitrary<unknown> =>
  fc.oneof(fc.constant(null), finiteNumber, fc.string(), fc.boolean(), valid.map((b) => [b]), jsonArray);

const validCreate: fc.Arbitrary<Json> = fc.tuple(validId, validFields).map(([id, fields]) => objectOf([['id', id], ['name', 'Fuzz'], ...fields]));

const malformedCreate: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 20, arbitrary: fc.tuple(validCreate, fc.array(fc.oneof(...createBreakers), { minLength: 1, maxLength: 4 })).map(([b, br]) => applyBreakers(b, br)) },
  { weight: 1, arbitrary: notAnObjectBody(validCreate) },
  { weight: 1, arbitrary: fc.constant({}) },
);

const malformedPatch: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 20, arbitrary: fc.tuple(validFields, fc.array(fc.oneof(...patchBreakers), { minLength: 1, maxLength: 4 })).map(([f, br]) => applyBreakers(objectOf(f), br)) },
  { weight: 1, arbitrary: notAnObjectBody(validFields.map(objectOf)) },
  // An empty patch changes nothing and is refused with no_fields.
  { weight: 2, arbitrary: fc.constant({}) },
);

// ---------------------------------------------------------------------------------------------
// Raw payloads: text that is not JSON, or JSON sent as something else.

interface RawCase {
  method: 'POST' | 'PATCH';
  payload: string | Buffer;
  headers: Record<string, string>;
  label: string;
}

function parsesAsObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

const JSON_TYPE = { 'content-type': 'application/json' };
const validRawBody = (method: 'POST' | 'PATCH', n: number): string =>
  JSON.stringify(method === 'POST' ? { id: `raw-${n}`, name: 'Raw' } : { name: 'Raw change' });

const rawCase: fc.Arbitrary<RawCase> = fc.tuple(fc.constantFrom<'POST' | 'PATCH'>('POST', 'PATCH'), fc.nat()).chain(([method, n]) => {
  const valid = validRawBody(method, n);
  const json = (label: string, text: fc.Arbitrary<string>): fc.Arbitrary<RawCase> =>
    text.map((payload) => ({ method, payload, headers: JSON_TYPE, label }));
  return fc.oneof(
    json('random text', fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string()).filter((s) => !parsesAsObject(s))),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes))
      .filter((b) => !parsesAsObject(new TextDecoder().decode(b)))
      .map((payload): RawCase => ({ method, payload, headers: JSON_TYPE, label: 'random bytes' })),
    // Every proper prefix of an object's text is either blank or not JSON.
    json('truncated', fc.nat().map((k) => valid.slice(0, k % valid.length))),
    json('corrupted', fc.tuple(fc.nat(), fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\\', "'", 'x', '\u0000'))
      .map(([k, c]) => { const i = k % (valid.length + 1); return valid.slice(0, i) + c + valid.slice(i); })
      .filter((s) => !parsesAsObject(s))),
    json('not JSON syntax', fc.constantFrom(
      `${valid}x`, `${valid}${valid}`, valid.replace(/"/g, "'"), valid.replace(/}$/, ',}'), `/* c */${valid}`, valid.replace(/"Raw[^"]*"/, 'NaN'),
      valid.replace(/"Raw[^"]*"/, '0x1F'), `{${valid}}`, '{', '}', '{"name":}', '{name:"x"}', 'undefined',
    )),
    // A valid object whose text holds bytes that are not UTF-8: a stray byte, an overlong form,
    // a truncated sequence, an encoded surrogate, a byte past U+10FFFF. Never stored as U+FFFD.
    fc.tuple(fc.constantFrom([0xff], [0xfe], [0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]), fc.nat())
      .map(([bytes, k]): RawCase => {
        const text = Buffer.from(valid);
        // Anywhere inside the name's value, where a lenient decoder would keep it as text.
        const at = valid.indexOf('"Raw') + 1 + (k % 4);
        return { method, payload: Buffer.concat([text.subarray(0, at), Buffer.from(bytes), text.subarray(at)]), headers: JSON_TYPE, label: 'not UTF-8' };
      }),
    // Valid JSON that is not an object, and a duplicate key whose last value is the broken one.
    json('JSON not an object', fc.constantFrom('[]', '[{}]', '"text"', '42', 'true', 'null', '  ', '')),
    json('duplicate key', fc.constantFrom(`${valid.slice(0, -1)},"name":""}`, `${valid.slice(0, -1)},"name":null}`, `${valid.slice(0, -1)},"status":"yes"}`)),
    fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/json',
      'application/json-patch+json', 'application/merge-patch+json', 'application/jsonx', 'json', '*/*', 'application/*', 'text/html; charset=utf-8', '')
      .map((type): RawCase => ({ method, payload: valid, headers: { 'content-type': type }, label: `content-type ${type || '(empty)'}` })),
    fc.constant<RawCase>({ method, payload: valid, headers: {}, label: 'no content-type' }),
    fc.constant<RawCase>({ method, payload: 'id=x&name=y', headers: { 'content-type': 'application/x-www-form-urlencoded' }, label: 'form body' }),
    // Over the 1 MiB body limit.
    fc.integer({ min: 1024 * 1024, max: 1024 * 1024 + 4096 }).map((n): RawCase => ({
      method,
      payload: JSON.stringify({ id: `big-${n}`, name: 'Big', api_metadata: { blob: 'x'.repeat(n) } }),
      headers: JSON_TYPE,
      label: 'over 1 MiB',
    })),
  );
});

// ---------------------------------------------------------------------------------------------
// Query strings for GET /api/v1/clients: at least one broken parameter, plus noise.

const QUERY_PARAMS = new Set(['limit', 'offset', 'cursor', 'status', 'agency_id', 'company_id', 'ghl_location_id', 'domain', 'q']);
const enc = encodeURIComponent;
const brokenParam: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('0', '501', '-1', 'abc', '1.5', '', 'true', '1,2', '99999999999999999999').map((v) => `limit=${enc(v)}`),
  fc.constantFrom('-1', 'abc', '1.5', '', '-0.5').map((v) => `offset=${enc(v)}`),
  fc.constantFrom('garbage', '', '!!!!', 'eyJ4IjoxfQ', 'AAAA').map((v) => `cursor=${enc(v)}`),
  fc.constantFrom('0', '1', '2', 'yes', 'perhaps', '', 'TRUE ').map((v) => `status=${enc(v)}`),
  fc.constant('offset=1&cursor=abc'),
  fc.constantFrom('limit=1&limit=2', 'q=a&q=b', 'status=true&status=false', 'offset=1&offset=2', 'domain=a&domain=b'),
  fc.constantFrom('q', 'agency_id', 'company_id', 'ghl_location_id', 'domain').chain((p) =>
    fc.oneof(tooLong(256, 'z').map((v) => `${p}=${v}`), tooLong(256, 'ü').map((v) => `${p}=${enc(v)}`), safeText.map((v) => `${p}=${enc(v)}%00`)),
  ),
  fc.oneof(fc.constantFrom('colour', 'hard', 'page', 'sort', 'Limit', 'id', 'name'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).filter((k) => !QUERY_PARAMS.has(k) && k.trim() !== '')).chain((k) =>
    smallJson.map((v) => `${enc(k)}=${enc(JSON.stringify(v))}`),
  ),
);
const queryNoise: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('limit=10', 'offset=0', 'status=true', 'q=acme', 'domain=ACME-RETAIL.COM', '&', '%zz=1', 'q=%ED%A0%80', 'q=%zz', 'q=50%25', 'agency_id=example_string'),
  fc.string({ unit: 'binary', maxLength: 20 }).map((v) => `q=${enc(v)}`),
);
const malformedQuery: fc.Arbitrary<string> = fc
  .tuple(fc.array(brokenParam, { minLength: 1, maxLength: 3 }), fc.array(queryNoise, { maxLength: 3 }))
  .chain(([broken, noise]) => fc.shuffledSubarray([...broken, ...noise], { minLength: broken.length + noise.length }))
  .map((parts) => `/api/v1/clients?${parts.join('&')}`);

// ---------------------------------------------------------------------------------------------

/** Every stored client and its keys, as the API shows them, byte for byte. */
async function snapshot(api: TestApi): Promise<string> {
  const get = async (url: string): Promise<string> => {
    const res = await api.app.inject({ method: 'GET', url, headers: ADMIN });
    assert.equal(res.statusCode, 200, url);
    api.contract.check('GET', url, res.statusCode, res.json());
    return res.body;
  };
  const list = await get('/api/v1/clients?limit=500');
  const ids = (JSON.parse(list) as Envelope<{ id: string }[]>).data.map((c) => c.id);
  const parts = [list];
  for (const id of ids) parts.push(await get(`/api/v1/clients/${encodeURIComponent(id)}`), await get(`/api/v1/clients/${encodeURIComponent(id)}/keys`));
  return parts.join('\n');
}

/** Asserts the reply is a 4xx in the error envelope, and tallies it. */
function expectRefusal(res: Reply, tally: Map<string, number>, what: () => string): void {
  const label = `${res.status} ${res.body?.code ?? '(no code)'}`;
  tally.set(label, (tally.get(label) ?? 0) + 1);
  assert.ok(res.status >= 400 && res.status < 500, `${label} for ${what()}`);
  const body = res.body;
  assert.equal(body.success, false);
  assert.equal(body.data, null);
  assert.equal(typeof body.error, 'string');
  assert.ok((body.error ?? '').length > 0, 'error message');
  assert.equal(STATUS_OF_CODE[body.code ?? ''], res.status, `code ${body.code} with status ${res.status} for ${what()}`);
  if (body.code === 'validation_error' || body.code === 'unknown_field' || body.code === 'conflict') {
    assert.ok(Array.isArray(body.details) && body.details.length > 0, `${body.code} names the field(s)`);
  }
}

const show = (value: unknown): string => {
  const text = typeof value === 'string' ? JSON.stringify(value) : Buffer.isBuffer(value) ? `<${value.length} bytes>` : JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
};

function report(t: TestContext, title: string, tally: Map<string, number>): void {
  const total = [...tally.values()].reduce((a, b) => a + b, 0);
  const lines = [...tally.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`);
  t.diagnostic(`${title}: ${total} requests → ${lines.join(', ')}`);
}

describeEachStore('fuzzing the clients API with malformed input', (kind) => {
  let api: TestApi;
  let stored: string;

  before(async () => {
    api = await startApi(kind);
    assert.equal((await api.request('POST', '/api/v1/clients', { body: SEED_CLIENT })).status, 201);
    assert.equal((await api.request('POST', '/api/v1/clients', { body: BETA })).status, 201);
    assert.equal((await api.request('POST', '/api/v1/clients', { body: GAMMA })).status, 201);
    assert.equal((await api.request('POST', `/api/v1/clients/${BETA.id}/keys/rotate`, { body: { key: 'secret' } })).status, 200);
    assert.equal((await api.request('DELETE', `/api/v1/clients/${GAMMA.id}`)).status, 200);
    stored = await snapshot(api);
    assert.match(stored, /acme-retail/);
    // From here on any write would carry a later updated_at, so even a no-op write shows in a snapshot.
    api.clock.advance(60_000);
  });
  after(async () => {
    assert.ok(api.contract.checked > RUNS.create + RUNS.patch, 'responses were checked against the OpenAPI document');
    await api.close();
  });

  it('keeps the regression examples refused: metadata nested past the limit, and a deeply nested body', async () => {
    // Both were 500s (stack overflow in the text guard and in the metadata size check).
    const cases: [string, string, string][] = [
      ['POST', `{"id":"deep-1","name":"Deep","api_metadata":{"a":${'['.repeat(3_000)}${']'.repeat(3_000)}}}`, 'validation_error'],
      ['POST', JSON.stringify({ id: 'deep-2', name: 'Deep', api_metadata: { a: nest(100, 1, true) } }), 'validation_error'],
      ['POST', `{"id":"deep-3","name":"Deep","junk":${'['.repeat(200_000)}${']'.repeat(200_000)}}`, 'unknown_field'],
      ['POST', `${'['.repeat(400_000)}${']'.repeat(400_000)}`, 'validation_error'],
      ['PATCH', `{"api_metadata":${'{"d":'.repeat(5_000)}"x"${'}'.repeat(5_000)}}`, 'validation_error'],
      ['PATCH', `{"api_metadata":{"k":${'[1,'.repeat(100_000)}"\\u0000"${']'.repeat(100_000)}}}`, 'validation_error'],
    ];
    for (const [method, raw, code] of cases) {
      const res = await api.request(method, method === 'POST' ? '/api/v1/clients' : PATCH_TARGET, { raw, headers: JSON_TYPE });
      assert.equal(res.status, 400, `${method} ${raw.slice(0, 60)} → ${res.status} ${res.body.error}`);
      assert.equal(res.body.code, code, raw.slice(0, 60));
    }
    // The limit itself is accepted: api_metadata is level 1, so 99 more levels fit.
    const deepest = await api.request('POST', '/api/v1/clients', { body: { id: 'deep-ok', name: 'Deep', api_metadata: { a: nest(98, 1, false) } } });
    assert.equal(deepest.status, 201, deepest.body.error);
    assert.equal((await api.request('DELETE', '/api/v1/clients/deep-ok?hard=true')).status, 200);
    assert.equal(await snapshot(api), stored);
  });

  it(`refuses ${RUNS.create} malformed create bodies with a 4xx and stores nothing`, async (t) => {
    const tally = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(malformedCreate, async (body) => {
        const res = await api.request('POST', '/api/v1/clients', { body });
        expectRefusal(res, tally, () => show(body));
      }),
      { numRuns: RUNS.create, seed: SEED },
    );
    report(t, `POST /api/v1/clients (seed ${SEED})`, tally);
    assert.equal(await snapshot(api), stored);
  });

  it(`refuses ${RUNS.patch} malformed PATCH bodies with a 4xx and changes nothing`, async (t) => {
    const tally = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(malformedPatch, async (body) => {
        const res = await api.request('PATCH', PATCH_TARGET, { body });
        expectRefusal(res, tally, () => show(body));
      }),
      { numRuns: RUNS.patch, seed: SEED },
    );
    report(t, `PATCH ${PATCH_TARGET} (seed ${SEED})`, tally);
    assert.ok((tally.get('400 no_fields') ?? 0) > 0, 'the empty patch was tried');
    assert.ok((tally.get('409 conflict') ?? 0) > 0, 'collisions were tried');
    assert.equal(await snapshot(api), stored);
  });

  it(`refuses ${RUNS.rawBody} raw payloads that are not JSON objects sent as JSON`, async (t) => {
    const tally = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(rawCase, async (c) => {
        const res = await api.request(c.method, c.method === 'POST' ? '/api/v1/clients' : PATCH_TARGET, { raw: c.payload, headers: c.headers });
        expectRefusal(res, tally, () => `${c.method} ${c.label}: ${show(c.payload)}`);
      }),
      { numRuns: RUNS.rawBody, seed: SEED },
    );
    report(t, `raw POST/PATCH payloads (seed ${SEED})`, tally);
    for (const label of ['400 invalid_json', '413 payload_too_large', '415 unsupported_media_type']) assert.ok((tally.get(label) ?? 0) > 0, label);
    assert.equal(await snapshot(api), stored);
  });

  it(`refuses ${RUNS.query} malformed query strings on GET /api/v1/clients`, async (t) => {
    const tally = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(malformedQuery, async (url) => {
        const res = await api.request('GET', url);
        expectRefusal(res, tally, () => url.slice(0, 300));
      }),
      { numRuns: RUNS.query, seed: SEED },
    );
    report(t, `GET /api/v1/clients?… (seed ${SEED})`, tally);
    assert.equal(await snapshot(api), stored);
  });
});

// ---------------------------------------------------------------------------------------------
// Tags and snippets in the documented forms (rules as one object, templates by UUID), broken as
// raw text: what the parsed-body fuzzing of test/fuzzTags.test.ts cannot send.

const DOC_TAGS = `{ "tags": [ { "tag_id": "f47ac10b-58cc-4372-a567-0e02b2c3d479", "enabled": true,
    "params": { "measurement_id": "G-XXXXXXXXXX" },
    "trigger_rules": { "url_contains": "/checkout" } } ] }`;
const DOC_SNIPPETS = String.raw`{ "snippets": [ { "code": "<script src=\"https://widgets.mythic-analytics.com/checkout.js\"></script>",
    "description": "Checkout widget", "enabled": true, "trigger_rules": {} } ] }`;
const DOC_RULES = /"trigger_rules": \{[^}]*\}/;

/** trigger_rules as text that no parser or rule accepts: poisoned keys, duplicates whose last value is wrong, JSON in a string. */
const RAW_BAD_RULES = [
  '{ "url_contains": "/checkout", "url_contains": "" }',
  '{ "url_contains": "/checkout", "url_contains": 7 }',
  '{ "path_prefix": "/a", "path_prefix": "a" }',
  '{ "__proto__": { "url_contains": "/x" } }',
  '{ "url_contains": "/x", "__proto__": null }',
  '{ "constructor": { "prototype": { "url_contains": "/x" } } }',
  '{ "url_contains": "/checkout", }',
  '{ "url_contains" }',
  '{ url_contains: "/checkout" }',
  "{ 'url_contains': '/checkout' }",
  '{ "url_contains": "/checkout" ]',
  '"{ \\"url_contains\\": \\"/checkout\\" }"',
  '[ { "url_contains": "/checkout" }, ]',
  '[{}]',
  '{ "url_contains": "\\u0000" }',
  '{ "url_contains": "\\ud800" }',
  '{ "url_regex": "(a|a)*(a+)+" }',
  'null',
];

type TagsRawCase = { url: string; payload: string; headers: Record<string, string>; label: string };

const tagsRawCase: fc.Arbitrary<TagsRawCase> = fc
  .constantFrom(['tags', DOC_TAGS], ['snippets', DOC_SNIPPETS])
  .chain(([what, valid]) => {
    const url = `/api/v1/clients/acme-retail/${what}`;
    const json = (label: string, text: fc.Arbitrary<string>): fc.Arbitrary<TagsRawCase> => text.map((payload) => ({ url, payload, headers: JSON_TYPE, label }));
    return fc.oneof(
      json('rules broken as text', fc.constantFrom(...RAW_BAD_RULES).map((rules) => valid.replace(DOC_RULES, `"trigger_rules": ${rules}`))),
      json('truncated', fc.nat().map((k) => valid.slice(0, k % valid.length))),
      json('corrupted', fc.tuple(fc.nat(), fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\\', "'", 'x'))
        .map(([k, c]) => { const i = k % (valid.length + 1); return valid.slice(0, i) + c + valid.slice(i); })
        .filter((s) => !parsesAsObject(s))),
      json('tag_id a UUID of no template', fc.uuid().filter((u) => u !== 'f47ac10b-58cc-4372-a567-0e02b2c3d479').map((u) => valid.replace('f47ac10b-58cc-4372-a567-0e02b2c3d479', u))),
      fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', '')
        .map((type): TagsRawCase => ({ url, payload: valid, headers: { 'content-type': type }, label: `content-type ${type || '(empty)'}` })),
    );
  })
  // A UUID swap leaves a snippets body valid (it has no tag_id): keep only the cases that break something.
  .filter((c) => !(c.label === 'tag_id a UUID of no template' && c.url.endsWith('/snippets')));

describeEachStore('fuzzing tags and snippets in the documented forms with raw payloads', (kind) => {
  let api: TestApi;
  let stored: string;
  const storedSets = async (): Promise<string> => {
    const parts: string[] = [];
    for (const what of ['', '/tags', '/snippets']) {
      const res = await api.app.inject({ method: 'GET', url: `/api/v1/clients/acme-retail${what}`, headers: ADMIN });
      assert.equal(res.statusCode, 200);
      parts.push(res.body);
    }
    return parts.join('\n');
  };

  before(async () => {
    api = await startApi(kind);
    assert.equal((await api.request('POST', '/api/v1/clients', { body: SEED_CLIENT })).status, 201);
    // Stored in the documented forms, so a refusal that wrote anything would show.
    for (const [what, payload] of [['tags', DOC_TAGS], ['snippets', DOC_SNIPPETS]] as const) {
      const res = await api.request('PUT', `/api/v1/clients/acme-retail/${what}`, { raw: payload, headers: JSON_TYPE });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    stored = await storedSets();
    assert.match(stored, /"trigger_rules":\{"url_contains":"\/checkout"\}/);
    api.clock.advance(60_000);
  });
  after(async () => {
    await api.close();
  });

  it(`refuses ${RUNS.rawBody} broken raw PUTs of tags and snippets and changes nothing`, async (t) => {
    const tally = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(tagsRawCase, async (c) => {
        const res = await api.request('PUT', c.url, { raw: c.payload, headers: c.headers });
        expectRefusal(res, tally, () => `${c.url} ${c.label}: ${show(c.payload)}`);
      }),
      { numRuns: RUNS.rawBody, seed: SEED },
    );
    report(t, `raw PUT tags/snippets (seed ${SEED})`, tally);
    for (const label of ['400 invalid_json', '400 validation_error', '415 unsupported_media_type']) assert.ok((tally.get(label) ?? 0) > 0, label);
    assert.equal(await storedSets(), stored);
  });
});
