import { RULE_KINDS, type RuleKind, type TriggerRule } from '../types.js';

const RULE_LABELS: Record<RuleKind, string> = {
  url_contains: 'URL contains',
  url_equals: 'URL equals',
  path_prefix: 'Path starts with',
  url_regex: 'URL matches regex',
  exclude_url_contains: 'Never when URL contains',
};

const kindOf = (rule: TriggerRule): RuleKind => RULE_KINDS.find((kind) => kind in rule) ?? 'url_contains';

/**
 * The rules deciding on which pages a tag or snippet fires. `fieldPrefix` is its path in the
 * request body (tags.0.trigger_rules), to show the API's message at the rule it is about.
 */
export function TriggerRulesEditor(props: {
  rules: TriggerRule[];
  onChange: (rules: TriggerRule[]) => void;
  fieldPrefix: string;
  errorOf: (field: string) => string | undefined;
  label: string;
}) {
  const { rules, onChange } = props;
  const replace = (index: number, rule: TriggerRule): void => onChange(rules.map((r, i) => (i === index ? rule : r)));
  return (
    <fieldset class="rules">
      <legend>Trigger rules of {props.label}</legend>
      {rules.length === 0 && <p class="hint">No rules: fires on every page.</p>}
      {rules.map((rule, index) => {
        const kind = kindOf(rule);
        const field = `${props.fieldPrefix}.${index}`;
        const error = props.errorOf(`${field}.${kind}`) ?? props.errorOf(field);
        const id = `${field}-value`;
        return (
          <div class="rule" key={index}>
            <select
              aria-label={`Rule ${index + 1} kind`}
              value={kind}
              onChange={(e) => replace(index, { [e.currentTarget.value]: rule[kind] ?? '' })}
            >
              {RULE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {RULE_LABELS[k]}
                </option>
              ))}
            </select>
            <input
              id={id}
              aria-label={`Rule ${index + 1} value`}
              aria-invalid={Boolean(error)}
              value={rule[kind] ?? ''}
              onInput={(e) => replace(index, { [kind]: e.currentTarget.value })}
            />
            <button type="button" aria-label={`Remove rule ${index + 1}`} onClick={() => onChange(rules.filter((_, i) => i !== index))}>
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
      <button type="button" onClick={() => onChange([...rules, { url_contains: '' }])}>
        Add rule
      </button>
    </fieldset>
  );
}
