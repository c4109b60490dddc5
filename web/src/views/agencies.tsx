import { useEffect, useState } from 'preact/hooks';
import { api, enc, queryString } from '../api.js';
import { href, navigate } from '../router.js';
import type { Agency } from '../types.js';
import { Field, TextField } from '../ui/Field.js';
import { ErrorNote, Loading } from '../ui/misc.js';
import { formBody } from '../ui/formBody.js';
import { useAsync } from '../ui/useAsync.js';
import { onSubmitRun, useSubmit } from '../ui/useSubmit.js';
import { AgencyClients } from './AgencyClients.js';
import { AgencyDelete } from './AgencyDelete.js';

const FIELDS = [
  { name: 'name', label: 'Name', type: 'text' },
  { name: 'email', label: 'Email', type: 'email' },
  { name: 'phone', label: 'Phone', type: 'tel' },
  { name: 'website', label: 'Website', type: 'url' },
] as const;
type AgencyValues = Record<(typeof FIELDS)[number]['name'], string>;

function AgencyForm({ agency, onSaved }: { agency: Agency | null; onSaved: (saved: Agency) => void }) {
  const [values, setValues] = useState<AgencyValues>({ name: agency?.name ?? '', email: agency?.email ?? '', phone: agency?.phone ?? '', website: agency?.website ?? '' });
  const submission = useSubmit();
  const { failure } = submission;
  const submit = (): Promise<void> =>
    submission.run(async () => {
      const body = formBody(values, agency, ['name']);
      onSaved(agency === null ? await api.post<Agency>('/agencies', body) : await api.patch<Agency>(`/agencies/${enc(agency.id)}`, body));
      return 'Saved';
    });
  return (
    <form class="form" noValidate onSubmit={onSubmitRun(submit)}>
      {failure && <ErrorNote error={failure} />}
      {FIELDS.map((field) => (
        <TextField
          key={field.name}
          label={field.label}
          name={field.name}
          type={field.type}
          required={field.name === 'name'}
          value={values[field.name]}
          onInput={(value) => setValues({ ...values, [field.name]: value })}
          error={submission.errorOf(field.name)}
        />
      ))}
      <div class="actions">
        <button type="submit" class="primary">
          {agency === null ? 'Create agency' : 'Save changes'}
        </button>
        <span aria-live="polite">{submission.done}</span>
      </div>
    </form>
  );
}

export function AgencyList() {
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);
  const list = useAsync(() => api.list<Agency>(`/agencies${queryString({ q, limit: 500 })}`), [q]);
  return (
    <section>
      <div class="heading">
        <h1>Agencies</h1>
        <a class="button primary" href={href('/agencies/new')}>
          New agency
        </a>
      </div>
      <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <Field label="Search">
          {(aria) => <input {...aria} type="search" placeholder="Id, name or email" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />}
        </Field>
      </form>
      <ErrorNote error={list.error} />
      {!list.data ? (
        <Loading what="agencies" />
      ) : list.data.data.length === 0 ? (
        <p>No agencies match.</p>
      ) : (
        <div class="table-wrap">
          <table class="records">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Clients</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((agency) => (
                <tr key={agency.id}>
                  <td data-label="Name">
                    <a href={href(`/agencies/${enc(agency.id)}`)}>{agency.name}</a>
                  </td>
                  <td data-label="Email">{agency.email ?? '—'}</td>
                  <td data-label="Clients">{agency.client_count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function NewAgency() {
  return (
    <section>
      <h1>New agency</h1>
      <AgencyForm agency={null} onSaved={(agency) => navigate(`/agencies/${enc(agency.id)}`)} />
    </section>
  );
}

export function AgencyDetail({ id }: { id: string }) {
  const agency = useAsync(() => api.get<Agency>(`/agencies/${enc(id)}`), [id]);
  if (agency.error) return <ErrorNote error={agency.error} />;
  if (!agency.data) return <Loading what="the agency" />;
  return (
    <section>
      <h1>{agency.data.name}</h1>
      <p class="hint">
        Id <code>{agency.data.id}</code>
      </p>
      <AgencyForm agency={agency.data} onSaved={() => agency.reload()} />
      <AgencyClients agency={agency.data} onChanged={agency.reload} />
      <AgencyDelete agency={agency.data} />
    </section>
  );
}
