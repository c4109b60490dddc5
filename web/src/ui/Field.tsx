import type { ComponentChildren } from 'preact';

let nextId = 0;
const uniqueId = (): string => `f${++nextId}`;

interface FieldProps {
  label: string;
  /** Shown under the input and announced with it; the API's message for this field. */
  error?: string | undefined;
  hint?: string;
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ComponentChildren;
}

/** A labelled control whose error is tied to it (aria-describedby), so screen readers read both. */
export function Field({ label, error, hint, children }: FieldProps) {
  const id = uniqueId();
  const described = [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${error ? ' has-error' : ''}`}>
      <label for={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), ...(described ? { 'aria-describedby': described } : {}) })}
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} class="error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

export function TextField(props: {
  label: string;
  name: string;
  value: string;
  onInput: (value: string) => void;
  error?: string | undefined;
  hint?: string;
  type?: 'text' | 'email' | 'tel' | 'url';
  required?: boolean;
  disabled?: boolean;
  placeholder?: string;
}) {
  return (
    <Field label={props.label} error={props.error} {...(props.hint ? { hint: props.hint } : {})}>
      {(aria) => (
        <input
          {...aria}
          name={props.name}
          // Preact's typings tell input types apart by literal; a union of them is fine at run time.
          type={(props.type ?? 'text') as 'text'}
          value={props.value}
          required={props.required}
          disabled={props.disabled}
          placeholder={props.placeholder}
          onInput={(event) => props.onInput(event.currentTarget.value)}
        />
      )}
    </Field>
  );
}
