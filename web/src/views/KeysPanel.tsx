import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import type { ApiKey, RotatedKeys } from '../types.js';
import { ConfirmDialog, Dialog } from '../ui/Dialog.js';
import { Field } from '../ui/Field.js';
import { CopyButton, ErrorNote, formatDate, Loading } from '../ui/misc.js';
import { useAsync } from '../ui/useAsync.js';

const GRACE_CHOICES = [
  { seconds: 0, label: 'None: cut the old key now (leaked key)' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '1 day' },
  { seconds: 604800, label: '7 days' },
];

export function KeysPanel({ clientId }: { clientId: string }) {
  const keys = useAsync(() => api.get<ApiKey[]>(`/clients/${enc(clientId)}/keys`), [clientId]);
  const [kind, setKind] = useState<'both' | 'secret' | 'publishable'>('secret');
  const [grace, setGrace] = useState(86400);
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [rotated, setRotated] = useState<RotatedKeys | null>(null);

  const rotate = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      setRotated(await api.post<RotatedKeys>(`/clients/${enc(clientId)}/keys/rotate`, { key: kind, grace_seconds: grace }));
      setAsking(false);
      keys.reload();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">Keys</h2>
      <ErrorNote error={keys.error} />
      {keys.data ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Key</th>
                <th scope="col">State</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((key) => (
                <tr key={key.id}>
                  <td>{key.kind}</td>
                  <td>
                    <code>{key.key}</code>
                  </td>
                  <td>{key.current ? 'Current' : 'In grace period'}</td>
                  <td>{formatDate(key.expires_at)}</td>
                  <td>{formatDate(key.last_used_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Loading what="keys" />
      )}
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          setAsking(true);
        }}
      >
        <Field label="Key to rotate">
          {(aria) => (
            <select {...aria} name="key" value={kind} onChange={(e) => setKind(e.currentTarget.value as typeof kind)}>
              <option value="secret">Secret</option>
              <option value="publishable">Publishable</option>
              <option value="both">Both</option>
            </select>
          )}
        </Field>
        <Field label="Old key keeps working for">
          {(aria) => (
            <select {...aria} name="grace_seconds" value={String(grace)} onChange={(e) => setGrace(Number(e.currentTarget.value))}>
              {GRACE_CHOICES.map((choice) => (
                <option key={choice.seconds} value={String(choice.seconds)}>
                  {choice.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit">Rotate…</button>
      </form>
      {asking && (
        <ConfirmDialog
          title="Rotate keys?"
          message={<p>New {kind === 'both' ? 'publishable and secret keys are' : `${kind} key is`} issued. Pages and servers must switch to it before the old one stops working.</p>}
          action="Rotate"
          busy={busy}
          error={error}
          onConfirm={() => void rotate()}
          onClose={() => setAsking(false)}
        />
      )}
      {rotated && (
        <Dialog title="New keys" onClose={() => setRotated(null)}>
          {rotated.rotated.includes('secret') && (
            <>
              <p>Copy the new secret key now: it is shown only this once.</p>
              <p>
                <code class="secret" data-testid="rotated-secret">
                  {rotated.secret_key}
                </code>{' '}
                <CopyButton text={rotated.secret_key ?? ''} />
              </p>
            </>
          )}
          {rotated.rotated.includes('publishable') && (
            <p>
              New publishable key: <code>{rotated.publishable_key}</code>
            </p>
          )}
          <p>Old keys expire {formatDate(rotated.previous_keys_expire_at)}.</p>
          <div class="actions">
            <button type="button" class="primary" onClick={() => setRotated(null)}>
              I have copied it
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
