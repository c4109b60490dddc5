import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, enc, queryString } from '../api.js';
import type { RecentEvent } from '../types.js';
import { ErrorNote, formatDate } from '../ui/misc.js';

const POLL_MS = 3000;
const KEEP = 200;
const PAGE = 100;

/**
 * The live debugger: the newest events, then every few seconds those committed after the newest
 * one shown (the API's `after_seq`), so each event is fetched once and none is skipped (events
 * commit in another order than they are received, so `after` with a received_at could skip some).
 * A full page means more are waiting: the next is fetched at once.
 */
export function LiveEvents({ clientId }: { clientId: string }) {
  const [events, setEvents] = useState<RecentEvent[]>([]);
  const [paused, setPaused] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<string | null>(null);
  const newest = useRef<number | undefined>(undefined);

  useEffect(() => {
    newest.current = undefined;
    setEvents([]);
  }, [clientId]);

  useEffect(() => {
    if (paused) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      let full = false;
      try {
        const page = await api.list<RecentEvent>(`/clients/${enc(clientId)}/events${queryString({ limit: PAGE, after_seq: newest.current })}`);
        if (stopped) return;
        setError(null);
        if (page.data.length > 0) {
          // Catching up only once there is a cursor: the first page is simply the newest events.
          full = newest.current !== undefined && page.data.length === PAGE;
          newest.current = page.data[0]!.seq;
          setEvents((shown) => [...page.data, ...shown].slice(0, KEEP));
        }
      } catch (failure) {
        if (!stopped) setError(failure);
      }
      if (!stopped) timer = setTimeout(() => void poll(), full ? 0 : POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [clientId, paused]);

  return (
    <section class="card live" aria-labelledby="live-title">
      <div class="heading">
        <h2 id="live-title">Live events</h2>
        <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      </div>
      <p class="hint" role="status">
        {paused ? 'Paused.' : `Checking for new events every ${POLL_MS / 1000} seconds.`} {events.length} shown.
      </p>
      <ErrorNote error={error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Event</th>
              <th scope="col">Path</th>
              <th scope="col">Person</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <Fragment key={event.seq}>
                <tr>
                  <td>{formatDate(event.received_at)}</td>
                  <td>{event.event}</td>
                  <td>{event.path ?? '—'}</td>
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
                    <td colSpan={5}>
                      <pre class="code">{JSON.stringify(event.properties, null, 2)}</pre>
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
