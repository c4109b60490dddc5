import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, enc, queryString, type ListPage } from '../api.js';
import type { RecentEvent } from '../types.js';
import { Badge } from '../ui/misc.js';
import { Placeholder } from './Placeholder.js';
import { deviceOf, placeOf } from './format.js';
import { useCardQuery } from './pageStatus.js';

const POLL_MS = 3000;
const KEEP = 200;
const PAGE = 100;

/**
 * The live debugger: the newest events, then every few seconds those committed after the newest
 * one shown (the API's `after_seq`), so each event is fetched once and none is skipped (events
 * commit in another order than they are received, so `after` with a received_at could skip some).
 * A full page means more are waiting: the next is fetched at once. Each row says who (browser, OS,
 * device, bot or not), from where, and when (the event's own time) in the CLIENT's time zone, as its reports count days:
 * the reader's own zone would put an event on another day than the reports do. A failed poll is
 * reported to the page (one error with Retry) and polling waits for that Retry.
 */

function timeFormat(timezone: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: timezone, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  } catch {
    // An unknown zone (the server validates them, but a browser may know fewer): UTC, labelled so.
    return new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }
}

function zoneLabel(timezone: string): string {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: timezone });
    return timezone;
  } catch {
    return 'UTC';
  }
}

export function LiveEvents({ clientId, clientName, timezone }: { clientId: string; clientName: string; timezone: string }) {
  const [events, setEvents] = useState<RecentEvent[]>([]);
  const [paused, setPaused] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [caughtUp, setCaughtUp] = useState(false);
  const [full, setFull] = useState(false);
  const newest = useRef<number | undefined>(undefined);

  useEffect(() => {
    newest.current = undefined;
    setEvents([]);
    setCaughtUp(false);
  }, [clientId]);

  const page = useCardQuery<ListPage<RecentEvent>>(
    'live-events',
    () => api.list<RecentEvent>(`/clients/${enc(clientId)}/events${queryString({ limit: PAGE, after_seq: newest.current })}`),
    [clientId, tick],
  );

  // Each answer once: remember the cursor, show the events.
  useEffect(() => {
    const data = page.data?.data;
    if (!data) return;
    // Catching up only once there is a cursor: the first page is simply the newest events.
    setFull(newest.current !== undefined && data.length === PAGE);
    if (data.length > 0) {
      newest.current = data[0]!.seq;
      setEvents((shown) => [...data, ...shown].slice(0, KEEP));
    }
    setCaughtUp(true);
  }, [page.data]);

  // The next poll, after each answer, unless paused.
  useEffect(() => {
    if (paused || !page.data) return;
    const timer = setTimeout(() => setTick((n) => n + 1), full ? 0 : POLL_MS);
    return () => clearTimeout(timer);
  }, [page.data, paused, full]);

  const format = timeFormat(timezone);
  const zone = zoneLabel(timezone);
  return (
    <section class="card live" aria-labelledby="live-title">
      <div class="heading">
        <h2 id="live-title">
          Live events <span class="client-name">{clientName}</span>
        </h2>
        <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      </div>
      <p class="hint" role="status">
        {paused ? 'Paused.' : `Checking for new events every ${POLL_MS / 1000} seconds.`} {events.length} shown. Times are in the client’s time zone, {zone}.
      </p>
      {!caughtUp ? (
        <Placeholder what="live events" height="12rem" />
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Time ({zone})</th>
                <th scope="col">Event</th>
                <th scope="col">Path</th>
                <th scope="col">Location</th>
                <th scope="col">Browser / OS / device</th>
                <th scope="col">Person</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {events.length === 0 && (
                <tr>
                  <td colSpan={7} class="hint">
                    No events yet: new ones appear here as they arrive.
                  </td>
                </tr>
              )}
              {events.map((event) => (
                <Fragment key={event.seq}>
                  <tr data-seq={event.seq} class={event.is_bot ? 'bot' : undefined}>
                    <td>
                      <time dateTime={event.timestamp} title={`Received ${format.format(new Date(event.received_at))}`}>
                        {format.format(new Date(event.timestamp))}
                      </time>
                    </td>
                    <td>
                      {event.event}{' '}
                      {event.is_bot && (
                        <Badge on={false}>
                          <span title="Classified as a bot at ingestion: excluded from reports unless bots are included">Bot</span>
                        </Badge>
                      )}
                    </td>
                    <td>{event.path ?? '—'}</td>
                    <td class="place">{placeOf(event)}</td>
                    <td class="device">{deviceOf(event)}</td>
                    <td>
                      <code>{event.distinct_id}</code>
                    </td>
                    <td>
                      <button type="button" aria-expanded={open === event.uuid} onClick={() => setOpen(open === event.uuid ? null : event.uuid)}>
                        Properties
                      </button>
                    </td>
                  </tr>
                  {open === event.uuid && (
                    <tr>
                      <td colSpan={7}>
                        <pre class="code">{JSON.stringify(event.properties, null, 2)}</pre>
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
