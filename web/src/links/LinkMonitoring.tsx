import { useEffect, useState } from 'preact/hooks';
import { Field } from '../ui/Field.js';
import { Badge, ErrorNote, formatDate, Loading } from '../ui/misc.js';
import { useAsync } from '../ui/useAsync.js';
import { onSubmitRun, useSubmit } from '../ui/useSubmit.js';
import { deliveryIsAbout, linksApi, type Delivery, type Link, type Webhook } from './linksApi.js';

/**
 * What watches a link: its uptime monitor (start, stop, the last check and the recent history) and
 * the webhooks that hear about its client's links, with their latest deliveries about this link.
 * Both are the admin key's: a client's own key sees its links and clicks only.
 */

const INTERVALS = [
  { seconds: 60, label: 'Every minute' },
  { seconds: 300, label: 'Every 5 minutes' },
  { seconds: 900, label: 'Every 15 minutes' },
  { seconds: 3600, label: 'Every hour' },
];

/** "every 5 minutes" for a listed interval, "every 420 s" for another (set through the API). */
const everyText = (seconds: number): string => INTERVALS.find((choice) => choice.seconds === seconds)?.label.toLowerCase() ?? `every ${seconds} s`;

const STATUS_WORDS = { up: 'Up', down: 'Down', unknown: 'Not checked yet' } as const;

export function UptimeCard({ link }: { link: Link }) {
  const status = useAsync(() => linksApi.uptime(link.id), [link.id]);
  const [interval, setIntervalSeconds] = useState('300');
  const [timeout, setTimeoutSeconds] = useState('30');
  const submission = useSubmit();
  const active = status.data?.monitoring_active === true;
  const act = (call: () => Promise<unknown>, done: string): Promise<void> =>
    submission.run(async () => {
      await call();
      status.reload();
      return done;
    });
  const current = status.data;
  // The form starts from the monitor's own settings, so "Update monitoring" changes only what is changed.
  useEffect(() => {
    if (current?.interval) setIntervalSeconds(String(current.interval));
    if (current?.timeout) setTimeoutSeconds(String(current.timeout));
  }, [current?.interval, current?.timeout]);
  return (
    <section class="card uptime" aria-labelledby="uptime-title">
      <h2 id="uptime-title">Uptime</h2>
      <ErrorNote error={status.error} />
      {status.loading && current === undefined ? (
        <Loading what="the uptime status" />
      ) : (
        current !== undefined && (
          <dl class="facts" data-status={current.status} data-active={String(active)}>
            <dt>Monitoring</dt>
            <dd>
              <Badge on={active}>{active ? 'On' : 'Off'}</Badge>
              {active && current.interval !== null && <span class="hint"> {everyText(current.interval)}, timeout {current.timeout} s</span>}
            </dd>
            {(active || current.last_checked !== null) && (
              <>
                <dt>Status</dt>
                <dd>
                  <span class={`status ${current.status}`}>{STATUS_WORDS[current.status] ?? current.status}</span>
                  {current.consecutive_failures ? <span class="hint"> ({current.consecutive_failures} failed checks in a row)</span> : null}
                </dd>
                <dt>Last check</dt>
                <dd>
                  {formatDate(current.last_checked)}
                  {current.response_time_ms !== null && <span class="hint"> · {current.response_time_ms} ms</span>}
                </dd>
                {current.last_error && (
                  <>
                    <dt>Last error</dt>
                    <dd>{current.last_error}</dd>
                  </>
                )}
              </>
            )}
          </dl>
        )
      )}
      {current && current.history.length > 0 && (
        <details>
          <summary>Recent checks</summary>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Checked</th>
                  <th scope="col">Result</th>
                  <th scope="col" class="num">
                    Time
                  </th>
                </tr>
              </thead>
              <tbody>
                {current.history.map((check) => (
                  <tr key={check.checked_at}>
                    <td>{formatDate(check.checked_at)}</td>
                    <td>{check.ok ? `OK (${check.status_code ?? ''})` : `Failed: ${check.error ?? check.status_code ?? ''}`}</td>
                    <td class="num">{check.response_time_ms === null ? '—' : `${check.response_time_ms} ms`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
      <form
        class="inline-form"
        noValidate
        onSubmit={onSubmitRun(() => act(() => linksApi.startUptime(link.id, Number(interval), Number(timeout)), active ? 'Monitoring updated' : 'Monitoring started'))}
      >
        <Field label="Check" error={submission.errorOf('interval')}>
          {(aria) => (
            <select {...aria} name="interval" value={interval} onChange={(e) => setIntervalSeconds(e.currentTarget.value)}>
              {(current?.interval && !INTERVALS.some((choice) => choice.seconds === current.interval) ? [...INTERVALS, { seconds: current.interval, label: `Every ${current.interval} seconds` }] : INTERVALS).map((choice) => (
                <option key={choice.seconds} value={String(choice.seconds)}>
                  {choice.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Timeout (seconds)" error={submission.errorOf('timeout')}>
          {(aria) => <input {...aria} type="number" name="timeout" min={1} max={60} value={timeout} onInput={(e) => setTimeoutSeconds(e.currentTarget.value)} />}
        </Field>
        <button type="submit" class="primary" disabled={submission.busy}>
          {active ? 'Update monitoring' : 'Start monitoring'}
        </button>
        {active && (
          <button type="button" disabled={submission.busy} onClick={() => void act(() => linksApi.stopUptime(link.id), 'Monitoring stopped')}>
            Stop monitoring
          </button>
        )}
      </form>
      <p class="copy-state" aria-live="polite">
        {submission.done}
      </p>
      {submission.failure && !submission.errorOf('interval') && !submission.errorOf('timeout') && <ErrorNote error={submission.failure} />}
    </section>
  );
}

const DELIVERY_WORDS: Record<Delivery['status'], string> = { pending: 'Pending', delivered: 'Delivered', failed: 'Failed' };

/** How many of a webhook's latest deliveries about the link are listed. */
const SHOWN_DELIVERIES = 5;

function WebhookDeliveries({ webhook, linkId }: { webhook: Webhook; linkId: string }) {
  const deliveries = useAsync(() => linksApi.deliveries(webhook.id).then((all) => all.filter((d) => deliveryIsAbout(d, linkId)).slice(0, SHOWN_DELIVERIES)), [webhook.id, linkId]);
  return (
    <li class="webhook" data-webhook={webhook.id}>
      <p>
        <code>{webhook.url}</code> <Badge on={webhook.enabled}>{webhook.enabled ? 'Enabled' : 'Disabled'}</Badge>{' '}
        <span class="hint">{webhook.events.join(', ')}</span>
        {webhook.client_id === null && <span class="hint"> · all clients</span>}
      </p>
      {!webhook.enabled && webhook.disabled_reason && <p class="error">{webhook.disabled_reason}</p>}
      <ErrorNote error={deliveries.error} />
      {deliveries.data &&
        (deliveries.data.length === 0 ? (
          <p class="hint">No recent delivery about this link.</p>
        ) : (
          <ul class="plain-list deliveries">
            {deliveries.data.map((delivery) => (
              <li key={delivery.id} data-status={delivery.status}>
                <span class={`status ${delivery.status}`}>{DELIVERY_WORDS[delivery.status] ?? delivery.status}</span> <code>{delivery.event}</code>{' '}
                <span class="hint">
                  {formatDate(delivery.created_at)} · {delivery.attempts} attempt{delivery.attempts === 1 ? '' : 's'}
                  {delivery.last_status !== null && ` · HTTP ${delivery.last_status}`}
                  {delivery.last_error && ` · ${delivery.last_error}`}
                </span>
              </li>
            ))}
          </ul>
        ))}
    </li>
  );
}

export function WebhooksCard({ link }: { link: Link }) {
  const webhooks = useAsync(() => linksApi.webhooks(), []);
  const relevant = (webhooks.data ?? []).filter((w) => w.client_id === null || w.client_id === link.client_id);
  return (
    <section class="card webhooks" aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhooks</h2>
      <ErrorNote error={webhooks.error} />
      {!webhooks.data ? (
        !webhooks.error && <Loading what="webhooks" />
      ) : relevant.length === 0 ? (
        <p class="hint">No webhook hears about this client’s links. Add one with <code>POST /api/v1/links/webhooks</code>.</p>
      ) : (
        <ul class="plain-list">
          {relevant.map((webhook) => (
            <WebhookDeliveries key={webhook.id} webhook={webhook} linkId={link.id} />
          ))}
        </ul>
      )}
    </section>
  );
}
