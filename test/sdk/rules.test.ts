import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { TriggerRule, TriggerRuleObject } from '../../src/loader/remoteConfig.js';
import { matchesRules as serverMatches } from '../../src/loader/triggerRules.js';
import { matchesRules } from '../../sdk/src/shared/rules.js';

const page = (href: string): [string, string] => [href, new URL(href).pathname];

describe('trigger rules, as the loader evaluates them', () => {
  it('matches every page with no rules', () => {
    assert.equal(matchesRules([], ...page('https://shop.example/')), true);
  });

  it('url_contains, url_equals, path_prefix and url_regex each select pages', () => {
    const cases: [TriggerRule, string, boolean][] = [
      [{ url_contains: '/checkout' }, 'https://shop.example/checkout/pay', true],
      [{ url_contains: '/checkout' }, 'https://shop.example/', false],
      [{ url_equals: 'https://shop.example/a' }, 'https://shop.example/a', true],
      [{ url_equals: 'https://shop.example/a' }, 'https://shop.example/a?x=1', false],
      [{ path_prefix: '/blog' }, 'https://shop.example/blog/post', true],
      [{ path_prefix: '/blog' }, 'https://shop.example/x/blog', false],
      [{ url_regex: '/products/\\d+$' }, 'https://shop.example/products/42', true],
      [{ url_regex: '/products/\\d+$' }, 'https://shop.example/products/abc', false],
    ];
    for (const [rule, href, expected] of cases) assert.equal(matchesRules([rule], ...page(href)), expected, `${JSON.stringify(rule)} on ${href}`);
  });

  it('needs any one inclusion rule, and any exclusion wins', () => {
    const rules: TriggerRule[] = [{ path_prefix: '/shop' }, { url_contains: 'promo' }, { exclude_url_contains: '/shop/admin' }];
    assert.equal(matchesRules(rules, ...page('https://x.example/shop/1')), true);
    assert.equal(matchesRules(rules, ...page('https://x.example/?promo=1')), true);
    assert.equal(matchesRules(rules, ...page('https://x.example/about')), false);
    assert.equal(matchesRules(rules, ...page('https://x.example/shop/admin')), false);
  });

  it('treats exclusion-only sets as "everywhere but"', () => {
    const rules: TriggerRule[] = [{ exclude_url_contains: '/account' }];
    assert.equal(matchesRules(rules, ...page('https://x.example/')), true);
    assert.equal(matchesRules(rules, ...page('https://x.example/account')), false);
  });

  it('never throws on a pattern the engine rejects', () => {
    assert.equal(matchesRules([{ url_regex: '(' }], ...page('https://x.example/')), false);
    assert.equal(matchesRules({ url_regex: '(' }, ...page('https://x.example/')), false);
  });

  it('takes the object form: {} is every page, and every key must hold', () => {
    assert.equal(matchesRules({}, ...page('https://shop.example/anything')), true);
    assert.equal(matchesRules({ url_contains: '/checkout' }, ...page('https://shop.example/checkout/pay')), true);
    assert.equal(matchesRules({ url_contains: '/checkout' }, ...page('https://shop.example/cart')), false);
    const rules: TriggerRuleObject = { path_prefix: '/shop', url_contains: 'promo', exclude_url_contains: '/shop/admin' };
    assert.equal(matchesRules(rules, ...page('https://x.example/shop/1?promo=1')), true);
    // Where the list form needs any one inclusion, the object form needs all of them.
    assert.equal(matchesRules(rules, ...page('https://x.example/shop/1')), false);
    assert.equal(matchesRules(rules, ...page('https://x.example/?promo=1')), false);
    assert.equal(matchesRules(rules, ...page('https://x.example/shop/admin?promo=1')), false);
    assert.equal(matchesRules({ exclude_url_contains: '/account' }, ...page('https://x.example/')), true);
    assert.equal(matchesRules({ exclude_url_contains: '/account' }, ...page('https://x.example/account')), false);
  });
});

describe('trigger rules: the loader agrees with the server', () => {
  it('decides every page as src/loader/triggerRules.ts does', () => {
    const text = fc.stringMatching(/^[a-c/?=.]{1,4}$/);
    const rule: fc.Arbitrary<TriggerRule> = fc.oneof(
      text.map((v) => ({ url_contains: v })),
      text.map((v) => ({ exclude_url_contains: v })),
      text.map((v) => ({ path_prefix: `/${v}` })),
      fc.constantFrom('a', '^https://x\\.example/a', 'b$', '[ab]{2}').map((v) => ({ url_regex: v })),
    );
    const href = fc.stringMatching(/^[a-c/]{0,6}(\?[a-c=]{0,4})?$/).map((rest) => `https://x.example/${rest}`);
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 4 }), href, (rules, url) => {
        const withEquals = [...rules, ...(rules.length % 2 ? [{ url_equals: url }] : [])];
        assert.equal(matchesRules(withEquals, ...page(url)), serverMatches(withEquals, url));
      }),
      { numRuns: 2000 },
    );
  });

  it('decides the object form as the server does', () => {
    const text = fc.stringMatching(/^[a-c/?=.]{1,3}$/);
    const href = fc.stringMatching(/^[a-c/]{0,6}(\?[a-c=]{0,4})?$/).map((rest) => `https://x.example/${rest}`);
    const valueOf = (kind: string, url: string): fc.Arbitrary<string> => {
      if (kind === 'url_equals') return fc.constantFrom(url, `${url}a`);
      if (kind === 'path_prefix') return text.map((v) => `/${v}`);
      if (kind === 'url_regex') return fc.constantFrom('a', '^https://x\\.example/a', 'b$', '[ab]{2}');
      return text;
    };
    // At most three keys, so that pages matching all of them are common enough to compare on.
    const pageAndRules = href.chain((url) =>
      fc
        .shuffledSubarray(['url_contains', 'url_equals', 'path_prefix', 'url_regex', 'exclude_url_contains'], { maxLength: 3 })
        .chain((kinds) => fc.tuple(...kinds.map((kind) => valueOf(kind, url))).map((values) => Object.fromEntries(kinds.map((k, i) => [k, values[i]])) as TriggerRuleObject))
        .map((rules) => [url, rules] as const),
    );
    let matched = 0;
    fc.assert(
      fc.property(pageAndRules, ([url, rules]) => {
        const decided = matchesRules(rules, ...page(url));
        assert.equal(decided, serverMatches(rules, url), `${JSON.stringify(rules)} on ${url}`);
        if (decided) matched += 1;
      }),
      { numRuns: 2000 },
    );
    // Both answers occur, so agreement is not agreement on a constant.
    assert.ok(matched > 100 && matched < 1900, `matched ${matched} of 2000`);
  });
});
