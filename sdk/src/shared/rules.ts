import type { TriggerRules } from '../../../src/loader/remoteConfig.js';

/** Whether the page has what one rule key asks for (for an exclude key: whether the URL contains its text). */
function hits(kind: string, value: string, href: string, pathname: string): boolean {
  if (kind === 'url_equals') return href === value;
  if (kind === 'path_prefix') return pathname.indexOf(value) === 0;
  if (kind === 'url_regex') {
    try {
      return new RegExp(value).test(href);
    } catch {
      // The server validates patterns, but a browser may not support every syntax: never throw.
      return false;
    }
  }
  // url_contains and exclude_url_contains
  return href.indexOf(value) >= 0;
}

/**
 * Whether a page matches a rule set (semantics in src/loader/remoteConfig.ts). Both forms in one
 * pass: exclusions always win; then a list needs any one of its inclusions (none: every page), an
 * object all of them. Pure, so Node tests can run it.
 */
export function matchesRules(rules: TriggerRules, href: string, pathname: string): boolean {
  const all = !Array.isArray(rules);
  // Each rule as [key, value]: one per object of a list, every key of the object form.
  const keyed = (rule: Record<string, string>): string[][] => Object.keys(rule).map((k) => [k, rule[k] as string]);
  const pairs = all ? keyed(rules) : rules.map((rule) => (keyed(rule as Record<string, string>)[0] as string[]));
  let inclusions = 0;
  let included = 0;
  for (const [kind, value] of pairs) {
    const hit = hits(kind as string, value as string, href, pathname);
    if (kind === 'exclude_url_contains') {
      if (hit) return false;
    } else {
      inclusions += 1;
      if (hit) included += 1;
    }
  }
  return all ? included === inclusions : inclusions === 0 || included > 0;
}
