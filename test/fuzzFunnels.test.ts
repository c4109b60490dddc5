import assert from 'node:assert/strict';
import { after, before, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { ADMIN, startApi, type Reply, type TestApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

/*
 * Property: a malformed save or change of a saved funnel is answered with a 4xx in the error
 * envelope and changes nothing stored. Every generated body starts valid and then gets at least one
 * part that is wrong on its own ("breakers"), so a 2xx is always a bug.
 * MYTHIC_FUZZ_SEED replays a run; the seed is reported as a diagnostic.
 */

const RUNS = 300;
const SEED = process.env.MYTHIC_FUZZ_SEED ? Number(process.env.MYTHIC_FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
const CLIENT = 'fuzz-funnels';
const TAKEN = 'Checkout';

type Json = Record<string, unknown>;

// Hard-coded, so the test does not trust the schema it checks.
const VALID_STEPS: Json[] = [{ event: 'Product Viewed' }, { path: '/' }, { event: 'Order Completed' }, { path: '/pricing?plan=pro' }, { event: '$pageview' }];
const FIELDS = new Set(['name', 'steps', 'window_seconds']);

const smallJson = fc.jsonValue({ maxDepth: 2 });
const notAString = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(smallJson, { maxLength: 3 }), fc.dictionary(fc.string(), smallJson, { maxKeys: 3 }));
const unknownKey = (known: Set<string>) => fc.string({ minLength: 0, maxLength: 12 }).filter((k) => !known.has(k) && k !== '__proto__');
/** Only characters String.prototype.trim removes (and \s matches): a name of nothing. */
const blank = fc.array(fc.constantFrom(' ', '\t', '\n', '\u00a0', '\u2003', '\u3000', '\ufeff'), { minLength: 0, maxLength: 8 }).map((cs) => cs.join(''));

const badStep: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant({}),
  fc.constantFrom({ event: '' }, { path: '' }, { event: 'a', path: '/' }),
  notAString.map((v) => ({ event: v })).filter((s) => typeof s.event !== 'string'),
  notAString.map((v) => ({ path: v })).filter((s) => typeof s.path !== 'string'),
  fc.integer({ min: 201, max: 400 }).map((n) => ({ event: 'e'.repeat(n) })),
  fc.integer({ min: 1025, max: 1500 }).map((n) => ({ path: `/${'p'.repeat(n)}` })),
  fc.tuple(unknownKey(new Set(['event', 'path'])), fc.string()).map(([k, v]) => ({ event: 'ok', [k]: v })),
  fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 })),
);

const validSteps = fc.array(fc.constantFrom(...VALID_STEPS), { minLength: 2, maxLength: 8 });

type Breaker = (body: Json) => fc.Arbitrary<Json>;
const breakers: Breaker[] = [
  (b) => blank.map((name) => ({ ...b, name })),
  (b) => fc.integer({ min: 101, max: 300 }).map((n) => ({ ...b, name: `N${'x'.repeat(n - 1)}` })),
  (b) => notAString.map((name) => ({ ...b, name })),
  (b) => fc.constantFrom(TAKEN, TAKEN.toLowerCase(), ` ${TAKEN.toUpperCase()} `, `\u00a0${TAKEN}\t`).map((name) => ({ ...b, name })),
  (b) => fc.oneof(notAString.filter((v) => !Array.isArray(v)), fc.array(fc.constantFrom(...VALID_STEPS), { maxLength: 1 }), fc.array(fc.constantFrom(...VALID_STEPS), { minLength: 9, maxLength: 12 })).map((steps) => ({ ...b, steps })),
  (b) => fc.tuple(validSteps, badStep, fc.nat()).map(([steps, bad, i]) => ({ ...b, steps: steps.map((s, j) => (j === i % steps.length ? bad : s)) })),
  (b) => fc.oneof(fc.integer({ max: 59 }), fc.integer({ min: 7_776_001 }), fc.double({ min: 60.01, max: 1e6, noNaN: true }).filter((d) => !Number.isInteger(d)), fc.constantFrom('3600', null, true, [3600], {})).map((w) => ({ ...b, window_seconds: w })),
  (b) => fc.tuple(unknownKey(FIELDS), smallJson).map(([k, v]) => ({ ...b, [k]: v })),
];

const validCreate: fc.Arbitrary<Json> = fc.record(
  { name: fc.string({ minLength: 1, maxLength: 20 }).map((s) => `F ${s}`), steps: validSteps, window_seconds: fc.integer({ min: 60, max: 7_776_000 }) },
  { requiredKeys: ['name', 'steps'] },
);
/** Any subset of the fields, the empty one included: the breaker adds the wrong part. */
const validPatch: fc.Arbitrary<Json> = validCreate.chain((body) => fc.subarray(Object.keys(body)).map((keys) => Object.fromEntries(keys.map((k) => [k, body[k]]))));
const broken = (valid: fc.Arbitrary<Json>): fc.Arbitrary<Json> => fc.tuple(valid, fc.constantFrom(...breakers)).chain(([body, breaker]) => breaker(body));
/** A create without one of its required fields: nothing else is wrong with it. */
const incomplete: fc.Arbitrary<Json> = validCreate.chain((body) => fc.constantFrom('name', 'steps').map((k) => Object.fromEntries(Object.entries(body).filter(([key]) => key !== k))));

const STATUS_OF_CODE: Record<string, number> = { invalid_json: 400, validation_error: 400, unknown_field: 400, no_fields: 400, conflict: 409 };

function expectRefusal(res: Reply, tally: Map<string, number>, what: () => string): void {
  const label = `${res.status} ${res.body?.code ?? '(no code)'}`;
  tally.set(label, (tally.get(label) ?? 0) + 1);
  assert.ok(res.status >= 400 && res.status < 500, `${label} for ${what()}`);
  assert.equal(res.body.success, false);
  assert.equal(res.body.data, null);
  assert.equal(STATUS_OF_CODE[res.body.code ?? ''], res.status, `code ${res.body.code} for ${what()}`);
  // invalid_json (a `__proto__` key, say) and no_fields (`{}`) have no field to name; every other refusal names one.
  if (res.body.code !== 'invalid_json' && res.body.code !== 'no_fields') assert.ok(Array.isArray(res.body.details) && res.body.details.length > 0, `${res.body.code} names the field(s): ${what()}`);
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
};

function report(t: TestContext, title: string, tally: Map<string, number>): void {
  t.diagnostic(`${title} (seed ${SEED}): ${[...tally.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
}

describeEachStore('fuzzing saved funnels with malformed input', (kind) => {
  let api: TestApi;
  let stored: string;
  let target: string;
  const base = `/api/v1/clients/${CLIENT}/funnels`;

  async function snapshot(): Promise<string> {
    const res = await api.app.inject({ method: 'GET', url: base, headers: ADMIN });
    assert.equal(res.statusCode, 200);
    return res.body;
  }

  before(async () => {
    api = await startApi(kind);
    assert.equal((await api.request('POST', '/api/v1/clients', { body: { id: CLIENT, name: 'Fuzz' } })).status, 201);
    assert.equal((await api.request('POST', base, { body: { name: TAKEN, steps: VALID_STEPS.slice(0, 3) } })).status, 201);
    const second = await api.request('POST', base, { body: { name: 'Target', steps: VALID_STEPS.slice(1, 3), window_seconds: 600 } });
    assert.equal(second.status, 201);
    target = (second.body.data as unknown as { id: string }).id;
    stored = await snapshot();
    // Any later write would move updated_at, so even a write of the same values shows.
    api.clock.advance(60_000);
  });
  after(async () => {
    assert.ok(api.contract.checked >= 2 * RUNS, 'responses were checked against the OpenAPI document');
    await api.close();
  });

  it(`refuses ${RUNS} malformed saves and changes nothing`, async (t) => {
    const tally = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 8, arbitrary: broken(validCreate) }, { weight: 1, arbitrary: incomplete }), async (body) => {
        expectRefusal(await api.request('POST', base, { body }), tally, () => show(body));
      }),
      { numRuns: RUNS, seed: SEED },
    );
    report(t, 'POST funnels', tally);
    assert.ok((tally.get('409 conflict') ?? 0) > 0, 'taken names were tried');
    assert.equal(await snapshot(), stored);
  });

  it(`refuses ${RUNS} malformed changes and changes nothing`, async (t) => {
    const tally = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 12, arbitrary: broken(validPatch) }, { weight: 1, arbitrary: fc.constant({}) }), async (body) => {
        expectRefusal(await api.request('PATCH', `${base}/${target}`, { body }), tally, () => show(body));
      }),
      { numRuns: RUNS, seed: SEED },
    );
    report(t, 'PATCH funnel', tally);
    assert.equal(await snapshot(), stored);
  });
});
