import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import type { Hostname, LoaderEmbed } from '../types.js';
import { TextField } from '../ui/Field.js';
import { CopyButton, ErrorNote, formatDate, Loading } from '../ui/misc.js';
import { useAsync } from '../ui/useAsync.js';
import { onSubmitRun, useSubmit } from '../ui/useSubmit.js';

/** Extra hostnames browser events are accepted from, besides the client's domain. */
export function HostnamesPanel({ clientId }: { clientId: string }) {
  const list = useAsync(() => api.get<Hostname[]>(`/clients/${enc(clientId)}/hostnames`), [clientId]);
  const [hostname, setHostname] = useState('');
  const submission = useSubmit();
  const { failure } = submission;
  const act = (call: () => Promise<unknown>): Promise<void> =>
    submission.run(async () => {
      await call();
      list.reload();
    });
  return (
    <section aria-labelledby="hostnames-title">
      <h2 id="hostnames-title">Hostnames</h2>
      <ErrorNote error={list.error} />
      {!list.data ? (
        <Loading what="hostnames" />
      ) : list.data.length === 0 ? (
        <p>No extra hostnames: events are accepted from the client’s domain only.</p>
      ) : (
        <ul class="plain-list">
          {list.data.map((h) => (
            <li key={h.hostname}>
              <code>{h.hostname}</code> <span class="hint">added {formatDate(h.created_at)}</span>{' '}
              <span class="hint">{h.verified ? `events received since ${formatDate(h.first_event_at)}` : 'no event received yet'}</span>{' '}
              <button type="button" aria-label={`Remove ${h.hostname}`} onClick={() => void act(() => api.delete(`/clients/${enc(clientId)}/hostnames/${enc(h.hostname)}`))}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        class="inline-form"
        noValidate
        onSubmit={onSubmitRun(() =>
          act(async () => {
            await api.post(`/clients/${enc(clientId)}/hostnames`, { hostname: hostname.trim() });
            setHostname('');
          }),
        )}
      >
        <TextField label="Add a hostname" name="hostname" value={hostname} onInput={setHostname} error={failure?.forField('hostname') ?? failure?.message} placeholder="shop.example.com" />
        <button type="submit">Add</button>
      </form>
    </section>
  );
}

/** The tag to paste into the client's pages. */
export function EmbedPanel({ clientId }: { clientId: string }) {
  const embed = useAsync(() => api.get<LoaderEmbed>(`/clients/${enc(clientId)}/loader`), [clientId]);
  if (embed.error) return <ErrorNote error={embed.error} />;
  if (!embed.data) return <Loading what="the embed code" />;
  return (
    <section aria-labelledby="embed-title">
      <h2 id="embed-title">Embed code</h2>
      <p>
        Paste this into the <code>&lt;head&gt;</code> of every page. The SDK is then available as <code>window.{embed.data.global_name}</code>.
      </p>
      <label for="embed-code">Embed code</label>
      <textarea id="embed-code" class="code" readOnly rows={3} value={embed.data.html} onFocus={(e) => e.currentTarget.select()} />
      <div class="actions">
        <CopyButton text={embed.data.html} label="Copy embed code" />
      </div>
      {embed.data.domain && (
        <p>
          Install check for <code>{embed.data.domain.hostname}</code>:{' '}
          {embed.data.domain.verified
            ? `working, events received since ${formatDate(embed.data.domain.first_event_at)}.`
            : 'no event received yet. Open a page of the site once the code is in place, then reload this page.'}
        </p>
      )}
    </section>
  );
}
