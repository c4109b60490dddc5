import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import type { Snippet } from '../types.js';
import { Field } from '../ui/Field.js';
import { ErrorNote, Loading } from '../ui/misc.js';
import { useAsync } from '../ui/useAsync.js';
import { onSubmitRun, useSubmit } from '../ui/useSubmit.js';
import { TriggerRulesEditor } from './TriggerRulesEditor.js';

/** Edits the whole snippet set and saves it in one PUT; snippets keep their ids across edits. */
export function SnippetsEditor({ clientId }: { clientId: string }) {
  const loaded = useAsync(() => api.get<Snippet[]>(`/clients/${enc(clientId)}/snippets`), [clientId]);
  const [snippets, setSnippets] = useState<Snippet[]>([]);
  const submission = useSubmit();
  const { failure, errorOf } = submission;
  useEffect(() => {
    if (loaded.data) setSnippets(loaded.data);
  }, [loaded.data]);
  if (loaded.error) return <ErrorNote error={loaded.error} />;
  if (!loaded.data) return <Loading what="snippets" />;
  const update = (index: number, change: Partial<Snippet>): void => setSnippets(snippets.map((s, i) => (i === index ? { ...s, ...change } : s)));

  const save = (): Promise<void> =>
    submission.run(async () => {
      setSnippets(await api.put<Snippet[]>(`/clients/${enc(clientId)}/snippets`, { snippets }));
      return 'Snippets saved';
    });

  return (
    <form
      class="editor"
      aria-labelledby="snippets-title"
      noValidate
      onSubmit={onSubmitRun(save)}
    >
      <h2 id="snippets-title">Snippets</h2>
      {failure && <ErrorNote error={failure} />}
      {snippets.length === 0 && <p>No snippets yet.</p>}
      {snippets.map((snippet, index) => {
        const title = snippet.description || `Snippet #${index + 1}`;
        return (
          <fieldset class="item" key={snippet.id ?? `new-${index}`}>
            <legend>{title}</legend>
            <Field label="Description" error={errorOf(`snippets.${index}.description`)}>
              {(aria) => <input {...aria} value={snippet.description} onInput={(e) => update(index, { description: e.currentTarget.value })} />}
            </Field>
            <Field label="Code (HTML)" error={errorOf(`snippets.${index}.code`)}>
              {(aria) => <textarea {...aria} rows={5} class="code" value={snippet.code} onInput={(e) => update(index, { code: e.currentTarget.value })} />}
            </Field>
            <div class="field checkbox">
              <input id={`snippet-${index}-enabled`} type="checkbox" checked={snippet.enabled} onChange={(e) => update(index, { enabled: e.currentTarget.checked })} />
              <label for={`snippet-${index}-enabled`}>Enabled</label>
            </div>
            <TriggerRulesEditor
              label={title}
              rules={snippet.trigger_rules}
              onChange={(trigger_rules) => update(index, { trigger_rules })}
              fieldPrefix={`snippets.${index}.trigger_rules`}
              errorOf={errorOf}
            />
            <div class="actions">
              <button type="button" class="danger" onClick={() => setSnippets(snippets.filter((_, i) => i !== index))} aria-label={`Remove ${title}`}>
                Remove
              </button>
            </div>
          </fieldset>
        );
      })}
      <div class="actions">
        <button type="button" onClick={() => setSnippets([...snippets, { code: '', description: '', enabled: true, trigger_rules: [] }])}>
          Add snippet
        </button>
        <button type="submit" class="primary" disabled={submission.busy}>
          Save snippets
        </button>
        <span role="status">{submission.done}</span>
      </div>
    </form>
  );
}
