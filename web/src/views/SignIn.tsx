import { useState } from 'preact/hooks';
import { ApiFailure } from '../api.js';
import { signIn, type Session } from '../session.js';
import { Field } from '../ui/Field.js';

const MESSAGES: Record<number, string> = {
  401: 'This key is not the admin key nor a working secret key of a client.',
  403: 'This client is deactivated.',
};

export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="signin">
      <h1>Mythic</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          setError(undefined);
          signIn(key.trim()).then(onSignedIn, (failure: unknown) => {
            setBusy(false);
            setError(failure instanceof ApiFailure ? (MESSAGES[failure.status] ?? failure.message) : String(failure));
          });
        }}
      >
        <Field
          label="Admin key or client secret key"
          error={error}
          hint="The admin key sees every client; a client’s sk_ key sees only its own analytics. The key is kept in this tab only."
        >
          {(aria) => (
            <input {...aria} name="key" type="password" autoComplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
          )}
        </Field>
        <button type="submit" class="primary" disabled={busy || key.trim() === ''}>
          Sign in
        </button>
      </form>
    </main>
  );
}
