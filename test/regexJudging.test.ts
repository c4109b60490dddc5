// The hook that judges a body's url_regex patterns before validation (src/http/regexJudging.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { ApiError } from '../src/http/apiError.js';
import { judgeUrlRegexesWithin, urlRegexesIn } from '../src/http/regexJudging.js';
import { isSafeRegex } from '../src/validation/safeRegex.js';

const silent = { error: () => undefined } as unknown as FastifyBaseLogger;

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
    const body = { tags: [{ trigger_rules: [0, 1, 2].map((i) => ({ url_regex: `^/hook-${Date.now()}-${i}/\\d+$` })) }] };
    const refused = await judgeUrlRegexesWithin(1)({ body, log: silent }).then(
      () => assert.fail('a 1 ms budget cannot judge three patterns'),
      (error: unknown) => error,
    );
    assert.ok(refused instanceof ApiError);
    assert.equal(refused.status, 503);
    assert.equal(refused.code, 'overloaded');
    assert.deepEqual(refused.headers, { 'retry-after': '5' });
    assert.match(refused.message, /of the url_regex patterns could not be judged in time/);
    await judgeUrlRegexesWithin(10_000)({ body, log: silent });
    for (const rule of body.tags[0]?.trigger_rules ?? []) assert.equal(isSafeRegex(rule.url_regex), true);
  });
});
