import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import type { Tag, TagTemplate } from '../types.js';
import { Field } from '../ui/Field.js';
import { ErrorNote, Loading } from '../ui/misc.js';
import { useAsync } from '../ui/useAsync.js';
import { onSubmitRun, useSubmit } from '../ui/useSubmit.js';
import { TriggerRulesEditor } from './TriggerRulesEditor.js';

/** Edits the whole tag set and saves it in one PUT: the API stores all of it or nothing. */
export function TagsEditor({ clientId }: { clientId: string }) {
  const loaded = useAsync(
    () => Promise.all([api.get<TagTemplate[]>('/tag-templates'), api.get<Tag[]>(`/clients/${enc(clientId)}/tags`)]),
    [clientId],
  );
  const [tags, setTags] = useState<Tag[]>([]);
  const [adding, setAdding] = useState('');
  const submission = useSubmit();
  const { failure, errorOf } = submission;
  useEffect(() => {
    if (loaded.data) setTags(loaded.data[1]);
  }, [loaded.data]);
  if (loaded.error) return <ErrorNote error={loaded.error} />;
  if (!loaded.data) return <Loading what="tags" />;
  const templates = loaded.data[0];
  // A tag may name its template by id or by UUID (as integrations written for Mythic Analytics do).
  const templateOf = (ref: string): TagTemplate | undefined => templates.find((t) => t.id === ref || t.uuid === ref);
  const update = (index: number, change: Partial<Tag>): void => setTags(tags.map((tag, i) => (i === index ? { ...tag, ...change } : tag)));
  const move = (index: number, by: number): void => {
    const next = [...tags];
    const [moved] = next.splice(index, 1);
    next.splice(index + by, 0, moved!);
    setTags(next);
  };

  const save = (): Promise<void> =>
    submission.run(async () => {
      setTags(await api.put<Tag[]>(`/clients/${enc(clientId)}/tags`, { tags }));
      return 'Tags saved';
    });

  return (
    <form
      class="editor"
      aria-labelledby="tags-title"
      noValidate
      onSubmit={onSubmitRun(save)}
    >
      <h2 id="tags-title">Tags</h2>
      {failure && <ErrorNote error={failure} />}
      {tags.length === 0 && <p>No tags yet.</p>}
      {tags.map((tag, index) => {
        const template = templateOf(tag.tag_id);
        const title = `${template?.name ?? tag.tag_id} (#${index + 1})`;
        return (
          <fieldset class="item" key={index}>
            <legend>{title}</legend>
            {template && <p class="hint">{template.description}</p>}
            <div class="field checkbox">
              <input id={`tag-${index}-enabled`} type="checkbox" checked={tag.enabled} onChange={(e) => update(index, { enabled: e.currentTarget.checked })} />
              <label for={`tag-${index}-enabled`}>Enabled</label>
            </div>
            {template?.params.map((param) => (
              <Field key={param.name} label={`${param.label}${param.required ? ' (required)' : ''}`} hint={`${param.description} Example: ${param.example}`} error={errorOf(`tags.${index}.params.${param.name}`)}>
                {(aria) => (
                  <input
                    {...aria}
                    name={`tags.${index}.params.${param.name}`}
                    value={tag.params[param.name] ?? ''}
                    onInput={(e) => {
                      const params = { ...tag.params, [param.name]: e.currentTarget.value };
                      if (params[param.name] === '') delete params[param.name];
                      update(index, { params });
                    }}
                  />
                )}
              </Field>
            ))}
            {errorOf(`tags.${index}.params`) && <small class="error">{errorOf(`tags.${index}.params`)}</small>}
            <TriggerRulesEditor
              label={title}
              rules={tag.trigger_rules}
              onChange={(trigger_rules) => update(index, { trigger_rules })}
              fieldPrefix={`tags.${index}.trigger_rules`}
              errorOf={errorOf}
            />
            <div class="actions">
              <button type="button" disabled={index === 0} onClick={() => move(index, -1)} aria-label={`Move ${title} up`}>
                Up
              </button>
              <button type="button" disabled={index === tags.length - 1} onClick={() => move(index, 1)} aria-label={`Move ${title} down`}>
                Down
              </button>
              <button type="button" class="danger" onClick={() => setTags(tags.filter((_, i) => i !== index))} aria-label={`Remove ${title}`}>
                Remove
              </button>
            </div>
          </fieldset>
        );
      })}
      <div class="inline-form">
        <Field label="Add a tag">
          {(aria) => (
            <select {...aria} name="template" value={adding} onChange={(e) => setAdding(e.currentTarget.value)}>
              <option value="">Choose a template…</option>
              {templates.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button
          type="button"
          disabled={adding === ''}
          onClick={() => {
            setTags([...tags, { tag_id: adding, enabled: true, params: {}, trigger_rules: [] }]);
            setAdding('');
          }}
        >
          Add
        </button>
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled={submission.busy}>
          Save tags
        </button>
        <span role="status">{submission.done}</span>
      </div>
    </form>
  );
}
