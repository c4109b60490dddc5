import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { StoredEvent } from '../../src/events/eventStore.js';
import type { FunnelResultView, QueryResultView } from '../../src/query/schemas.js';
import type { Envelope, Reply, TestApi } from '../helpers/api.js';
import { storedEvent } from '../helpers/events.js';

export type QueryReply = Reply<Envelope<QueryResultView>>;
export type FunnelReply = Reply<Envelope<FunnelResultView>>;

/** POST /api/v1/query with the admin key (or other headers), answered as the envelope. */
export const query = (api: TestApi, body: Record<string, unknown>, headers?: Record<string, string>): Promise<QueryReply> =>
  api.request<Envelope<QueryResultView>>('POST', '/api/v1/query', headers ? { body, anonymous: true, headers } : { body });

export const funnel = (api: TestApi, body: Record<string, unknown>, headers?: Record<string, string>): Promise<FunnelReply> =>
  api.request<Envelope<FunnelResultView>>('POST', '/api/v1/query/funnel', headers ? { body, anonymous: true, headers } : { body });

/** The data of a successful query; fails the test with the answer otherwise. */
export async function rows(api: TestApi, body: Record<string, unknown>): Promise<QueryResultView> {
  const res = await query(api, body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data;
}

/** Stores events straight into the EventStore (as ingestion would have stored them). */
export async function insert(api: TestApi, clientId: string, events: Partial<StoredEvent>[], links: { distinct_id: string; person_id: string }[] = []): Promise<void> {
  await api.events.append(
    events.map((e) => storedEvent({ client_id: clientId, ...e })),
    links.map((l) => ({ client_id: clientId, ...l, created_at: 0 })),
  );
}

export const at = (iso: string): number => Date.parse(iso);

/** A page view of `path` at `iso`, by `visitor` in `session`. */
export const view = (iso: string, path: string, visitor = 'v1', session: string | null = `s-${visitor}`, extra: Partial<StoredEvent> = {}): Partial<StoredEvent> => ({
  event: '$pageview',
  timestamp: at(iso),
  path,
  url: `https://acme.test${path}`,
  distinct_id: visitor,
  session_id: session,
  ...extra,
});

/** ISO-8601 date-times of instants between `min` and `max`, with Z or any offset from -23:59 to +23:59. */
export const isoDateTime = (min: Date, max: Date): fc.Arbitrary<string> =>
  fc
    .tuple(fc.date({ min, max, noInvalidDate: true }), fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }), fc.boolean())
    .map(([date, offsetMinutes, zulu]) => {
      if (zulu) return date.toISOString();
      const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 23);
      const abs = Math.abs(offsetMinutes);
      return `${local}${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    });
