import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import fc from 'fast-check';
import { ADMIN, type Reply, type TestApi } from '../helpers/api.js';

/*
 * Malformed link bodies for the property run by test/links.test.ts (in its suite, to share its
 * app): a malformed create or change of a short link is answered with a 4xx in the error envelope
 * and changes nothing stored (no link, and no `_links` client either). Every generated body starts
 * valid and gets at least one part that is wrong on its own ("breakers"), so a 2xx is always a
 * bug. MYTHIC_FUZZ_SEED replays a run; the seed is reported as a diagnostic.
 */

export const RUNS = 150;
export const SEED = process.env.MYTHIC_FUZZ_SEED ? Number(process.env.MYTHIC_FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
export const FUZZ_CLIENT = 'fuzz-links';
export const TAKEN = 'Taken-Slug';

type Json = Record<string, unknown>;

// Hard-coded, so the test does not trust the schema it checks.
const FIELDS = new Set(['destination_url', 'slug', 'title', 'client_id', 'tags', 'password', 'expires_at', 'metadata']);
const RESERVED = ['api', 'l', 's', 'sdk', 'mcp', 'admin', 'assets', 'app', 'dashboard', 'health', 'login', 'logout', 'static', 'well-known'];

const smallJson = fc.jsonValue({ maxDepth: 2 });
const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.array(smallJson, { maxLength: 3 }), fc.dictionary(fc.string(), smallJson, { maxKeys: 3 }));
const unknownKey = fc.string({ minLength: 0, maxLength: 12 }).filter((k) => !FIELDS.has(k) && k !== '__proto__');
const randomCase = (word: string) => fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((up) => [...word].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));
const path = fc.stringMatching(/^[a-z0-9/_-]{0,20}$/);

const badDestination = fc.oneof(
  notAString,
  fc.constant(null),
  fc.constantFrom('', 'javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/html,<b>x</b>', 'ftp://example.com/', 'mailto:a@example.com', '//evil.example/', '/relative', 'example.com/x', 'https://', 'http:///x', 'https://\\evil.example/', 'https:\\evil.example/'),
  path.map((p) => `https://user:pass@example.com/${p}`),
  fc.tuple(path, fc.constantFrom(' ', '\t', '\r\n', '\u0000', '\u007f', '\n')).map(([p, c]) => `https://example.com/${p}${c}x`),
  fc.integer({ min: 2049 - 20, max: 2600 }).map((n) => `https://example.com/${'a'.repeat(n)}`),
);
const badSlug = fc.oneof(
  notAString,
  fc.constant(null),
  fc.constantFrom(...RESERVED).chain(randomCase),
  randomCase(TAKEN),
  fc.constantFrom('', '-dash', '_under', 'a/b', 'a.b', 'a b', 'ä', 'slug?x', '%2F', '..', 'a\nb'),
  fc.integer({ min: 65, max: 100 }).map((n) => `s${'x'.repeat(n - 1)}`),
);

type Breaker = (body: Json) => fc.Arbitrary<Json>;
const breakers: Breaker[] = [
  (b) => badDestination.map((destination_url) => ({ ...b, destination_url })),
  (b) => badSlug.map((slug) => ({ ...b, slug })),
  (b) => fc.oneof(notAString, fc.constant(''), fc.integer({ min: 256, max: 400 }).map((n) => 't'.repeat(n))).map((title) => ({ ...b, title })),
  (b) =>
    fc
      .oneof(
        notAString.filter((v) => !Array.isArray(v)),
        fc.constant(null),
        fc.array(fc.constant('t'), { minLength: 21, maxLength: 30 }),
        fc.tuple(fc.array(fc.constant('ok'), { maxLength: 3 }), fc.oneof(fc.constantFrom('', ' ', '\t'), fc.integer(), fc.constant(null), fc.integer({ min: 65, max: 90 }).map((n) => 'x'.repeat(n)))).map(([ok, bad]) => [...ok, bad]),
      )
      .map((tags) => ({ ...b, tags })),
  (b) => fc.oneof(notAString, fc.constant(''), fc.integer({ min: 257, max: 400 }).map((n) => 'p'.repeat(n))).map((password) => ({ ...b, password })),
  (b) => fc.oneof(notAString, fc.constantFrom('', 'tomorrow', '2024-13-01T00:00:00Z', '2024-12-25', '2024-12-25T10:00:00', '1735120800')).map((expires_at) => ({ ...b, expires_at })),
  (b) => fc.oneof(fc.array(smallJson, { maxLength: 3 }), fc.string(), fc.integer(), fc.constant(null), fc.constant({ big: 'x'.repeat(17 * 1024) })).map((metadata) => ({ ...b, metadata })),
  (b) => fc.tuple(unknownKey, smallJson).map(([k, v]) => ({ ...b, [k]: v })),
];

export const validCreate: fc.Arbitrary<Json> = fc.record(
  {
    destination_url: path.map((p) => `https://example.com/${p}`),
    slug: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,10}$/).map((s) => `f${s}`),
    title: fc.oneof(fc.constant(null), fc.string({ minLength: 1, maxLength: 20 })),
    tags: fc.array(fc.constantFrom('a', 'b', 'campaign'), { maxLength: 3 }),
    password: fc.oneof(fc.constant(null), fc.constant('secret')),
    expires_at: fc.oneof(fc.constant(null), fc.constant('2024-12-25T10:00:00Z')),
    metadata: fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
  },
  { requiredKeys: ['destination_url'] },
);
export const validPatch: fc.Arbitrary<Json> = validCreate.chain((body) => fc.subarray(Object.keys(body)).map((keys) => Object.fromEntries(keys.map((k) => [k, body[k]]))));
export const broken = (valid: fc.Arbitrary<Json>, extra: Breaker[] = []): fc.Arbitrary<Json> => fc.tuple(valid, fc.constantFrom(...breakers, ...extra)).chain(([body, breaker]) => breaker(body));
export const badClient: Breaker = (b) => fc.oneof(notAString, fc.constantFrom('', '_links', 'no-such-client')).map((client_id) => ({ ...b, client_id }));
export const incomplete: fc.Arbitrary<Json> = validCreate.map(({ destination_url: _, ...rest }) => rest);

const STATUS_OF_CODE: Record<string, number> = { invalid_json: 400, validation_error: 400, unknown_field: 400, no_fields: 400, not_found: 404, conflict: 409 };

export function expectRefusal(res: Reply, tally: Map<string, number>, what: () => string): void {
  const label = `${res.status} ${res.body?.code ?? '(no code)'}`;
  tally.set(label, (tally.get(label) ?? 0) + 1);
  assert.ok(res.status >= 400 && res.status < 500, `${label} for ${what()}`);
  assert.equal(res.body.success, false);
  assert.equal(res.body.data, null);
  assert.equal(STATUS_OF_CODE[res.body.code ?? ''], res.status, `code ${res.body.code} for ${what()}`);
  if (!['invalid_json', 'no_fields', 'not_found'].includes(res.body.code ?? '')) assert.ok(Array.isArray(res.body.details) && res.body.details.length > 0, `${res.body.code} names the field(s): ${what()}`);
  assert.ok(!JSON.stringify(res.body).includes('pppppppppp'), 'a refused password is not echoed');
}

export const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
};

export function report(t: TestContext, title: string, tally: Map<string, number>): void {
  t.diagnostic(`${title} (seed ${SEED}): ${[...tally.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
}

/** Everything a refused request must leave as it was: every link and every client (the `_links` one included). */
export async function snapshot(api: TestApi): Promise<string> {
  const links = await api.app.inject({ method: 'GET', url: '/api/v1/links?limit=500', headers: ADMIN });
  const clients = await api.app.inject({ method: 'GET', url: '/api/v1/clients?limit=500', headers: ADMIN });
  return links.body + clients.body;
}
