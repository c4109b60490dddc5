import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, enc, queryString, type ListPage } from '../api.js';
import { href } from '../router.js';
import type { Agency, Client } from '../types.js';
import { Field } from '../ui/Field.js';
import { Badge, ErrorNote, Loading } from '../ui/misc.js';
import { useAsync } from '../ui/useAsync.js';

const PAGE_SIZE = 50;

/** Every agency, for the filter and the client form's agency choice. */
export function useAgencies() {
  return useAsync(() => api.list<Agency>('/agencies?limit=500'), []);
}

/** One more column, for a page that acts on each client (an agency's "Detach"). */
export interface RowAction {
  label: string;
  render: (client: Client) => ComponentChildren;
}

export function ClientTable({ clients, action }: { clients: Client[]; action?: RowAction }) {
  if (clients.length === 0) return <p>No clients match.</p>;
  return (
    <div class="table-wrap">
      <table class="records">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Id</th>
            <th scope="col">Domain</th>
            <th scope="col">Status</th>
            <th scope="col">Analytics</th>
            {action && <th scope="col">{action.label}</th>}
          </tr>
        </thead>
        <tbody>
          {clients.map((client) => (
            <tr key={client.id}>
              <td data-label="Name">
                <a href={href(`/clients/${enc(client.id)}`)}>{client.name}</a>
              </td>
              <td data-label="Id">
                <code>{client.id}</code>
              </td>
              <td data-label="Domain">{client.domain ?? '—'}</td>
              <td data-label="Status">
                <Badge on={client.status}>{client.status ? 'Active' : 'Inactive'}</Badge>
              </td>
              <td data-label="Analytics">
                <a href={href(`/clients/${enc(client.id)}/analytics`)} aria-label={`Analytics of ${client.name}`}>
                  View
                </a>
              </td>
              {action && <td data-label={action.label}>{action.render(client)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ClientList() {
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [status, setStatus] = useState('');
  const [agency, setAgency] = useState('');
  const [pages, setPages] = useState<ListPage<Client>[]>([]);
  const agencies = useAgencies();

  // Typing refreshes the list after a short pause rather than on every key.
  useEffect(() => {
    const timer = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);

  const filters = { q, status, agency_id: agency, limit: PAGE_SIZE };
  const first = useAsync(() => api.list<Client>(`/clients${queryString(filters)}`), [q, status, agency]);
  useEffect(() => setPages(first.data ? [first.data] : []), [first.data]);
  const last = pages[pages.length - 1];
  const loadMore = async (): Promise<void> => {
    if (!last?.next_cursor) return;
    const next = await api.list<Client>(`/clients${queryString({ ...filters, cursor: last.next_cursor })}`);
    setPages([...pages, next]);
  };

  return (
    <section>
      <div class="heading">
        <h1>Clients</h1>
        <a class="button primary" href={href('/clients/new')}>
          New client
        </a>
      </div>
      <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <Field label="Search">
          {(aria) => (
            <input {...aria} type="search" name="q" placeholder="Id, name, domain or email" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
          )}
        </Field>
        <Field label="Status">
          {(aria) => (
            <select {...aria} name="status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
              <option value="">All</option>
              <option value="true">Active</option>
              <option value="false">Inactive</option>
            </select>
          )}
        </Field>
        <Field label="Agency">
          {(aria) => (
            <select {...aria} name="agency_id" value={agency} onChange={(e) => setAgency(e.currentTarget.value)}>
              <option value="">All</option>
              {agencies.data?.data.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      </form>
      <ErrorNote error={first.error} />
      {first.loading && pages.length === 0 ? (
        <Loading what="clients" />
      ) : (
        <>
          <p class="count" aria-live="polite">
            {first.data?.count ?? 0} client{first.data?.count === 1 ? '' : 's'}
          </p>
          <ClientTable clients={pages.flatMap((page) => page.data)} />
          {last?.next_cursor && (
            <button type="button" onClick={() => void loadMore()}>
              Load more
            </button>
          )}
        </>
      )}
    </section>
  );
}
