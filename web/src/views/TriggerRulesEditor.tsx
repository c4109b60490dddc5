import { RULE_KINDS, type RuleKind, type TriggerRule, type TriggerRules } from '../types.js';

const RULE_LABELS: Record<RuleKind, string> = {
  url_contains: 'URL contains',
  url_equals: 'URL equals',
  path_prefix: 'Path starts with',
  url_regex: 'URL matches regex',
  exclude_url_contains: 'Never when URL contains',
};

const kindOf = (rule: TriggerRule): RuleKind => RULE_KINDS.find((kind) => kind in rule) ?? 'url_contains';

type Row = [RuleKind, string];

/** The rules as rows of kind and value: one per rule of a list, one per key of the object form. */
function rowsOf(rules: TriggerRules): Row[] {
  if (Array.isArray(rules)) return rules.map((rule) => [kindOf(rule), rule[kindOf(rule)] ?? '']);
  // In the object's own key order, so that a row keeps its place while its kind is changed.
  return Object.keys(rules)
    .filter((key): key is RuleKind => (RULE_KINDS as readonly string[]).includes(key))
    .map((kind) => [kind, rules[kind] ?? '']);
}

/** Back to the shape the API takes, keeping the form the rules came in unless the operator switches it. */
const rulesOf = (rows: Row[], all: boolean): TriggerRules =>
  all ? Object.fromEntries(rows) : rows.map(([kind, value]) => ({ [kind]: value }));

/**
 * The rules deciding on which pages a tag or snippet fires, in either form the API keeps: a list
 * (any one rule fires it) or one object (all of its keys must hold, as in the Mythic Analytics
 * docs). `fieldPrefix` is its path in the request body (tags.0.trigger_rules), to show the API's
 * message at the rule it is about.
 */
export function TriggerRulesEditor(props: {
  rules: TriggerRules;
  onChange: (rules: TriggerRules) => void;
  fieldPrefix: string;
  errorOf: (field: string) => string | undefined;
  label: string;
}) {
  const all = !Array.isArray(props.rules);
  const rows = rowsOf(props.rules);
  const used = new Set(rows.map(([kind]) => kind));
  // An object has each key once: a list that repeats a kind cannot become one without losing a rule.
  const repeats = used.size < rows.length;
  const change = (next: Row[], nextAll = all): void => props.onChange(rulesOf(next, nextAll));
  const replace = (index: number, row: Row): void => change(rows.map((r, i) => (i === index ? row : r)));
  const unusedKind = RULE_KINDS.find((kind) => !used.has(kind));
  const whole = props.errorOf(props.fieldPrefix);
  return (
    <fieldset class="rules">
      <legend>Trigger rules of {props.label}</legend>
      <select aria-label={`How the rules of ${props.label} combine`} value={all ? 'all' : 'any'} onChange={(e) => change(rows, e.currentTarget.value === 'all')}>
        <option value="any">Fires when any rule matches</option>
        <option value="all" disabled={repeats}>
          Fires when all rules hold{repeats ? ' (each kind at most once)' : ''}
        </option>
      </select>
      {rows.length === 0 && <p class="hint">No rules: fires on every page.</p>}
      {rows.length > 0 && <p class="hint">{all ? 'All of these must hold; a “never when” rule still excludes.' : 'Any one of these fires it; a “never when” rule excludes.'}</p>}
      {rows.map(([kind, value], index) => {
        const field = all ? `${props.fieldPrefix}.${kind}` : `${props.fieldPrefix}.${index}`;
        const error = all ? props.errorOf(field) : (props.errorOf(`${field}.${kind}`) ?? props.errorOf(field));
        const id = `${props.fieldPrefix}.${index}-value`;
        return (
          <div class="rule" key={index}>
            <select aria-label={`Rule ${index + 1} kind`} value={kind} onChange={(e) => replace(index, [e.currentTarget.value as RuleKind, value])}>
              {RULE_KINDS.map((k) => (
                <option key={k} value={k} disabled={all && k !== kind && used.has(k)}>
                  {RULE_LABELS[k]}
                </option>
              ))}
            </select>
            <input id={id} aria-label={`Rule ${index + 1} value`} aria-invalid={Boolean(error)} value={value} onInput={(e) => replace(index, [kind, e.currentTarget.value])} />
            <button type="button" aria-label={`Remove rule ${index + 1}`} onClick={() => change(rows.filter((_, i) => i !== index))}>
              Remove
            </button>
            {error && (
              <small class="error" role="alert">
                {error}
              </small>
            )}
          </div>
        );
      })}
      {whole && (
        <small class="error" role="alert">
          {whole}
        </small>
      )}
      <button type="button" disabled={all && unusedKind === undefined} onClick={() => change([...rows, [all ? (unusedKind ?? 'url_contains') : 'url_contains', '']])}>
        Add rule
      </button>
    </fieldset>
  );
}
