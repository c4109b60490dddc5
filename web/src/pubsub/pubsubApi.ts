/**
 * The Pub/Sub admin API as the Pub/Sub page calls it (admin key only): subscriptions to the topic
 * `analytics.events`, their pause and resume, push secrets, and dead letters. Shapes as issue 15's
 * shared decisions give them; the page reads them and sends what the forms hold, and the API
 * validates. Pulling and acknowledging are left to subscribers: the page shows their curl lines.
 */
import { api, enc, queryString, type ListPage } from '../api.js';
import { listOf } from '../ui/listOf.js';

export interface Backlog {
  /** Available staged messages plus events behind the cursor. */
  messages: number;
  in_flight: number;
  dead_letters: number;
  oldest_unacked_at: string | null;
  lag_seconds: number | null;
  dropped_messages: number;
}

export interface PushState {
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  consecutive_failures: number;
}

export interface Subscription {
  id: string;
  name: string;
  topic: string;
  type: 'pull' | 'push';
  push_endpoint: string | null;
  ack_deadline_seconds: number;
  max_delivery_attempts: number;
  filter: { client_ids: string[] | null; events: string[] | null };
  state: 'active' | 'paused';
  backlog: Backlog;
  push: PushState | null;
  created_at: string;
  updated_at: string;
}

/** A push subscription as create and rotate-secret answer it: the signing secret, shown once. */
export type SubscriptionWithSecret = Subscription & { push_secret?: string };

export interface DeadLetter {
  message_id: string;
  client_id: string;
  delivery_attempt: number;
  publish_time: string;
  dead_at: string;
  last_error: string | null;
  event: { event?: string } & Record<string, unknown>;
}

export interface SubscriptionFields {
  name: string;
  type: 'pull' | 'push';
  push_endpoint?: string;
  ack_deadline_seconds?: number;
  max_delivery_attempts?: number;
  filter?: { client_ids?: string[]; events?: string[] };
}

export const SUBSCRIPTIONS = '/admin/pubsub/subscriptions';
const one = (id: string): string => `${SUBSCRIPTIONS}/${enc(id)}`;

export const pubsubApi = {
  list: (cursor?: string): Promise<ListPage<Subscription>> => api.list<Subscription>(`${SUBSCRIPTIONS}${queryString({ limit: 100, cursor })}`),
  get: (id: string): Promise<Subscription> => api.get<Subscription>(one(id)),
  create: (fields: SubscriptionFields): Promise<SubscriptionWithSecret> => api.post<SubscriptionWithSecret>(SUBSCRIPTIONS, fields),
  remove: (id: string): Promise<void> => api.delete(one(id)),
  pause: (id: string): Promise<Subscription> => api.post<Subscription>(`${one(id)}/pause`),
  resume: (id: string): Promise<Subscription> => api.post<Subscription>(`${one(id)}/resume`),
  rotateSecret: (id: string): Promise<SubscriptionWithSecret> => api.post<SubscriptionWithSecret>(`${one(id)}/rotate-secret`),
  deadLetters: (id: string, cursor?: string): Promise<ListPage<DeadLetter>> => api.list<DeadLetter>(`${one(id)}/dead-letters${queryString({ limit: 100, cursor })}`),
  /** `messageIds` omitted: every dead letter. */
  replay: (id: string, messageIds?: string[]): Promise<{ replayed: number }> =>
    api.post<{ replayed: number }>(`${one(id)}/dead-letters/replay`, messageIds === undefined ? {} : { message_ids: messageIds }),
};

/** What the create form sends: only what is filled in, so the API's defaults apply to the rest. */
export function subscriptionBody(values: { name: string; type: 'pull' | 'push'; push_endpoint: string; ack_deadline_seconds: string; max_delivery_attempts: string; client_ids: string; events: string }): SubscriptionFields {
  const body: SubscriptionFields = { name: values.name.trim(), type: values.type };
  if (values.type === 'push') body.push_endpoint = values.push_endpoint.trim();
  if (values.ack_deadline_seconds.trim() !== '') body.ack_deadline_seconds = Number(values.ack_deadline_seconds);
  if (values.max_delivery_attempts.trim() !== '') body.max_delivery_attempts = Number(values.max_delivery_attempts);
  const clientIds = listOf(values.client_ids);
  const events = listOf(values.events);
  if (clientIds.length > 0 || events.length > 0) body.filter = { ...(clientIds.length > 0 ? { client_ids: clientIds } : {}), ...(events.length > 0 ? { events } : {}) };
  return body;
}

/** "3 s", "4 min", "2 h 5 min": how far behind a subscription is. */
export function lagText(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
}

/**
 * The curl lines a subscriber runs against a pull subscription. The admin key is never put into
 * the page's text: `$MYTHIC_ADMIN_KEY` stands for it.
 */
export function pullCommands(origin: string, id: string): { pull: string; acknowledge: string } {
  const base = `${origin}/api/v1${SUBSCRIPTIONS}/${enc(id)}`;
  const headers = `-H "Authorization: Bearer $MYTHIC_ADMIN_KEY" -H 'content-type: application/json'`;
  return {
    pull: `curl -s -X POST "${base}/pull" ${headers} -d '{"max_messages":10}'`,
    acknowledge: `curl -s -X POST "${base}/acknowledge" ${headers} -d '{"ack_ids":["<ack_id>"]}'`,
  };
}
