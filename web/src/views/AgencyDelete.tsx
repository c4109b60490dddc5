/**
 * Deleting an agency from its page. The API refuses while clients belong to it unless asked to
 * detach them (`?force=true`), so the dialog says what happens to them: they stay, with no agency,
 * keeping their keys, settings and events.
 */
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { navigate } from '../router.js';
import type { Agency } from '../types.js';
import { ConfirmDialog } from '../ui/Dialog.js';

export function AgencyDelete({ agency }: { agency: Agency }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const count = agency.client_count;
  const remove = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await api.delete(`/agencies/${enc(agency.id)}${count > 0 ? '?force=true' : ''}`);
      setAsking(false);
      navigate('/agencies');
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="danger-zone" aria-labelledby="agency-danger-title">
      <h2 id="agency-danger-title">Delete</h2>
      <div class="actions">
        <button type="button" class="danger" onClick={() => setAsking(true)}>
          Delete agency…
        </button>
      </div>
      {asking && (
        <ConfirmDialog
          title="Delete this agency?"
          message={
            count === 0 ? (
              <p>The agency “{agency.name}” is removed. It has no clients.</p>
            ) : (
              <p>
                The agency “{agency.name}” is removed. Its {count === 1 ? 'client stays' : `${count} clients stay`}, with no agency: keys,
                settings and events are kept, and {count === 1 ? 'it' : 'each'} can be given another agency later.
              </p>
            )
          }
          action="Delete agency"
          busy={busy}
          error={error}
          onConfirm={() => void remove()}
          onClose={() => setAsking(false)}
        />
      )}
    </section>
  );
}
