import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';

/**
 * A modal on the native <dialog>: the browser keeps focus inside it and closes it on Escape. Focus
 * goes to the first control when it opens and back to whatever had it when it closes.
 */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  // A layout effect runs in the same task as the render that opened the dialog: a plain effect
  // waits for the next frame, and on a loaded machine the opener had sometimes lost focus by then
  // (seen in CI: focus then returned to nothing).
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    dialog.querySelector<HTMLElement>('[autofocus], input, select, textarea, button')?.focus();
    return () => {
      if (dialog.open) dialog.close();
      opener?.focus();
    };
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="dialog-title" onCancel={(event) => (event.preventDefault(), onClose())}>
      <h2 id="dialog-title">{title}</h2>
      {children}
    </dialog>
  );
}

/** Asks before a destructive step; `confirmText`, when set, must be typed to enable the button. */
export function ConfirmDialog(props: {
  title: string;
  message: ComponentChildren;
  action: string;
  confirmText?: string;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const typed = useRef<HTMLInputElement>(null);
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          if (props.confirmText === undefined || typed.current?.value === props.confirmText) props.onConfirm();
        }}
      >
        <div>{props.message}</div>
        {props.confirmText !== undefined && (
          <div class="field">
            <label for="confirm-text">
              Type <code>{props.confirmText}</code> to confirm
            </label>
            <input id="confirm-text" ref={typed} autoComplete="off" required />
          </div>
        )}
        {props.error && (
          <p class="error" role="alert">
            {props.error}
          </p>
        )}
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="danger" disabled={props.busy}>
            {props.action}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
