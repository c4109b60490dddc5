import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { href, navigate } from '../router.js';
import type { Client } from '../types.js';
import { Field, TextField } from '../ui/Field.js';
import { formBody } from '../ui/formBody.js';
import { CopyButton, ErrorNote } from '../ui/misc.js';
import { TimeZonePicker } from '../ui/TimeZonePicker.js';
import { onSubmitRun, useSubmit } from '../ui/useSubmit.js';
import { IpStorageField, type IpStorage } from '../settings/IpStorageField.js';
import { SdkSettingsFields } from '../settings/SdkSettingsFields.js';
import { sameSdkSettings, sdkSettingsOf, sdkValuesOf, type SdkValues } from '../settings/sdkSettingsForm.js';
import { useAgencies } from './ClientList.js';

/** The text fields of the form; an empty one is left out on create and cleared (null) on edit. */
const TEXT_FIELDS = [
  { name: 'name', label: 'Name', required: true },
  { name: 'domain', label: 'Domain', hint: 'A bare hostname, e.g. shop.example.com' },
  { name: 'email', label: 'Email', type: 'email' },
  { name: 'phone', label: 'Phone', type: 'tel' },
  { name: 'website', label: 'Website', type: 'url' },
  { name: 'global_name', label: 'SDK global name', hint: 'The JavaScript global the SDK is exposed as' },
  { name: 'company_id', label: 'Company id' },
] as const;
type TextName = (typeof TEXT_FIELDS)[number]['name'];

type Values = Record<TextName | 'id' | 'agency_id' | 'timezone', string> & { status: boolean; ip_storage: IpStorage; sdk: SdkValues };

const valuesOf = (client: Client | null): Values => ({
  id: client?.id ?? '',
  name: client?.name ?? '',
  domain: client?.domain ?? '',
  email: client?.email ?? '',
  phone: client?.phone ?? '',
  website: client?.website ?? '',
  timezone: client?.timezone ?? 'UTC',
  global_name: client?.global_name ?? '',
  company_id: client?.company_id ?? '',
  agency_id: client?.agency_id ?? '',
  status: client?.status ?? true,
  ip_storage: client?.ip_storage ?? 'truncated',
  sdk: sdkValuesOf(client?.sdk_settings),
});

/**
 * The body to send: the text fields as formBody makes them (id only on create), and the status,
 * address storage and SDK settings when they changed (on create: when they are not the defaults).
 */
function bodyOf(values: Values, original: Client | null): Record<string, unknown> {
  const { status, id, ip_storage, sdk, ...text } = values;
  const body: Record<string, unknown> = formBody(original === null ? { id, ...text } : text, original, ['name', 'timezone']);
  if (original === null || status !== original.status) body.status = status;
  if (ip_storage !== (original?.ip_storage ?? 'truncated')) body.ip_storage = ip_storage;
  const sdkSettings = sdkSettingsOf(sdk);
  if (!sameSdkSettings(sdkSettings, original?.sdk_settings ?? {})) body.sdk_settings = sdkSettings;
  return body;
}

export function ClientForm({ client, onSaved }: { client: Client | null; onSaved: (saved: Client) => void }) {
  const [values, setValues] = useState(() => valuesOf(client));
  const submission = useSubmit();
  const { failure, errorOf } = submission;
  const agencies = useAgencies();
  const set = (name: Exclude<keyof Values, 'sdk' | 'ip_storage'>) => (value: string | boolean) => setValues({ ...values, [name]: value });
  const agencyChoices = agencies.data?.data ?? [];

  const submit = (): Promise<void> =>
    submission.run(async () => {
      const body = bodyOf(values, client);
      const result =
        client === null ? await api.post<Client>('/clients', body) : Object.keys(body).length === 0 ? client : await api.patch<Client>(`/clients/${enc(client.id)}`, body);
      onSaved(result);
      return 'Saved';
    });

  return (
    <form
      class="form"
      noValidate
      onSubmit={onSubmitRun(submit)}
    >
      {failure && <ErrorNote error={failure} />}
      {client === null && (
        <TextField label="Id" name="id" value={values.id} onInput={set('id')} error={errorOf('id')} required hint="Letters, digits, - and _; it never changes" />
      )}
      {TEXT_FIELDS.map((field) => (
        <TextField
          key={field.name}
          label={field.label}
          name={field.name}
          type={'type' in field ? field.type : 'text'}
          value={values[field.name]}
          onInput={set(field.name)}
          error={errorOf(field.name)}
          {...('hint' in field ? { hint: field.hint } : {})}
          required={'required' in field}
        />
      ))}
      <TimeZonePicker
        label="Timezone"
        name="timezone"
        value={values.timezone}
        onChange={set('timezone')}
        error={errorOf('timezone')}
        hint="Reports count days and hours in this zone."
      />
      <Field label="Agency" error={errorOf('agency_id')}>
        {(aria) => (
          <select {...aria} name="agency_id" value={values.agency_id} onChange={(e) => set('agency_id')(e.currentTarget.value)}>
            <option value="">None</option>
            {values.agency_id !== '' && !agencyChoices.some((a) => a.id === values.agency_id) && <option value={values.agency_id}>{values.agency_id}</option>}
            {agencyChoices.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div class="field checkbox">
        <input id="client-status" type="checkbox" name="status" checked={values.status} onChange={(e) => set('status')(e.currentTarget.checked)} />
        <label for="client-status">Active</label>
      </div>
      <IpStorageField value={values.ip_storage} onChange={(ip_storage) => setValues({ ...values, ip_storage })} error={errorOf('ip_storage')} />
      <SdkSettingsFields values={values.sdk} onChange={(sdk) => setValues({ ...values, sdk })} errorOf={errorOf} />
      <div class="actions">
        <button type="submit" class="primary" disabled={submission.busy}>
          {client === null ? 'Create client' : 'Save changes'}
        </button>
        <span aria-live="polite">{client !== null && submission.done}</span>
      </div>
    </form>
  );
}

/** Shown once after creation: the only time the secret key is visible. */
function Created({ client, onAnother }: { client: Client; onAnother: () => void }) {
  return (
    <section class="secret-once" aria-labelledby="created-title">
      <h2 id="created-title">Client “{client.name}” created</h2>
      <p>Copy the secret key now: it is shown only this once.</p>
      <dl>
        <dt>Publishable key</dt>
        <dd>
          <code>{client.publishable_key}</code>
        </dd>
        <dt>Secret key</dt>
        <dd>
          <code data-testid="new-secret">{client.secret_key}</code> <CopyButton text={client.secret_key ?? ''} />
        </dd>
      </dl>
      <a class="button primary" href={href(`/clients/${enc(client.id)}`)}>
        Open the client
      </a>{' '}
      <button type="button" onClick={onAnother}>
        Create another client
      </button>
    </section>
  );
}

export function NewClient() {
  const [created, setCreated] = useState<Client | null>(null);
  return (
    <section>
      <h1>New client</h1>
      {created ? <Created client={created} onAnother={() => setCreated(null)} /> : <ClientForm client={null} onSaved={setCreated} />}
      {!created && (
        <p>
          <button type="button" onClick={() => navigate('/clients')}>
            Back to clients
          </button>
        </p>
      )}
    </section>
  );
}
