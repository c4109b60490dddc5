import { useState } from 'preact/hooks';
import { ApiFailure } from '../api.js';

export interface Submission {
  /** The last refusal, kept so the form can show each field's message next to it. */
  failure: ApiFailure | null;
  busy: boolean;
  /** What the last successful run said it did ("Saved"), for a polite live region. */
  done: string;
  errorOf(field: string): string | undefined;
  /** The message for `field` or any of its parts (`filter.events` under `filter`, `tags.2` under `tags`). */
  errorUnder(field: string): string | undefined;
  /** True when the last refusal names none of `fields`: the form shows it as a whole. */
  unplaced(fields: readonly string[]): boolean;
  /** Runs `action`; the message it returns becomes `done`, what it throws becomes `failure`. */
  run(action: () => Promise<string | void>): Promise<void>;
}

const under = (named: string, field: string): boolean => named === field || named.startsWith(`${field}.`);

export function useSubmit(): Submission {
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState('');
  return {
    failure,
    busy,
    done,
    errorOf: (field) => failure?.forField(field),
    errorUnder: (field) => failure?.details.find((d) => under(d.field, field))?.message,
    unplaced: (fields) => failure !== null && !failure.details.some((d) => fields.some((f) => under(d.field, f))),
    run: async (action) => {
      setBusy(true);
      setFailure(null);
      setDone('');
      try {
        setDone((await action()) ?? '');
      } catch (error) {
        setFailure(error instanceof ApiFailure ? error : new ApiFailure(0, 'error', error instanceof Error ? error.message : String(error), []));
      } finally {
        setBusy(false);
      }
    },
  };
}

/** onSubmit of a form that the browser must not validate or send itself: the API validates. */
export const onSubmitRun = (run: () => Promise<void>) => (event: Event) => {
  event.preventDefault();
  void run();
};
