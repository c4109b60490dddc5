import { useEffect, useRef, useState } from 'preact/hooks';
import { isoOfLocal } from '../links/linkFields.js';
import { href } from '../router.js';
import { Field, TextField } from '../ui/Field.js';
import { listOf } from '../ui/listOf.js';
import { CopyButton, formatDate } from '../ui/misc.js';
import { ConfirmButton, FormFailure, ListStates, SecretOnce } from '../ui/pageParts.js';
import { useAsync } from '../ui/useAsync.js';
import { onSubmitRun, useSubmit } from '../ui/useSubmit.js';
import { clientConfig, MCP_SCOPES, mcpApi, mcpUrl, type CreatedMcpKey, type McpKey, type McpKeyFields, type McpScope } from './mcpApi.js';

/**
 * The operator's MCP page (`#/mcp`, admin key only): the endpoint an AI assistant connects to, the
 * client configuration to paste into it, and the gateway keys (`mak_…`) with create (the key shown
 * once, and filled into the configuration), and revoke after a confirmation. A lazily loaded
 * chunk: only the operator opens it.
 */

const SCOPE_WORDS: Record<McpScope, string> = {
  'tools:read': 'List the tools.',
  'tools:execute': 'Call them: read the clients’ analytics, events and links.',
};

const STATUS_WORDS = { active: 'Active', expired: 'Expired', revoked: 'Revoked' } as const;

function RevokeKey({ mcpKey, onRevoked }: { mcpKey: McpKey; onRevoked: () => void }) {
  return (
    <ConfirmButton
      label="Revoke…"
      name={`Revoke ${mcpKey.name}`}
      danger
      title={`Revoke ${mcpKey.name}?`}
      message={<p>Every assistant using this key is refused from now on. This cannot be undone: create a new key to connect again.</p>}
      action="Revoke key"
      run={() => mcpApi.revoke(mcpKey.id)}
      onDone={onRevoked}
    />
  );
}

function KeyTable({ keys, onRevoked }: { keys: McpKey[]; onRevoked: (key: McpKey) => void }) {
  return (
    <div class="table-wrap">
      <table class="records mcp-keys">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            <th scope="col">Scopes</th>
            <th scope="col">Clients</th>
            <th scope="col">Status</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key.id} data-key={key.id} data-status={key.status}>
              <td data-label="Name">{key.name}</td>
              <td data-label="Key">
                <code>{key.masked_key}</code>
              </td>
              <td data-label="Scopes">{key.scopes.join(', ')}</td>
              <td data-label="Clients">{key.client_ids === null ? <span class="hint">every client</span> : key.client_ids.length === 0 ? <span class="hint">no client (the ones named were deleted)</span> : key.client_ids.join(', ')}</td>
              <td data-label="Status" class="status">
                <span class={`badge ${key.status === 'active' ? 'on' : 'off'}`}>{STATUS_WORDS[key.status] ?? key.status}</span>
                {key.status === 'active' && key.expires_at !== null && <span class="hint"> until {formatDate(key.expires_at)}</span>}
              </td>
              <td data-label="Last used">{formatDate(key.last_used_at)}</td>
              <td class="row-actions">{key.status !== 'revoked' && <RevokeKey mcpKey={key} onRevoked={() => onRevoked(key)} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const FORM_FIELDS = ['name', 'scopes', 'expires_at', 'client_ids'];

function NewKeyForm({ onCreated }: { onCreated: (created: CreatedMcpKey) => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<McpScope[]>(['tools:read', 'tools:execute']);
  const [expires, setExpires] = useState('');
  const [clients, setClients] = useState('');
  const submission = useSubmit();
  const errorAt = submission.errorUnder;
  const save = (): Promise<void> =>
    submission.run(async () => {
      const body: McpKeyFields = { name: name.trim(), scopes };
      const expiresAt = isoOfLocal(expires);
      if (expiresAt !== null) body.expires_at = expiresAt;
      const clientIds = listOf(clients);
      if (clientIds.length > 0) body.client_ids = clientIds;
      const created = await mcpApi.create(body);
      setName('');
      setExpires('');
      setClients('');
      onCreated(created);
    });
  const scopeError = errorAt('scopes');
  return (
    <form class="form card mcp-key-form" noValidate onSubmit={onSubmitRun(save)} aria-labelledby="new-key-title">
      <h2 id="new-key-title">New key</h2>
      <TextField label="Key name" name="name" value={name} onInput={setName} error={errorAt('name')} hint="Who or what uses it, e.g. “Claude on Ana’s laptop”." required />
      <fieldset aria-describedby={scopeError ? 'scopes-error' : undefined}>
        <legend>Scopes</legend>
        <div class="choices">
          {MCP_SCOPES.map((scope) => (
            <div class="choice" key={scope}>
              <input
                type="checkbox"
                id={`scope-${scope}`}
                aria-describedby={`scope-${scope}-hint`}
                name="scopes"
                checked={scopes.includes(scope)}
                onChange={(event) => setScopes(event.currentTarget.checked ? MCP_SCOPES.filter((s) => s === scope || scopes.includes(s)) : scopes.filter((s) => s !== scope))}
              />
              <label for={`scope-${scope}`}>
                <code>{scope}</code>
              </label>
              <small id={`scope-${scope}-hint`} class="hint">
                {SCOPE_WORDS[scope]}
              </small>
            </div>
          ))}
        </div>
        {scopeError && (
          <small id="scopes-error" class="error" role="alert">
            {scopeError}
          </small>
        )}
      </fieldset>
      <Field label="Expires" error={errorAt('expires_at')} hint="Your local time. Leave empty for never.">
        {(aria) => <input {...aria} type="datetime-local" name="expires_at" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />}
      </Field>
      <TextField label="Only these clients" name="client_ids" value={clients} onInput={setClients} error={errorAt('client_ids')} hint="Client ids separated by commas; empty for every client." placeholder="shop, blog" />
      <p class="hint">
        The ids are on the <a href={href('/clients')}>Clients</a> page.
      </p>
      <FormFailure submission={submission} fields={FORM_FIELDS} />
      <div class="actions">
        <button type="submit" class="primary" disabled={submission.busy}>
          Create key
        </button>
      </div>
    </form>
  );
}

/** The new key, once: it cannot be read again (only its hash is kept). */
function NewKey({ created, onDismiss }: { created: CreatedMcpKey; onDismiss: () => void }) {
  // Focus moves to the new key once, when it appears, so a keyboard or screen-reader user is told of it.
  const section = useRef<HTMLElement>(null);
  useEffect(() => section.current?.focus(), [created.id]);
  return (
    <section class="secret-once new-mcp-key" aria-labelledby="created-key-title" tabIndex={-1} ref={section}>
      <h2 id="created-key-title">Key “{created.name}” created</h2>
      <p>Copy it now: it is shown only this once. The configuration below has it filled in.</p>
      <SecretOnce secret={created.key} testId="mcp-key" name="Copy the MCP key" />
      <button type="button" onClick={onDismiss}>
        Hide the key
      </button>
    </section>
  );
}

function Connect({ mcpKey }: { mcpKey: string | null }) {
  const url = mcpUrl(location.origin);
  const config = clientConfig(location.origin, mcpKey);
  return (
    <section class="card mcp-connect" aria-labelledby="connect-title">
      <h2 id="connect-title">Connect an assistant</h2>
      <p>
        Endpoint (Streamable HTTP): <code data-testid="mcp-url">{url}</code> <CopyButton text={url} name="Copy the MCP endpoint URL" />
      </p>
      <p class="hint">
        Tools: <code>list_clients</code>, <code>query_analytics</code>, <code>run_funnel</code>, <code>recent_events</code>, <code>list_links</code>. Add this to the MCP client’s configuration
        {mcpKey === null ? ', with a key of yours in place of the placeholder' : ''}:
      </p>
      <pre>
        <code data-testid="mcp-config">{config}</code>
      </pre>
      <CopyButton text={config} label="Copy configuration" name="Copy the client configuration" />
    </section>
  );
}

export function McpPage() {
  const keys = useAsync(() => mcpApi.list(), []);
  const [created, setCreated] = useState<CreatedMcpKey | null>(null);
  const [note, setNote] = useState('');
  return (
    <section class="mcp">
      <h1>MCP</h1>
      <p class="hint">AI assistants read analytics through the Model Context Protocol with a gateway key of their own, limited by its scopes and clients.</p>
      {created && <NewKey created={created} onDismiss={() => setCreated(null)} />}
      <Connect mcpKey={created?.key ?? null} />
      <h2>Keys</h2>
      <p class="copy-state" aria-live="polite">
        {note}
      </p>
      <ListStates items={keys.data} loading={keys.loading} error={keys.error} what="MCP keys" empty={<p>No key yet.</p>}>
        {(items) => (
          <KeyTable
            keys={items}
            onRevoked={(key) => {
              if (created?.id === key.id) setCreated(null);
              setNote(`${key.name} revoked`);
              keys.reload();
            }}
          />
        )}
      </ListStates>
      <NewKeyForm
        onCreated={(next) => {
          setCreated(next);
          setNote(`${next.name} created`);
          keys.reload();
        }}
      />
    </section>
  );
}
