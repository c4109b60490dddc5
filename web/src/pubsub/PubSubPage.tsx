import { useEffect, useState } from 'preact/hooks';
import { href, navigate } from '../router.js';
import { Dialog } from '../ui/Dialog.js';
import { Field, TextField } from '../ui/Field.js';
import { Badge, CopyButton, ErrorNote, formatDate, Loading } from '../ui/misc.js';
import { ConfirmButton, FormFailure, ListStates, SecretOnce } from '../ui/pageParts.js';
import { useAsync } from '../ui/useAsync.js';
import { onSubmitRun, useSubmit } from '../ui/useSubmit.js';
import { lagText, pubsubApi, pullCommands, subscriptionBody, type Subscription, type SubscriptionWithSecret } from './pubsubApi.js';

/**
 * The operator's Pub/Sub page (`#/pubsub`, admin key only): the subscriptions to
 * `analytics.events` with their backlog, create (the push secret shown once), pause and resume,
 * delete after a confirmation; a subscription's page (`#/pubsub/{id}`) with its settings, the
 * curl lines that pull and acknowledge, and its dead letters with replay. A lazily loaded chunk:
 * only the operator opens it. The backlog is asked again every 5 seconds while the tab is shown,
 * so a subscriber's progress is visible without reloading.
 */

const REFRESH_MS = 5000;

/** Calls `reload` every REFRESH_MS while the tab is visible. */
function useRefresh(reload: () => void): void {
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
}

const messageOf = (failure: unknown): string => (failure instanceof Error ? failure.message : String(failure));

/** Pause or resume; `onChanged` with the subscription as the API answers it. */
function PauseButton({ subscription, onChanged }: { subscription: Subscription; onChanged: (next: Subscription) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const paused = subscription.state === 'paused';
  const toggle = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      onChanged(await (paused ? pubsubApi.resume(subscription.id) : pubsubApi.pause(subscription.id)));
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" disabled={busy} aria-label={`${paused ? 'Resume' : 'Pause'} ${subscription.name}`} onClick={() => void toggle()}>
        {paused ? 'Resume' : 'Pause'}
      </button>
      {error && (
        <span class="error" role="alert">
          {' '}
          {error}
        </span>
      )}
    </>
  );
}

function DeleteSubscription({ subscription, onDeleted }: { subscription: Subscription; onDeleted: () => void }) {
  return (
    <ConfirmButton
      label="Delete…"
      name={`Delete ${subscription.name}`}
      danger
      title={`Delete ${subscription.name}?`}
      message={<p>Its messages not yet acknowledged and its dead letters are dropped, and {subscription.type === 'push' ? 'nothing more is sent to its endpoint' : 'pulls on it are refused'}. The events stay in the clients’ analytics.</p>}
      action="Delete subscription"
      run={() => pubsubApi.remove(subscription.id)}
      onDone={onDeleted}
    />
  );
}

function StateBadge({ subscription }: { subscription: Subscription }) {
  return <Badge on={subscription.state === 'active'}>{subscription.state === 'active' ? 'Active' : 'Paused'}</Badge>;
}

/** The push signing secret, once, after create or rotate: it cannot be read again. */
function SecretDialog({ subscription, onClose }: { subscription: SubscriptionWithSecret; onClose: () => void }) {
  return (
    <Dialog title={`Signing secret of ${subscription.name}`} onClose={onClose}>
      <p>Copy the secret now: it is shown only this once. The receiver checks each request’s <code>Mythic-Signature</code> header with it.</p>
      <SecretOnce secret={subscription.push_secret ?? ''} testId="push-secret" name="Copy the signing secret" />
      <div class="actions">
        <button type="button" class="primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}

const FORM_FIELDS = ['name', 'type', 'topic', 'push_endpoint', 'ack_deadline_seconds', 'max_delivery_attempts', 'filter'];

function SubscriptionForm({ onCreated, onClose }: { onCreated: (created: SubscriptionWithSecret) => void; onClose: () => void }) {
  const [values, setValues] = useState({ name: '', type: 'pull' as 'pull' | 'push', push_endpoint: '', ack_deadline_seconds: '', max_delivery_attempts: '', client_ids: '', events: '' });
  const submission = useSubmit();
  const set = (name: Exclude<keyof typeof values, 'type'>) => (value: string) => setValues({ ...values, [name]: value });
  const save = (): Promise<void> => submission.run(async () => onCreated(await pubsubApi.create(subscriptionBody(values))));
  const errorAt = submission.errorUnder;
  return (
    <Dialog title="New subscription" onClose={onClose}>
      <form class="form subscription-form" noValidate onSubmit={onSubmitRun(save)}>
        <TextField label="Name" name="name" value={values.name} onInput={set('name')} error={errorAt('name')} hint="Letters, digits, . _ and -; unique, not case-sensitive." required />
        <fieldset>
          <legend>Delivery</legend>
          <div class="choices">
            {(
              [
                ['pull', 'Pull', 'Subscribers ask for messages and acknowledge them.'],
                ['push', 'Push', 'Mythic POSTs signed batches to an endpoint.'],
              ] as const
            ).map(([type, label, hint]) => (
              <div class="choice" key={type}>
                <input type="radio" id={`subscription-${type}`} name="type" aria-describedby={`subscription-${type}-hint`} checked={values.type === type} onChange={() => setValues({ ...values, type })} />
                <label for={`subscription-${type}`}>{label}</label>
                <small id={`subscription-${type}-hint`} class="hint">
                  {hint}
                </small>
              </div>
            ))}
          </div>
        </fieldset>
        {values.type === 'push' && (
          <TextField label="Push endpoint" name="push_endpoint" type="url" value={values.push_endpoint} onInput={set('push_endpoint')} error={errorAt('push_endpoint')} placeholder="https://example.com/mythic-events" hint="http or https, no user name or password in it." required />
        )}
        <div class="number-fields">
          <Field label="Ack deadline (seconds)" error={errorAt('ack_deadline_seconds')} hint="10–600; 60 if empty.">
            {(aria) => <input {...aria} type="number" name="ack_deadline_seconds" min={10} max={600} placeholder="60" value={values.ack_deadline_seconds} onInput={(e) => set('ack_deadline_seconds')(e.currentTarget.value)} />}
          </Field>
          <Field label="Delivery attempts" error={errorAt('max_delivery_attempts')} hint="1–100 before a dead letter; 5 if empty.">
            {(aria) => <input {...aria} type="number" name="max_delivery_attempts" min={1} max={100} placeholder="5" value={values.max_delivery_attempts} onInput={(e) => set('max_delivery_attempts')(e.currentTarget.value)} />}
          </Field>
        </div>
        <TextField label="Only these clients" name="client_ids" value={values.client_ids} onInput={set('client_ids')} error={errorAt('filter.client_ids')} hint="Client ids separated by commas; empty for every client." placeholder="shop, blog" />
        <TextField label="Only these events" name="events" value={values.events} onInput={set('events')} error={errorAt('filter.events')} hint="Event names separated by commas; empty for every event." placeholder="$pageview, signup" />
        <FormFailure submission={submission} fields={FORM_FIELDS} />
        <div class="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={submission.busy}>
            Create subscription
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function SubscriptionTable({ subscriptions, onChanged }: { subscriptions: Subscription[]; onChanged: (note: string) => void }) {
  return (
    <div class="table-wrap">
      <table class="records subscriptions-table">
        <thead>
          <tr>
            <th scope="col">Subscription</th>
            <th scope="col">Type</th>
            <th scope="col">State</th>
            <th scope="col" class="num">
              Messages
            </th>
            <th scope="col" class="num">
              In flight
            </th>
            <th scope="col" class="num">
              Dead letters
            </th>
            <th scope="col" class="num">
              Lag
            </th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {subscriptions.map((subscription) => (
            <tr key={subscription.id} data-subscription={subscription.id} data-name={subscription.name} data-state={subscription.state}>
              <td data-label="Name">
                <a href={href(`/pubsub/${encodeURIComponent(subscription.id)}`)}>{subscription.name}</a>
              </td>
              <td data-label="Type">{subscription.type === 'pull' ? 'Pull' : 'Push'}</td>
              <td data-label="State">
                <StateBadge subscription={subscription} />
              </td>
              <td data-label="Messages" class="num messages" data-value={subscription.backlog.messages}>
                {subscription.backlog.messages.toLocaleString()}
              </td>
              <td data-label="In flight" class="num in-flight" data-value={subscription.backlog.in_flight}>
                {subscription.backlog.in_flight.toLocaleString()}
              </td>
              <td data-label="Dead letters" class="num dead-letters" data-value={subscription.backlog.dead_letters}>
                {subscription.backlog.dead_letters.toLocaleString()}
              </td>
              <td data-label="Lag" class="num">
                {lagText(subscription.backlog.lag_seconds)}
              </td>
              <td class="row-actions">
                <PauseButton subscription={subscription} onChanged={(next) => onChanged(next.state === 'paused' ? `${next.name} paused` : `${next.name} resumed`)} />
                <DeleteSubscription subscription={subscription} onDeleted={() => onChanged(`${subscription.name} deleted`)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SubscriptionList() {
  const list = useAsync(() => pubsubApi.list(), []);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<SubscriptionWithSecret | null>(null);
  const [note, setNote] = useState('');
  useRefresh(list.reload);
  const changed = (text: string): void => {
    setNote(text);
    list.reload();
  };
  return (
    <section class="pubsub">
      <div class="heading">
        <h1>Pub/Sub</h1>
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          New subscription
        </button>
      </div>
      <p class="hint">
        Subscriptions to the topic <code>analytics.events</code>: every event stored after a subscription is created, enriched, at least once and in order per client.
      </p>
      <p class="copy-state" aria-live="polite">
        {note}
      </p>
      <ListStates items={list.data?.data} loading={list.loading} error={list.error} what="subscriptions" empty={<p>No subscription yet.</p>}>
        {(items) => <SubscriptionTable subscriptions={items} onChanged={changed} />}
      </ListStates>
      {list.data?.next_cursor && <p class="hint">The first 100 subscriptions are shown.</p>}
      {creating && (
        <SubscriptionForm
          onClose={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false);
            if (created.push_secret) setSecret(created);
            changed(`Created ${created.name}`);
          }}
        />
      )}
      {secret && <SecretDialog subscription={secret} onClose={() => setSecret(null)} />}
    </section>
  );
}

function PullCommands({ subscription }: { subscription: Subscription }) {
  const commands = pullCommands(location.origin, subscription.id);
  return (
    <section class="card pull-commands" aria-labelledby="pull-title">
      <h2 id="pull-title">Pull and acknowledge</h2>
      <p class="hint">
        With the admin key in <code>MYTHIC_ADMIN_KEY</code>. Acknowledge each message’s <code>ack_id</code> within {subscription.ack_deadline_seconds} s, or it is delivered again; dedupe on{' '}
        <code>message_id</code>.
      </p>
      <pre>
        <code data-testid="pull-command">{commands.pull}</code>
      </pre>
      <CopyButton text={commands.pull} label="Copy" name="Copy the pull command" />
      <pre>
        <code data-testid="ack-command">{commands.acknowledge}</code>
      </pre>
      <CopyButton text={commands.acknowledge} label="Copy" name="Copy the acknowledge command" />
    </section>
  );
}

function DeadLetters({ subscription, onReplayed }: { subscription: Subscription; onReplayed: () => void }) {
  const letters = useAsync(() => pubsubApi.deadLetters(subscription.id), [subscription.id, subscription.backlog.dead_letters]);
  const submission = useSubmit();
  const replay = (messageIds?: string[]): Promise<void> =>
    submission.run(async () => {
      const { replayed } = await pubsubApi.replay(subscription.id, messageIds);
      letters.reload();
      onReplayed();
      return `${replayed} message${replayed === 1 ? '' : 's'} replayed`;
    });
  const count = letters.data?.data.length ?? 0;
  return (
    <section class="card dead-letters" aria-labelledby="dead-title">
      <div class="heading">
        <h2 id="dead-title">Dead letters</h2>
        {count > 0 && (
          <button type="button" disabled={submission.busy} onClick={() => void replay()}>
            Replay all
          </button>
        )}
      </div>
      <p class="hint">Messages not acknowledged after {subscription.max_delivery_attempts === 1 ? 'one delivery' : `${subscription.max_delivery_attempts} deliveries`}. Replayed, they are delivered again (attempts from 0), possibly out of order.</p>
      <p class="copy-state" aria-live="polite">
        {submission.done}
      </p>
      <ListStates items={letters.data?.data} loading={letters.loading} error={letters.error ?? submission.failure} what="dead letters" empty={<p>None.</p>}>
        {(rows) => (
          <div class="table-wrap">
            <table class="records">
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Client</th>
                  <th scope="col" class="num">
                    Attempts
                  </th>
                  <th scope="col">Error</th>
                  <th scope="col">Dead since</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((letter) => (
                  <tr key={letter.message_id} data-message={letter.message_id}>
                    <td data-label="Event">
                      <code>{String(letter.event.event ?? '')}</code>
                    </td>
                    <td data-label="Client">{letter.client_id}</td>
                    <td data-label="Attempts" class="num">
                      {letter.delivery_attempt}
                    </td>
                    <td data-label="Error">{letter.last_error ?? <span class="hint">not acknowledged in time</span>}</td>
                    <td data-label="Dead since">{formatDate(letter.dead_at)}</td>
                    <td class="row-actions">
                      <button type="button" disabled={submission.busy} aria-label={`Replay ${letter.message_id}`} onClick={() => void replay([letter.message_id])}>
                        Replay
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListStates>
      {letters.data?.next_cursor && <p class="hint">The oldest 100 are shown; “Replay all” replays every one.</p>}
    </section>
  );
}

function RotateSecret({ subscription, onRotated }: { subscription: Subscription; onRotated: (next: SubscriptionWithSecret) => void }) {
  return (
    <ConfirmButton
      label="Rotate secret…"
      title="Rotate the signing secret?"
      message={<p>A new secret signs every request from now on: the receiver must switch to it, or it rejects them.</p>}
      action="Rotate"
      run={() => pubsubApi.rotateSecret(subscription.id)}
      onDone={onRotated}
    />
  );
}

function SubscriptionDetail({ id }: { id: string }) {
  const current = useAsync(() => pubsubApi.get(id), [id]);
  const [secret, setSecret] = useState<SubscriptionWithSecret | null>(null);
  useRefresh(current.reload);
  if (current.error) return <ErrorNote error={current.error} />;
  if (!current.data) return <Loading what="the subscription" />;
  const subscription = current.data;
  const { backlog, push } = subscription;
  return (
    <section class="subscription-detail" data-subscription={subscription.id} data-state={subscription.state}>
      <p class="breadcrumb">
        <a href={href('/pubsub')}>Pub/Sub</a> › <span>{subscription.name}</span>
      </p>
      <div class="heading">
        <h1>
          {subscription.name} <StateBadge subscription={subscription} />
        </h1>
        <PauseButton subscription={subscription} onChanged={current.reload} />
        {subscription.type === 'push' && <RotateSecret subscription={subscription} onRotated={setSecret} />}
        <DeleteSubscription subscription={subscription} onDeleted={() => navigate('/pubsub')} />
      </div>
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{subscription.id}</code>
        </dd>
        <dt>Topic</dt>
        <dd>
          <code>{subscription.topic}</code>
        </dd>
        <dt>Type</dt>
        <dd>{subscription.type === 'pull' ? 'Pull' : <>Push to <code>{subscription.push_endpoint}</code></>}</dd>
        <dt>Ack deadline</dt>
        <dd>{subscription.ack_deadline_seconds} s</dd>
        <dt>Delivery attempts</dt>
        <dd>{subscription.max_delivery_attempts}, then a dead letter</dd>
        <dt>Clients</dt>
        <dd>{subscription.filter.client_ids === null ? <span class="hint">every client</span> : subscription.filter.client_ids.length === 0 ? <span class="hint">no client (the ones named were deleted)</span> : subscription.filter.client_ids.join(', ')}</dd>
        <dt>Events</dt>
        <dd>{subscription.filter.events?.join(', ') ?? <span class="hint">every event</span>}</dd>
        <dt>Backlog</dt>
        <dd class="backlog" data-messages={backlog.messages} data-in-flight={backlog.in_flight}>
          {backlog.messages.toLocaleString()} waiting, {backlog.in_flight.toLocaleString()} in flight, {backlog.dead_letters.toLocaleString()} dead
          {backlog.dropped_messages > 0 && <>, {backlog.dropped_messages.toLocaleString()} dropped by the retention limits</>}
        </dd>
        <dt>Oldest unacknowledged</dt>
        <dd>
          {formatDate(backlog.oldest_unacked_at)}
          {backlog.lag_seconds !== null && <span class="hint"> ({lagText(backlog.lag_seconds)} behind)</span>}
        </dd>
        {push && (
          <>
            <dt>Last push</dt>
            <dd>
              {formatDate(push.last_attempt_at)}
              {push.last_status !== null && <span class="hint"> · HTTP {push.last_status}</span>}
              {push.consecutive_failures > 0 && <span class="hint"> · {push.consecutive_failures} failures in a row, next try {formatDate(push.next_attempt_at)}</span>}
            </dd>
            {push.last_error && (
              <>
                <dt>Last error</dt>
                <dd>{push.last_error}</dd>
              </>
            )}
          </>
        )}
        <dt>Created</dt>
        <dd>{formatDate(subscription.created_at)}</dd>
      </dl>
      {subscription.type === 'pull' && <PullCommands subscription={subscription} />}
      <DeadLetters subscription={subscription} onReplayed={current.reload} />
      {secret && <SecretDialog subscription={secret} onClose={() => setSecret(null)} />}
    </section>
  );
}

export function PubSubPage({ subscriptionId }: { subscriptionId?: string }) {
  return subscriptionId === undefined ? <SubscriptionList /> : <SubscriptionDetail id={subscriptionId} />;
}
