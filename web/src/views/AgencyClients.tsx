/**
 * An agency's clients, with "Detach" on each and a search to attach existing clients: both are a
 * PATCH of the client's `agency_id`, the one place the link is kept. Attaching a client that
 * belongs to another agency moves it, and the list says so before the click.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, enc, queryString } from '../api.js';
import type { Agency, Client } from '../types.js';
import { Field } from '../ui/Field.js';
import { ErrorNote, Loading } from '../ui/misc.js';
import { useAsync } from '../ui/useAsync.js';
import { ClientTable } from './ClientList.js';

export function AgencyClients({ agency, onChanged }: { agency: Agency; onChanged: () => void }) {
  const clients = useAsync(() => api.list<Client>(`/agencies/${enc(agency.id)}/clients?limit=500`), [agency.id, agency.client_count]);
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [said, setSaid] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);
  const found = useAsync(
    () => (q === '' ? Promise.resolve(null) : api.list<Client>(`/clients${queryString({ q, limit: 20 })}`)),
    [q, agency.client_count],
  );
  const agencies = useAsync(() => api.list<Agency>('/agencies?limit=500'), []);
  const agencyName = (id: string): string => agencies.data?.data.find((a) => a.id === id)?.name ?? id;

  const link = async (client: Client, agencyId: string | null): Promise<void> => {
    setBusy(client.id);
    setProblem(null);
    setSaid('');
    try {
      await api.patch<Client>(`/clients/${enc(client.id)}`, { agency_id: agencyId });
      setSaid(agencyId === null ? `${client.name} detached` : `${client.name} attached`);
      onChanged();
    } catch (failure) {
      setProblem(failure);
    } finally {
      setBusy(null);
    }
  };

  const candidates = (found.data?.data ?? []).filter((client) => client.agency_id !== agency.id);
  return (
    <section aria-labelledby="agency-clients-title">
      <h2 id="agency-clients-title">Clients ({agency.client_count})</h2>
      <ErrorNote error={clients.error || problem} />
      <p class="hint" aria-live="polite">
        {said}
      </p>
      {clients.data ? (
        <ClientTable
          clients={clients.data.data}
          action={{
            label: 'Agency',
            render: (client) => (
              <button type="button" disabled={busy === client.id} onClick={() => void link(client, null)} aria-label={`Detach ${client.name}`}>
                Detach
              </button>
            ),
          }}
        />
      ) : (
        <Loading what="clients" />
      )}
      <h3>Attach a client</h3>
      <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <Field label="Find a client to attach">
          {(aria) => <input {...aria} type="search" placeholder="Id, name, domain or email" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />}
        </Field>
      </form>
      {q !== '' &&
        (found.data === undefined ? (
          <Loading what="clients" />
        ) : candidates.length === 0 ? (
          <p>No other client matches.</p>
        ) : (
          <ul class="plain-list candidates">
            {candidates.map((client) => (
              <li key={client.id}>
                <span>
                  {client.name} <code>{client.id}</code>
                  {client.agency_id !== null && <span class="hint"> (now in {agencyName(client.agency_id)}: attaching moves it)</span>}
                </span>
                <button type="button" disabled={busy === client.id} onClick={() => void link(client, agency.id)} aria-label={`Attach ${client.name}`}>
                  Attach
                </button>
              </li>
            ))}
          </ul>
        ))}
    </section>
  );
}
