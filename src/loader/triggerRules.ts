import { Type } from 'typebox';
import { ERROR_MESSAGE } from '../http/validation.js';
import type { TriggerRule } from './remoteConfig.js';

export const MAX_TRIGGER_RULES = 20;
export const MAX_RULE_VALUE_LENGTH = 2048;
export const MAX_RULE_REGEX_LENGTH = 256;
export const RULE_KINDS = ['url_contains', 'url_equals', 'path_prefix', 'url_regex', 'exclude_url_contains'] as const;

const ruleText = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: MAX_RULE_VALUE_LENGTH,
    [ERROR_MESSAGE]: `must be 1–${MAX_RULE_VALUE_LENGTH} characters`,
    description,
  });

/**
 * One rule: an object with exactly one of the rule keys. Written as one object with optional keys
 * and a property count of one, rather than a union of five objects, so that a rejected rule is
 * reported once, at the key at fault, instead of once per branch.
 */
export const TriggerRuleSchema = Type.Unsafe<TriggerRule>(
  Type.Object(
    {
      url_contains: Type.Optional(ruleText('Matches when the page URL (location.href) contains this text.')),
      url_equals: Type.Optional(ruleText('Matches when the page URL is exactly this.')),
      path_prefix: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: MAX_RULE_VALUE_LENGTH,
          pattern: '^/',
          [ERROR_MESSAGE]: `must start with / and be at most ${MAX_RULE_VALUE_LENGTH} characters`,
          description: 'Matches when the path of the page URL starts with this.',
        }),
      ),
      url_regex: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: MAX_RULE_REGEX_LENGTH,
          format: 'safe-regex',
          [ERROR_MESSAGE]: `must be a JavaScript regular expression of 1–${MAX_RULE_REGEX_LENGTH} characters that compiles and provably runs in linear time on any URL (no ambiguous repetition such as (a|a)*, (a+)+ or an unanchored a.*b; no backreference or lookahead), since a slower one could freeze visitors' browsers`,
          description: 'Matches when this regular expression (no flags) finds a match in the page URL.',
        }),
      ),
      exclude_url_contains: Type.Optional(ruleText('Never fires on a page whose URL contains this text, whatever the other rules say.')),
    },
    {
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 1,
      [ERROR_MESSAGE]: `must have exactly one of the keys ${RULE_KINDS.join(', ')}`,
      title: 'TriggerRule',
    },
  ),
);

export const TriggerRulesSchema = Type.Array(TriggerRuleSchema, {
  maxItems: MAX_TRIGGER_RULES,
  description: `At most ${MAX_TRIGGER_RULES} rules. An empty list fires on every page; otherwise the page must match no exclude rule and, when there are other rules, at least one of them.`,
});

/**
 * Whether a page at `href` matches a rule set, as the browser loader decides it (it carries its
 * own copy of this function; the semantics are documented on TriggerRule in remoteConfig.ts).
 */
export function matchesRules(rules: readonly TriggerRule[], href: string): boolean {
  let hasInclusion = false;
  let included = false;
  for (const rule of rules) {
    if ('exclude_url_contains' in rule) {
      if (href.includes(rule.exclude_url_contains)) return false;
      continue;
    }
    hasInclusion = true;
    if (!included && matchesInclusion(rule, href)) included = true;
  }
  return !hasInclusion || included;
}

function matchesInclusion(rule: Exclude<TriggerRule, { exclude_url_contains: string }>, href: string): boolean {
  if ('url_contains' in rule) return href.includes(rule.url_contains);
  if ('url_equals' in rule) return href === rule.url_equals;
  if ('path_prefix' in rule) return pathOf(href)?.startsWith(rule.path_prefix) ?? false;
  return testRegex(rule.url_regex, href);
}

function pathOf(href: string): string | null {
  try {
    return new URL(href).pathname;
  } catch {
    return null;
  }
}

/** A pattern that no longer compiles (stored under other rules) matches nothing rather than throwing. */
function testRegex(pattern: string, href: string): boolean {
  try {
    return new RegExp(pattern).test(href);
  } catch {
    return false;
  }
}
