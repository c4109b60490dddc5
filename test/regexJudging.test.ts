// The hook that judges a body's url_regex patterns before validation (src/http/regexJudging.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from 'typebox';
import type { FastifyBaseLogger } from 'fastify';
import { ApiError } from '../src/http/apiError.js';
import { judgeUrlRegexes, urlRegexesIn } from '../src/http/regexJudging.js';
import { isSafeRegex, mayBeSafeRegex } from '../src/validation/safeRegex.js';

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

describe('url_regex judging hook', () => {
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

  it('answers 503 with Retry-After when the budget leaves patterns unjudged, and nothing once they are judged', async () => {
    const body = { tags: [{ tag_id: 'ga4', trigger_rules: [0, 1, 2].map((i) => ({ url_regex: `^/hook-${Date.now()}-${i}/\\d+$` })) }] };
    const refused = await refusal(judgeUrlRegexes(RulesBody, 1), body, 'a 1 ms budget cannot judge three patterns');
    assert.equal(refused.status, 503);
    assert.equal(refused.code, 'overloaded');
    assert.deepEqual(refused.headers, { 'retry-after': '5' });
    assert.match(refused.message, /of the url_regex patterns could not be judged in time/);
    await judgeUrlRegexes(RulesBody, 10_000)({ body, log: silent });
    for (const rule of body.tags[0]?.trigger_rules ?? []) assert.equal(isSafeRegex(rule.url_regex), true);
  });

  it('checks the rest of the body first: a body validation refuses gets its 400 with nothing judged', async () => {
    const fresh = [0, 1].map((i) => `^/unjudged-${Date.now()}-${i}/(a+)+$`);
    const body = { tags: [{ tag_id: '', trigger_rules: fresh.map((url_regex) => ({ url_regex })) }, { tag_id: 'ga4', trigger_rules: [{ url_regex: '^/a$', extra: 1 }] }] };
    // A budget of 1 ms would answer 503 had the hook started judging.
    const refused = await refusal(judgeUrlRegexes(RulesBody, 1), body, 'the body is invalid');
    assert.equal(refused.status, 400);
    assert.equal(refused.code, 'unknown_field');
    assert.deepEqual(refused.details?.map((d) => d.field), ['tags.0.tag_id', 'tags.1.trigger_rules.0.extra']);
    for (const pattern of fresh) {
      assert.equal(mayBeSafeRegex(pattern), true, 'not judged, so not known to be unsafe');
      assert.equal(isSafeRegex(pattern), false, 'not judged, so not accepted either');
    }
  });

  it('refuses in that first check the patterns known unsafe without judging: not compiling, counts over the cap', async () => {
    const hook = judgeUrlRegexes(RulesBody, 1);
    for (const pattern of ['(', '[a-', `^/a{0,256}$`]) {
      const refused = await refusal(hook, { tags: [{ tag_id: 'ga4', trigger_rules: [{ url_regex: '^/fine$' }, { url_regex: pattern }] }] }, pattern);
      assert.equal(refused.status, 400, pattern);
      assert.equal(refused.code, 'validation_error', pattern);
      assert.deepEqual(refused.details?.map((d) => d.field), ['tags.0.trigger_rules.1.url_regex'], pattern);
    }
  });
});
