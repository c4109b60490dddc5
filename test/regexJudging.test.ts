// The hook that judges a body's url_regex patterns before validation (src/http/regexJudging.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from 'typebox';
import type { FastifyBaseLogger } from 'fastify';
import { ApiError } from '../src/http/apiError.js';
import { judgeUrlRegexes, urlRegexesIn } from '../src/http/regexJudging.js';
import { isSafeRegex, mayBeSafeRegex, REGEX_JUDGING } from '../src/validation/safeRegex.js';
import { describeEachStore, storeOfSuite } from './helpers/stores.js';
import { PostgresMetaStore } from '../src/store/postgres/postgresMetaStore.js';
import { SqliteMetaStore } from '../src/store/sqlite/sqliteMetaStore.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const silent = { error: () => undefined } as unknown as FastifyBaseLogger;

/** A body of rules, shaped as the tags route's is. */
const RulesBody = Type.Object(
  {
    tags: Type.Array(
      Type.Object({ tag_id: Type.String({ minLength: 1 }), trigger_rules: Type.Array(Type.Object({ url_regex: Type.String({ format: 'safe-regex', maxLength: 256 }) }, { additionalProperties: false })) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

/** What the hook threw, or a failure if it let the body through. */
async function refusal(hook: ReturnType<typeof judgeUrlRegexes>, body: unknown, why: string): Promise<ApiError> {
  const error = await hook({ body, log: silent }).then(
    () => assert.fail(why),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof ApiError, String(error));
  return error;
}

describe('url_regex patterns of a body', () => {
  it('finds the patterns of both rule forms, of tags and snippets, and only strings under url_regex', () => {
    const body = {
      tags: [
        { trigger_rules: { url_regex: '^/a$', url_contains: '^/not-a-regex$' } },
        { trigger_rules: [{ path_prefix: '/b' }, { url_regex: '^/b$' }], config: { url_regex: '^/anywhere$' } },
        { trigger_rules: [{ url_regex: 7 }, { url_regex: null }] },
      ],
      snippets: [{ trigger_rules: [{ url_regex: '^/c$' }] }],
    };
    assert.deepEqual(urlRegexesIn(body), ['^/a$', '^/b$', '^/anywhere$', '^/c$']);
    assert.deepEqual(urlRegexesIn(null), []);
    assert.deepEqual(urlRegexesIn('url_regex'), []);
  });

  it('counts a pattern’s length in code points, as the schema does, and leaves longer ones to validation', () => {
    const emoji = `^/${'😀'.repeat(150)}$`; // 153 code points, 303 UTF-16 units
    const tooLong = `^/${'😀'.repeat(300)}$`;
    assert.deepEqual(urlRegexesIn({ rules: { url_regex: emoji }, other: { url_regex: tooLong } }), [emoji]);
  });
});

describeEachStore('url_regex judging hook', (kind) => {
  const suite = storeOfSuite(kind);

  it('answers 503 with Retry-After when the budget leaves patterns unjudged, and nothing once they are judged', async () => {
    const body = { tags: [{ tag_id: 'ga4', trigger_rules: [0, 1, 2].map((i) => ({ url_regex: `^/hook-${Date.now()}-${i}/\\d+$` })) }] };
    const refused = await refusal(judgeUrlRegexes(RulesBody, suite.store, 1), body, 'a 1 ms budget cannot judge three patterns');
    assert.equal(refused.status, 503);
    assert.equal(refused.code, 'overloaded');
    assert.deepEqual(refused.headers, { 'retry-after': '5' });
    assert.match(refused.message, /of the url_regex patterns could not be judged in time/);
    await judgeUrlRegexes(RulesBody, suite.store, 10_000)({ body, log: silent });
    for (const rule of body.tags[0]?.trigger_rules ?? []) assert.equal(isSafeRegex(rule.url_regex), true);
  });

  it('checks the rest of the body first: a body validation refuses gets its 400 with nothing judged', async () => {
    const fresh = [0, 1].map((i) => `^/unjudged-${Date.now()}-${i}/(a+)+$`);
    const body = { tags: [{ tag_id: '', trigger_rules: fresh.map((url_regex) => ({ url_regex })) }, { tag_id: 'ga4', trigger_rules: [{ url_regex: '^/a$', extra: 1 }] }] };
    // Ten seconds judge these exponential patterns unsafe, had the hook started judging.
    const refused = await refusal(judgeUrlRegexes(RulesBody, suite.store, 10_000), body, 'the body is invalid');
    assert.equal(refused.status, 400);
    assert.equal(refused.code, 'unknown_field');
    assert.deepEqual(refused.details?.map((d) => d.field), ['tags.0.tag_id', 'tags.1.trigger_rules.0.extra']);
    for (const pattern of fresh) {
      assert.equal(mayBeSafeRegex(pattern), true, 'not judged, so not known to be unsafe');
      assert.equal(isSafeRegex(pattern), false, 'not judged, so not accepted either');
    }
  });

  it('refuses in that first check the patterns known unsafe without judging: not compiling, counts over the cap', async () => {
    const hook = judgeUrlRegexes(RulesBody, suite.store, 1);
    for (const pattern of ['(', '[a-', `^/a{0,256}$`]) {
      const refused = await refusal(hook, { tags: [{ tag_id: 'ga4', trigger_rules: [{ url_regex: '^/fine$' }, { url_regex: pattern }] }] }, pattern);
      assert.equal(refused.status, 400, pattern);
      assert.equal(refused.code, 'validation_error', pattern);
      assert.deepEqual(refused.details?.map((d) => d.field), ['tags.0.trigger_rules.1.url_regex'], pattern);
    }
  });

  it('keeps its verdicts in the store, and takes the store’s verdicts as if judged here', async () => {
    const stamp = `${kind.name}-${Date.now()}`;
    const judgedHere = [`^/kept-${stamp}/\\d+$`, `^/kept-${stamp}/(a|a)*$`];
    await judgeUrlRegexes(RulesBody, suite.store, 10_000)({ body: { tags: [{ tag_id: 'ga4', trigger_rules: judgedHere.map((url_regex) => ({ url_regex })) }] }, log: silent });
    assert.deepEqual([...(await suite.store.regexVerdicts(REGEX_JUDGING, judgedHere))].sort(), [[judgedHere[0], true], [judgedHere[1], false]].sort());
    // Verdicts another node reached (or this one before a restart): taken without judging, which a 1 ms budget would not allow.
    const judgedElsewhere = [`^/elsewhere-${stamp}/\\d+$`, `^/elsewhere-${stamp}/(a+)+$`];
    await suite.store.saveRegexVerdicts(REGEX_JUDGING, [[judgedElsewhere[0] as string, true], [judgedElsewhere[1] as string, false]]);
    await judgeUrlRegexes(RulesBody, suite.store, 1)({ body: { tags: [{ tag_id: 'ga4', trigger_rules: judgedElsewhere.map((url_regex) => ({ url_regex })) }] }, log: silent });
    assert.equal(isSafeRegex(judgedElsewhere[0] as string), true);
    assert.equal(isSafeRegex(judgedElsewhere[1] as string), false);
  });

  it('takes no verdict reached by another judging, and keeps a pattern’s first verdict', async () => {
    const pattern = `^/other-judging-${kind.name}-${Date.now()}/\\d+$`;
    await suite.store.saveRegexVerdicts('recheck 0.0.1: another judging', [[pattern, true]]);
    const refused = await refusal(judgeUrlRegexes(RulesBody, suite.store, 1), { tags: [{ tag_id: 'ga4', trigger_rules: [{ url_regex: pattern }] }] }, 'not judged by this judging');
    assert.equal(refused.status, 503);
    assert.deepEqual([...(await suite.store.regexVerdicts(REGEX_JUDGING, [pattern]))], []);
    await suite.store.saveRegexVerdicts('recheck 0.0.1: another judging', [[pattern, false]]);
    assert.deepEqual([...(await suite.store.regexVerdicts('recheck 0.0.1: another judging', [pattern, 'not stored']))], [[pattern, true]]);
  });

  it('stores what it judged also when the budget ran out before the rest (the 503)', async () => {
    const stamp = `${kind.name}-${Date.now()}`;
    // Far more than two seconds can judge (a common rule takes 10–300 ms), and the first surely.
    const patterns = Array.from({ length: 500 }, (_, i) => `^/partly-${stamp}-${i}/\\d+$`);
    const refused = await refusal(judgeUrlRegexes(RulesBody, suite.store, 2000), { tags: [{ tag_id: 'ga4', trigger_rules: patterns.map((url_regex) => ({ url_regex })) }] }, 'not all judged in 2 s');
    assert.equal(refused.status, 503);
    const judged = patterns.filter(isSafeRegex);
    assert.ok(judged.length > 0, 'the first patterns were judged');
    assert.deepEqual([...(await suite.store.regexVerdicts(REGEX_JUDGING, patterns)).keys()].sort(), [...judged].sort());
  });

  it('keeps the request’s own verdicts for its validation while other requests fill the shared cache', async () => {
    const stamp = `${kind.name}-${Date.now()}`;
    const fromStore = `^/own-${stamp}/\\d+$`;
    await suite.store.saveRegexVerdicts(REGEX_JUDGING, [[fromStore, true]]);
    // Judged unsafe by the fuzzer, in about a second: the wait during which other requests come.
    const slow = `${'(?:a|a)'.repeat(20)}!/own-${stamp}`;
    const floods = Array.from({ length: 11 }, (_, f) => Array.from({ length: 1000 }, (_, i) => `^/flood-${stamp}-${f}-${i}/\\d+$`));
    await suite.store.saveRegexVerdicts(REGEX_JUDGING, floods.flat().map((pattern) => [pattern, true] as const));
    const rules = (list: string[]) => ({ tags: [{ tag_id: 'ga4', trigger_rules: list.map((url_regex) => ({ url_regex })) }] });
    const hook = judgeUrlRegexes(RulesBody, suite.store, 10_000);
    const own = hook({ body: rules([fromStore, slow]), log: silent });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // 11,000 verdicts read from the store into a cache of 10,000 while the slow pattern is judged.
    await Promise.all(floods.map((list) => hook({ body: rules(list), log: silent })));
    await own;
    assert.equal(isSafeRegex(fromStore), true, 'its verdict from the store, put back for its validation');
    assert.equal(mayBeSafeRegex(slow), false, 'judged unsafe');
  });

  it('judges as before when the store cannot be read or written, and answers no 500', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mythic-verdicts-'));
    const closed = new SqliteMetaStore(join(dir, 'mythic.db'));
    await closed.migrate();
    await closed.close();
    try {
      const errors: unknown[] = [];
      const log = { error: (...args: unknown[]) => errors.push(args) } as unknown as FastifyBaseLogger;
      const pattern = `^/no-store-${kind.name}-${Date.now()}/\\d+$`;
      await judgeUrlRegexes(RulesBody, closed, 10_000)({ body: { tags: [{ tag_id: 'ga4', trigger_rules: [{ url_regex: pattern }] }] }, log });
      assert.equal(isSafeRegex(pattern), true);
      assert.equal(errors.length, 2, 'the failed read and the failed write, each logged');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stores the same new verdicts from two nodes at once without a deadlock', { skip: kind.name !== 'postgres' ? 'one process owns SQLite' : false }, async () => {
    const other = new PostgresMetaStore(suite.location.databaseUrl as string);
    try {
      for (let round = 0; round < 10; round += 1) {
        const verdicts = Array.from({ length: 1000 }, (_, i) => [`^/nodes-${Date.now()}-${round}-${i}/\\d+$`, i % 2 === 0] as const);
        // In two orders: rows locked one by one in opposite orders wait for each other.
        await Promise.all([suite.store.saveRegexVerdicts(REGEX_JUDGING, verdicts), other.saveRegexVerdicts(REGEX_JUDGING, [...verdicts].reverse())]);
        const stored = await other.regexVerdicts(REGEX_JUDGING, verdicts.map(([pattern]) => pattern));
        assert.deepEqual([...stored].sort(), verdicts.map(([pattern, safe]) => [pattern, safe]).sort());
      }
    } finally {
      await other.close();
    }
  });
});
