/**
 * Picks an IANA time zone from a list that a search box narrows, each shown with its current
 * offset. A select rather than free text: the value is always a zone the browser knows, and the
 * keyboard's type-ahead works in the list too. The stored value stays listed whatever the search.
 */
import { useMemo, useState } from 'preact/hooks';
import { Field } from './Field.js';
import { searchTimeZones, timeZoneChoices } from './timeZones.js';

export function TimeZonePicker(props: { label: string; name: string; value: string; onChange: (zone: string) => void; error?: string | undefined; hint?: string }) {
  const [query, setQuery] = useState('');
  const all = useMemo(() => timeZoneChoices([props.value]), [props.value]);
  const found = searchTimeZones(all, query);
  const current = all.find((choice) => choice.zone === props.value);
  const shown = current && !found.includes(current) ? [current, ...found] : found;
  return (
    <div class="tz-picker">
      <Field label={`Search ${props.label.toLowerCase()}s`}>
        {(aria) => (
          <input
            {...aria}
            type="search"
            placeholder="e.g. Berlin or +05:30"
            value={query}
            onInput={(event) => {
              const next = event.currentTarget.value;
              setQuery(next);
              // One match left: pick it, as a person would expect after typing "Kolkata".
              const matches = searchTimeZones(all, next);
              if (matches.length === 1 && matches[0]!.zone !== props.value) props.onChange(matches[0]!.zone);
            }}
          />
        )}
      </Field>
      <Field label={props.label} error={props.error} {...(props.hint ? { hint: props.hint } : {})}>
        {(aria) => (
          <select {...aria} name={props.name} value={props.value} onChange={(event) => props.onChange(event.currentTarget.value)}>
            {shown.map((choice) => (
              <option key={choice.zone} value={choice.zone}>
                {choice.label}
                {choice.offset === '' || choice.offset === choice.label ? '' : ` (${choice.offset})`}
              </option>
            ))}
          </select>
        )}
      </Field>
      <p class="hint" aria-live="polite">
        {query === '' ? `${all.length} time zones` : `${found.length} match${found.length === 1 ? '' : 'es'}`}
      </p>
    </div>
  );
}
