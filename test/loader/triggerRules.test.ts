import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TriggerRule } from '../../src/loader/remoteConfig.js';
import { matchesRules } from '../../src/loader/triggerRules.js';

describe('matchesRules', () => {
  const HREF = 'https://shop.example/checkout/pay?step=2#top';

  it('follows the documented truth table, one rule at a time', () => {
    const cases: [TriggerRule, string, boolean][] = [
      [{ url_contains: '/checkout' }, HREF, true],
      [{ url_contains: '/Checkout' }, HREF, false],
      [{ url_contains: 'step=2' }, HREF, true],
      [{ url_contains: '/cart' }, HREF, false],
      [{ url_equals: HREF }, HREF, true],
      [{ url_equals: 'https://shop.example/checkout/pay' }, HREF, false],
      [{ path_prefix: '/checkout' }, HREF, true],
      [{ path_prefix: '/checkout/pay' }, HREF, true],
      [{ path_prefix: '/pay' }, HREF, false],
      [{ path_prefix: '/step' }, 'https://shop.example/?x=/step', false],
      [{ path_prefix: '/' }, 'not a url', false],
      [{ url_regex: '^https://shop\\.example/checkout/' }, HREF, true],
      [{ url_regex: 'step=\\d$' }, HREF, false],
      [{ url_regex: 'step=\\d' }, HREF, true],
      [{ url_regex: '(' }, HREF, false],
      [{ exclude_url_contains: '/checkout' }, HREF, false],
      [{ exclude_url_contains: '/account' }, HREF, true],
    ];
    for (const [rule, href, expected] of cases) assert.equal(matchesRules([rule], href), expected, `${JSON.stringify(rule)} on ${href}`);
  });

  it('matches every page with no rules', () => {
    assert.equal(matchesRules([], HREF), true);
    assert.equal(matchesRules([], 'anything'), true);
  });

  it('needs any one inclusion rule, and any exclusion wins over all of them', () => {
    const rules: TriggerRule[] = [{ path_prefix: '/shop' }, { url_contains: 'promo' }, { exclude_url_contains: '/shop/admin' }];
    assert.equal(matchesRules(rules, 'https://x.example/shop/1'), true);
    assert.equal(matchesRules(rules, 'https://x.example/?promo=1'), true);
    assert.equal(matchesRules(rules, 'https://x.example/about'), false);
    assert.equal(matchesRules(rules, 'https://x.example/shop/admin?promo=1'), false);
    // The exclusion wins wherever it stands in the list.
    assert.equal(matchesRules([{ exclude_url_contains: 'promo' }, { url_contains: 'promo' }], 'https://x.example/?promo=1'), false);
  });

  it('treats a set of exclusions only as "everywhere but"', () => {
    const rules: TriggerRule[] = [{ exclude_url_contains: '/account' }, { exclude_url_contains: '/admin' }];
    assert.equal(matchesRules(rules, 'https://x.example/'), true);
    assert.equal(matchesRules(rules, 'https://x.example/account'), false);
    assert.equal(matchesRules(rules, 'https://x.example/admin/x'), false);
  });
});

describe('matchesRules, object form (every key must hold)', () => {
  const HREF = 'https://shop.example/checkout/pay?step=2#top';

  it('fires everywhere for {}', () => {
    assert.equal(matchesRules({}, HREF), true);
    assert.equal(matchesRules({}, 'anything'), true);
  });

  it('decides one key as the list of that one rule does', () => {
    const rules: TriggerRule[] = [
      { url_contains: '/checkout' }, { url_contains: '/cart' }, { url_equals: HREF }, { url_equals: 'https://shop.example/' },
      { path_prefix: '/checkout' }, { path_prefix: '/pay' }, { url_regex: 'step=\\d' }, { url_regex: '(' },
      { exclude_url_contains: '/checkout' }, { exclude_url_contains: '/account' },
    ];
    for (const rule of rules) assert.equal(matchesRules({ ...rule }, HREF), matchesRules([rule], HREF), JSON.stringify(rule));
  });

  it('needs all of its keys, where a list needs any one', () => {
    const rules = { path_prefix: '/checkout', url_contains: 'step=2' };
    assert.equal(matchesRules(rules, HREF), true);
    assert.equal(matchesRules(rules, 'https://shop.example/checkout/pay'), false);
    assert.equal(matchesRules(rules, 'https://shop.example/?step=2'), false);
    assert.equal(matchesRules([{ path_prefix: '/checkout' }, { url_contains: 'step=2' }], 'https://shop.example/?step=2'), true);
  });

  it('still lets an exclude key veto', () => {
    assert.equal(matchesRules({ url_contains: '/checkout', exclude_url_contains: '#top' }, HREF), false);
    assert.equal(matchesRules({ url_contains: '/checkout', exclude_url_contains: '/test' }, HREF), true);
    assert.equal(matchesRules({ exclude_url_contains: '/account' }, 'https://shop.example/account'), false);
  });
});

