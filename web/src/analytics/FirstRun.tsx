import { useEffect, useRef } from 'preact/hooks';
import { api, enc } from '../api.js';
import type { Hostname, LoaderEmbed } from '../types.js';
import { CopyButton, formatDate } from '../ui/misc.js';
import { Placeholder } from './Placeholder.js';
import { loadClientInfo } from './clientInfo.js';
import { formatCount } from './format.js';
import { useCardQuery } from './pageStatus.js';
import { numberAt, runQuery } from './query.js';
import { scopeFields, type PageScope } from './scope.js';
import { useVisibleTicks } from './visibleTicks.js';

/**
 * What a page of zeros does not say. A client that has never sent an event gets the embed code,
 * the install check of its domain and hostnames, and "waiting for the first event" (asked again
 * every few seconds; when it arrives, the page is shown with it). A period whose bot events were
 * left out says how many, with a toggle to count them.
 */

export const FIRST_EVENT_POLL_MS = 5000;
const DAY_MS = 86_400_000;
/** The longest range the query API takes (731 days): "ever", as far as reports can look back. */
const EVER_DAYS = 730;

function everQuery(clientId: string): Promise<number> {
  const now = Date.now();
  return runQuery({
    client_id: clientId,
    metrics: ['events'],
    from: new Date(now - EVER_DAYS * DAY_MS).toISOString(),
    to: new Date(now + 3_600_000).toISOString(),
    filters: { include_bots: true },
  }).then((result) => numberAt(result, result.rows[0], 'events'));
}

interface Install {
  embed: LoaderEmbed | null;
  hostnames: Hostname[];
}

/** The embed code and install check: the operator's to see (a client's own key may not read them). */
async function loadInstall(clientId: string): Promise<Install> {
  const info = await loadClientInfo(clientId);
  if (info.role !== 'admin') return { embed: null, hostnames: [] };
  const [embed, hostnames] = await Promise.all([api.get<LoaderEmbed>(`/clients/${enc(clientId)}/loader`), api.get<Hostname[]>(`/clients/${enc(clientId)}/hostnames`)]);
  return { embed, hostnames };
}

function InstallCheck({ name, verified, since }: { name: string; verified: boolean; since: string | null }) {
  return (
    <li data-hostname={name} data-verified={verified}>
      <code>{name}</code>: <span class={verified ? 'ok' : 'hint'}>{verified ? `working, events received since ${formatDate(since)}` : 'no event received yet'}</span>
    </li>
  );
}

function Welcome({ clientId, tick }: { clientId: string; tick: number }) {
  const install = useCardQuery('first-run-install', () => loadInstall(clientId), [clientId, tick]);
  const data = install.data;
  return (
    <section class="card first-run" aria-labelledby="first-run-title">
      <h2 id="first-run-title">No events yet</h2>
      {!data ? (
        <Placeholder what="the embed code" height="9rem" />
      ) : data.embed === null ? (
        <p>Paste the client’s embed code (its loader script) into the &lt;head&gt; of every page of the site; the administrator finds it in the client’s settings under “Embed code”.</p>
      ) : (
        <>
          <p>
            Paste this into the <code>&lt;head&gt;</code> of every page of the site. The SDK is then available as <code>window.{data.embed.global_name}</code>.
          </p>
          <label for="first-run-embed">Embed code</label>
          <textarea id="first-run-embed" class="code" readOnly rows={3} value={data.embed.html} onFocus={(e) => e.currentTarget.select()} />
          <div class="actions">
            <CopyButton text={data.embed.html} label="Copy embed code" />
          </div>
          <h3>Install check</h3>
          {data.embed.domain === null && data.hostnames.length === 0 ? (
            <p class="hint">The client has no domain or hostname: browser events are accepted from none. Add one in the client’s settings.</p>
          ) : (
            <ul class="plain-list install-check">
              {data.embed.domain && <InstallCheck name={data.embed.domain.hostname} verified={data.embed.domain.verified} since={data.embed.domain.first_event_at} />}
              {data.hostnames.map((h) => (
                <InstallCheck key={h.hostname} name={h.hostname} verified={h.verified} since={h.first_event_at} />
              ))}
            </ul>
          )}
        </>
      )}
      <p class="waiting" role="status">
        <span class="pulse live" aria-hidden="true" /> Waiting for the first event…
      </p>
    </section>
  );
}

/** "N bot events excluded": events of the period and filters with bots counted, minus without. */
function BotCount({ scope, onIncludeBots }: { scope: PageScope; onIncludeBots: (include: boolean) => void }) {
  const counts = useCardQuery(
    'bot-count',
    async () => {
      const [withBots, withoutBots] = await Promise.all(
        [true, false].map((includeBots) => runQuery({ ...scopeFields({ ...scope, includeBots }), metrics: ['events'] }).then((r) => numberAt(r, r.rows[0], 'events'))),
      );
      return Math.max(0, withBots! - withoutBots!);
    },
    [JSON.stringify(scopeFields({ ...scope, includeBots: false }))],
  );
  const bots = counts.data ?? 0;
  if (bots === 0 && !scope.includeBots) return null;
  return (
    <p class="bot-count" data-bots={bots}>
      {scope.includeBots ? `${formatCount(bots)} bot ${bots === 1 ? 'event' : 'events'} included.` : `${formatCount(bots)} bot ${bots === 1 ? 'event' : 'events'} excluded.`}{' '}
      <button type="button" class="link" aria-pressed={scope.includeBots} onClick={() => onIncludeBots(!scope.includeBots)}>
        {scope.includeBots ? 'Exclude bots' : 'Include bots'}
      </button>
    </p>
  );
}

export function FirstRun({
  scope,
  onIncludeBots,
  onFirstEvent = () => location.reload(),
}: {
  scope: PageScope;
  onIncludeBots: (include: boolean) => void;
  /** When a client that had no event gets its first one; the default loads the page again, so every card shows it. */
  onFirstEvent?: () => void;
}) {
  const tick = useVisibleTicks(FIRST_EVENT_POLL_MS);
  // Asked again on every tick only while the client (the one it was seen for) has no event yet.
  const waitingFor = useRef<string | null>(null);
  const stillWaiting = waitingFor.current === scope.clientId;
  const ever = useCardQuery('first-run', () => everQuery(scope.clientId), [scope.clientId, stillWaiting ? tick : -1]);
  const waiting = ever.data === 0;
  useEffect(() => {
    if (ever.data === undefined) return;
    if (waitingFor.current === scope.clientId && ever.data > 0) onFirstEvent();
    waitingFor.current = ever.data === 0 ? scope.clientId : null;
  }, [ever.data]);
  if (waiting) return <Welcome clientId={scope.clientId} tick={tick} />;
  if (ever.data === undefined) return null;
  return <BotCount scope={scope} onIncludeBots={onIncludeBots} />;
}
