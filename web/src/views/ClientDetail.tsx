import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { href, navigate } from '../router.js';
import type { Client } from '../types.js';
import { ConfirmDialog } from '../ui/Dialog.js';
import { Badge, ErrorNote, Loading } from '../ui/misc.js';
import { useAsync } from '../ui/useAsync.js';
import { ClientForm } from './ClientForm.js';
import { EmbedPanel, HostnamesPanel } from './hostingPanels.js';
import { KeysPanel } from './KeysPanel.js';
import { SnippetsEditor } from './SnippetsEditor.js';
import { TagsEditor } from './TagsEditor.js';

const TABS = [
  { id: 'settings', label: 'Settings' },
  { id: 'keys', label: 'Keys' },
  { id: 'tags', label: 'Tags' },
  { id: 'snippets', label: 'Snippets' },
  { id: 'hostnames', label: 'Hostnames' },
  { id: 'embed', label: 'Embed code' },
] as const;

function DeleteButtons({ client, onChanged }: { client: Client; onChanged: () => void }) {
  const [asking, setAsking] = useState<'soft' | 'hard' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const remove = async (hard: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await api.delete(`/clients/${enc(client.id)}${hard ? '?hard=true' : ''}`);
      setAsking(null);
      if (hard) navigate('/clients');
      else onChanged();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="danger-zone" aria-labelledby="danger-title">
      <h2 id="danger-title">Delete</h2>
      <div class="actions">
        {client.status && (
          <button type="button" class="danger" onClick={() => setAsking('soft')}>
            Deactivate
          </button>
        )}
        <button type="button" class="danger" onClick={() => setAsking('hard')}>
          Delete for good
        </button>
      </div>
      {asking === 'soft' && (
        <ConfirmDialog
          title="Deactivate this client?"
          message={<p>Its keys stop working for ingestion; its id, domain and global name stay reserved. You can reactivate it in the settings.</p>}
          action="Deactivate"
          busy={busy}
          error={error}
          onConfirm={() => void remove(false)}
          onClose={() => setAsking(null)}
        />
      )}
      {asking === 'hard' && (
        <ConfirmDialog
          title="Delete this client for good?"
          message={<p>The client, its keys, tags, snippets, hostnames and all its events are removed. This cannot be undone.</p>}
          action="Delete for good"
          confirmText={client.id}
          busy={busy}
          error={error}
          onConfirm={() => void remove(true)}
          onClose={() => setAsking(null)}
        />
      )}
    </section>
  );
}

export function ClientDetail({ id, tab }: { id: string; tab: string }) {
  const client = useAsync(() => api.get<Client>(`/clients/${enc(id)}`), [id]);
  if (client.error) return <ErrorNote error={client.error} />;
  if (!client.data) return <Loading what="the client" />;
  const current = client.data;
  return (
    <section>
      <div class="heading">
        <h1>
          {current.name} <Badge on={current.status}>{current.status ? 'Active' : 'Inactive'}</Badge>
        </h1>
        <a class="button" href={href(`/clients/${enc(id)}/analytics`)}>
          Analytics
        </a>
        <a class="button" href={href(`/clients/${enc(id)}/live`)}>
          Live events
        </a>
        <a class="button" href={href(`/clients/${enc(id)}/links`)}>
          Links
        </a>
      </div>
      <nav class="tabs" aria-label="Client sections">
        {TABS.map((t) => (
          <a key={t.id} href={href(`/clients/${enc(id)}/${t.id}`)} aria-current={t.id === tab ? 'page' : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
      {tab === 'settings' && (
        <>
          <ClientForm client={current} onSaved={() => client.reload()} />
          <DeleteButtons client={current} onChanged={client.reload} />
        </>
      )}
      {tab === 'keys' && <KeysPanel clientId={id} />}
      {tab === 'tags' && <TagsEditor clientId={id} />}
      {tab === 'snippets' && <SnippetsEditor clientId={id} />}
      {tab === 'hostnames' && <HostnamesPanel clientId={id} />}
      {tab === 'embed' && <EmbedPanel clientId={id} />}
    </section>
  );
}
