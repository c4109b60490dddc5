import { Type } from 'typebox';
import { ERROR_MESSAGE } from '../http/validation.js';
import type { RuleKind, TriggerRule, TriggerRules } from './remoteConfig.js';

export const MAX_TRIGGER_RULES = 20;
export const MAX_RULE_VALUE_LENGTH = 2048;
export const MAX_RULE_REGEX_LENGTH = 256;
export const RULE_KINDS: readonly RuleKind[] = ['url_contains', 'url_equals', 'path_prefix', 'url_regex', 'exclude_url_contains'];

const ruleText = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: MAX_RULE_VALUE_LENGTH,
    [ERROR_MESSAGE]: `must be 1–${MAX_RULE_VALUE_LENGTH} characters`,
    description,
  });

/**
 * The rule keys and their values. The list form uses them one per object, the object form any
 * number at once; each value is checked the same way in both.
 */
const RULE_PROPERTIES = {
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
      [ERROR_MESSAGE]: `must be a JavaScript regular expression of 1–${MAX_RULE_REGEX_LENGTH} characters that compiles and that an automaton analysis and a fuzzer find to run in linear time on any URL (no ambiguous repetition such as (a|a)*, (a+)+ or an unanchored a.*b; no count above 255; no backreference or lookahead), since a slower one could freeze visitors' browsers`,
      description: 'Matches when this regular expression (no flags) finds a match in the page URL.',
    }),
  ),
  exclude_url_contains: Type.Optional(ruleText('Never fires on a page whose URL contains this text, whatever the other rules say.')),
};

/**
 * One rule of the list form: an object with exactly one of the rule keys. Written as one object
 * with optional keys and a property count of one, rather than a union of five objects, so that a
 * rejected rule is reported once, at the key at fault, instead of once per branch.
 */
export const TriggerRuleSchema = Type.Unsafe<TriggerRule>(
  Type.Object(RULE_PROPERTIES, {
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
    [ERROR_MESSAGE]: `must have exactly one of the keys ${RULE_KINDS.join(', ')}`,
    title: 'TriggerRule',
  }),
);

/**
 * Either form, as one schema rather than a union: `items` and `maxItems` apply to arrays only,
 * `properties` and `additionalProperties` to objects only, so a bad rule is reported once, at the
 * key at fault, and not once more as "must be an array" by the branch it was not meant for.
 */
export const TriggerRulesSchema = Type.Unsafe<TriggerRules>({
  type: ['array', 'object'],
  items: TriggerRuleSchema,
  maxItems: MAX_TRIGGER_RULES,
  properties: RULE_PROPERTIES,
  additionalProperties: false,
  description:
    `Two forms. An object, as Mythic Analytics documents it ({ "url_contains": "/checkout" }): every key it has must hold, an exclude_url_contains key holding when the URL does not contain its text; {} fires on every page. ` +
    `Or a list of at most ${MAX_TRIGGER_RULES} one-key rules: an empty list fires on every page; otherwise the page must match no exclude rule and, when there are other rules, at least one of them. ` +
    'Answers give the rules back in the form they were sent.',
  examples: [{ url_contains: '/checkout' }, [{ path_prefix: '/shop' }, { exclude_url_contains: '/shop/admin' }]],
});

/**
 * Whether a page at `href` matches a rule set, as the browser loader decides it (it carries its
 * own copy of this function; the semantics are documented on TriggerRules in remoteConfig.ts).
 */
export function matchesRules(rules: TriggerRules, href: string): boolean {
  if (!Array.isArray(rules)) {
    return Object.entries(rules).every(([kind, value]) =>
      kind === 'exclude_url_contains' ? !href.includes(value) : hits(kind as InclusionKind, value, href),
    );
  }
  let hasInclusion = false;
  let included = false;
  for (const rule of rules) {
    const [kind, value] = Object.entries(rule)[0] as [RuleKind, string];
    if (kind === 'exclude_url_contains') {
      if (href.includes(value)) return false;
      continue;
    }
    hasInclusion = true;
    if (!included && hits(kind, value, href)) included = true;
  }
  return !hasInclusion || included;
}

type InclusionKind = Exclude<RuleKind, 'exclude_url_contains'>;

/** Whether the page has what an inclusion key asks for. */
function hits(kind: InclusionKind, value: string, href: string): boolean {
  if (kind === 'url_contains') return href.includes(value);
  if (kind === 'url_equals') return href === value;
  if (kind === 'path_prefix') return pathOf(href)?.startsWith(value) ?? false;
  return testRegex(value, href);
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
