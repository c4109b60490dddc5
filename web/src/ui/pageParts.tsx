import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ConfirmDialog } from './Dialog.js';
import { CopyButton, ErrorNote, Loading } from './misc.js';
import type { Submission } from './useSubmit.js';

/**
 * Pieces the admin pages (links, Pub/Sub, MCP) repeat: a list's loading, failed and empty states,
 * a secret shown once, a button that confirms before it acts, a form's refusal that names no
 * field. A module of their own, apart from misc/Dialog/Field, so that they travel with the lazily
 * loaded pages and not in the first load.
 */

/** A secret shown only this once (a new key, a signing secret), with its copy button. */
export function SecretOnce({ secret, testId, name }: { secret: string; testId?: string; name?: string }) {
  return (
    <p>
      <code class="secret" data-testid={testId}>
        {secret}
      </code>{' '}
      <CopyButton text={secret} name={name} />
    </p>
  );
}

/** What a list shows while it loads, when it failed, when it is empty, and else its items. */
export function ListStates<T>(props: { items: T[] | undefined; loading: boolean; error: unknown; what: string; empty: ComponentChildren; children: (items: T[]) => ComponentChildren }) {
  return (
    <>
      <ErrorNote error={props.error} />
      {props.items === undefined ? props.loading && <Loading what={props.what} /> : props.items.length === 0 ? props.empty : props.children(props.items)}
    </>
  );
}

/**
 * A button that asks first (revoke, delete, rotate): the ConfirmDialog stays open while `run` works
 * and shows what it threw; once it resolved the dialog closes and `onDone` gets its result.
 */
export function ConfirmButton<T>(props: {
  label: string;
  /** Tells the buttons of several rows apart for screen readers. */
  name?: string;
  danger?: boolean;
  title: string;
  message: ComponentChildren;
  action: string;
  run: () => Promise<T>;
  onDone: (result: T) => void;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const result = await props.run();
      setAsking(false);
      props.onDone(result);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class={props.danger ? 'danger' : undefined} aria-label={props.name} onClick={() => setAsking(true)}>
        {props.label}
      </button>
      {asking && <ConfirmDialog title={props.title} message={props.message} action={props.action} busy={busy} error={error} onConfirm={() => void confirm()} onClose={() => setAsking(false)} />}
    </>
  );
}

/** The form's refusal when it names none of the form's fields (they show their own next to them). */
export function FormFailure({ submission, fields }: { submission: Submission; fields: readonly string[] }) {
  if (!submission.unplaced(fields)) return null;
  return (
    <p class="error-note" role="alert">
      {submission.failure?.message}
    </p>
  );
}
