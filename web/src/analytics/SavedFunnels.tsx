import { useState } from 'preact/hooks';
import { ConfirmDialog } from '../ui/Dialog.js';
import { TextField } from '../ui/Field.js';
import { onSubmitRun, useSubmit } from '../ui/useSubmit.js';
import { useCardQuery } from './pageStatus.js';
import { savedFunnels, type FunnelStep, type SavedFunnel } from './funnelsApi.js';

/**
 * The client's saved funnels beside the builder: pick one to load its steps, save the steps shown
 * under a name, and update, rename or delete the one loaded. They live on the server, so another
 * browser (or another user of the client) sees the same list.
 */
export function SavedFunnels({
  clientId,
  steps,
  windowSeconds,
  onLoad,
}: {
  clientId: string;
  steps: FunnelStep[];
  windowSeconds: number;
  onLoad: (funnel: SavedFunnel) => void;
}) {
  const [round, setRound] = useState(0);
  const list = useCardQuery('saved-funnels', () => savedFunnels.list(clientId), [clientId, round]);
  const [selected, setSelected] = useState<string>('');
  const [name, setName] = useState('');
  const [renaming, setRenaming] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  const submission = useSubmit();
  const { failure } = submission;
  const current = list.data?.find((f) => f.id === selected);

  const act = (action: () => Promise<string>): Promise<void> =>
    submission.run(async () => {
      const done = await action();
      setRound((n) => n + 1);
      return done;
    });
  const save = (): Promise<void> =>
    act(async () => {
      const created = await savedFunnels.create(clientId, { name: name.trim(), steps, window_seconds: windowSeconds });
      setSelected(created.id);
      setName('');
      return `Saved “${created.name}”`;
    });
  const update = (funnel: SavedFunnel): Promise<void> =>
    act(async () => {
      await savedFunnels.update(clientId, funnel.id, { steps, window_seconds: windowSeconds });
      return `Updated “${funnel.name}”`;
    });
  const rename = (funnel: SavedFunnel, to: string): Promise<void> =>
    act(async () => {
      const renamed = await savedFunnels.update(clientId, funnel.id, { name: to.trim() });
      setRenaming(null);
      return `Renamed to “${renamed.name}”`;
    });
  const remove = (funnel: SavedFunnel): Promise<void> =>
    act(async () => {
      await savedFunnels.remove(clientId, funnel.id);
      setDeleting(false);
      setSelected('');
      return `Deleted “${funnel.name}”`;
    });

  return (
    <div class="saved-funnels">
      <div class="saved-pick">
        <label for="saved-funnel">Saved funnels</label>
        <select
          id="saved-funnel"
          value={selected}
          disabled={!list.data}
          onChange={(e) => {
            const id = e.currentTarget.value;
            setSelected(id);
            setRenaming(null);
            const funnel = list.data?.find((f) => f.id === id);
            if (funnel) onLoad(funnel);
          }}
        >
          <option value="">{!list.data ? '—' : list.data.length === 0 ? 'None saved yet' : 'Choose a saved funnel'}</option>
          {list.data?.map((f) => (
            <option key={f.id} value={f.id}>
              {f.name}
            </option>
          ))}
        </select>
        {current && (
          <>
            <button type="button" disabled={submission.busy} onClick={() => void update(current)}>
              Save steps to “{current.name}”
            </button>
            <button type="button" onClick={() => setRenaming(current.name)}>
              Rename
            </button>
            <button type="button" class="danger" onClick={() => setDeleting(true)}>
              Delete
            </button>
          </>
        )}
      </div>
      {current && renaming !== null ? (
        <form class="inline-form" noValidate onSubmit={onSubmitRun(() => rename(current, renaming))}>
          <TextField label="New name" name="funnel-rename" value={renaming} onInput={setRenaming} error={failure?.forField('name') ?? failure?.message} />
          <button type="submit" disabled={submission.busy}>
            Save name
          </button>
          <button type="button" onClick={() => setRenaming(null)}>
            Cancel
          </button>
        </form>
      ) : (
        <form class="inline-form" noValidate onSubmit={onSubmitRun(save)}>
          <TextField label="Funnel name" name="funnel-name" value={name} onInput={setName} error={failure?.forField('name') ?? failure?.message} placeholder="Checkout" />
          <button type="submit" disabled={submission.busy}>
            Save funnel
          </button>
        </form>
      )}
      <p class="hint" role="status">
        {submission.done}
      </p>
      {deleting && current && (
        <ConfirmDialog
          title={`Delete the funnel “${current.name}”?`}
          message={<p>It is removed for everyone who sees this client’s analytics.</p>}
          action="Delete"
          busy={submission.busy}
          error={failure?.message ?? null}
          onConfirm={() => void remove(current)}
          onClose={() => setDeleting(false)}
        />
      )}
    </div>
  );
}
