import type { TriggerRule } from '../../../src/loader/remoteConfig.js';

function ruleMatches(rule: TriggerRule, href: string, pathname: string): boolean {
  if ('url_contains' in rule) return href.indexOf(rule.url_contains) >= 0;
  if ('exclude_url_contains' in rule) return href.indexOf(rule.exclude_url_contains) >= 0;
  if ('url_equals' in rule) return href === rule.url_equals;
  if ('path_prefix' in rule) return pathname.indexOf(rule.path_prefix) === 0;
  if ('url_regex' in rule) {
    try {
      return new RegExp(rule.url_regex).test(href);
    } catch {
      // The server validates patterns, but a browser may not support every syntax: never throw.
      return false;
    }
  }
  return false;
}

/**
 * Whether a page matches a rule set (semantics in src/loader/remoteConfig.ts): exclusions win, then
 * any inclusion rule, and an empty inclusion list matches everything. Pure, so Node tests can run it.
 */
export function matchesRules(rules: readonly TriggerRule[], href: string, pathname: string): boolean {
  let inclusions = 0;
  let included = false;
  for (const rule of rules) {
    if ('exclude_url_contains' in rule) {
      if (ruleMatches(rule, href, pathname)) return false;
    } else {
      inclusions += 1;
      included = included || ruleMatches(rule, href, pathname);
    }
  }
  return inclusions === 0 || included;
}
