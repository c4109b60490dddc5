/**
 * The Links API as the Links page calls it: a client's links and their analytics (the admin key or
 * the client's own `sk_`), the webhooks that hear about them and each link's uptime monitor (the
 * admin key). Shapes as the API answers them (issue 14's shared decisions); the page only reads.
 */
import type { LinkView } from '../../../src/links/schemas.js';
import { api, enc, queryString, type ListPage } from '../api.js';

/** A link as the API answers it, typed from the server's own schema (a type-only import). */
export type Link = LinkView;

export const LINK_PERIODS = [
  { name: '24h', label: 'Last 24 hours' },
  { name: '7d', label: 'Last 7 days' },
  { name: '30d', label: 'Last 30 days' },
  { name: '90d', label: 'Last 90 days' },
  { name: 'all', label: 'All time' },
] as const;
export type LinkPeriod = (typeof LINK_PERIODS)[number]['name'];
export const isLinkPeriod = (value: string | null): value is LinkPeriod => LINK_PERIODS.some((p) => p.name === value);

export interface LinkAnalytics {
  link_id: string;
  period: LinkPeriod;
  from: string;
  to: string;
  total_clicks: number;
  unique_visitors: number;
  bot_clicks: number;
  referrers: { referrer: string | null; clicks: number }[];
  countries: { country: string | null; clicks: number }[];
  /** Every day of the period, in the client's time zone (YYYY-MM-DD). */
  daily_clicks: { date: string; clicks: number }[];
}

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  client_id: string | null;
  description?: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  created_at: string;
}

export interface Delivery {
  id: string;
  event: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  next_attempt_at: string | null;
  /** The body sent: { id, event, created_at, data }. */
  payload: Record<string, unknown>;
}

/**
 * Whether a delivery is about `linkId`: link.created carries the link (`data.id`), uptime events
 * its id (`data.link_id`), link.clicked a batch of clicks (`data.clicks[].link_id`).
 */
export function deliveryIsAbout(delivery: Delivery, linkId: string): boolean {
  const data = delivery.payload.data;
  if (typeof data !== 'object' || data === null) return false;
  const fields = data as { id?: unknown; link_id?: unknown; clicks?: unknown };
  if (fields.id === linkId || fields.link_id === linkId) return true;
  return Array.isArray(fields.clicks) && fields.clicks.some((click: unknown) => typeof click === 'object' && click !== null && (click as { link_id?: unknown }).link_id === linkId);
}

export interface UptimeCheck {
  checked_at: string;
  ok: boolean;
  status_code: number | null;
  response_time_ms: number | null;
  error: string | null;
}

export interface UptimeStatus {
  status: 'up' | 'down' | 'unknown';
  response_time_ms: number | null;
  last_checked: string | null;
  monitoring_active: boolean;
  /** null for a link never monitored. */
  interval: number | null;
  timeout: number | null;
  consecutive_failures: number;
  last_error: string | null;
  history: UptimeCheck[];
}

/** What the create and edit forms send; `null` clears a field on edit (password, expiry, title). */
export interface LinkFields {
  destination_url?: string;
  slug?: string;
  title?: string | null;
  tags?: string[];
  password?: string | null;
  expires_at?: string | null;
}

const linksOf = (clientId: string): string => `/clients/${enc(clientId)}/links`;

export const PAGE_SIZE = 50;

export const linksApi = {
  list: (clientId: string, filter: { q?: string; tag?: string; cursor?: string }): Promise<ListPage<Link>> =>
    api.list<Link>(`${linksOf(clientId)}${queryString({ ...filter, limit: PAGE_SIZE })}`),
  get: (clientId: string, linkId: string): Promise<Link> => api.get<Link>(`${linksOf(clientId)}/${enc(linkId)}`),
  create: (clientId: string, fields: LinkFields): Promise<Link> => api.post<Link>(linksOf(clientId), fields),
  update: (clientId: string, linkId: string, fields: LinkFields): Promise<Link> => api.patch<Link>(`${linksOf(clientId)}/${enc(linkId)}`, fields),
  remove: (clientId: string, linkId: string): Promise<void> => api.delete(`${linksOf(clientId)}/${enc(linkId)}`),
  analytics: (clientId: string, linkId: string, period: LinkPeriod): Promise<LinkAnalytics> =>
    api.get<LinkAnalytics>(`${linksOf(clientId)}/${enc(linkId)}/analytics${queryString({ period })}`),
  webhooks: (): Promise<Webhook[]> => api.list<Webhook>('/links/webhooks?limit=100').then((page) => page.data),
  /** The webhook's latest deliveries, newest first (the log is paged; the page looks at the newest 50). */
  deliveries: (webhookId: string): Promise<Delivery[]> => api.list<Delivery>(`/links/webhooks/${enc(webhookId)}/deliveries?limit=50`).then((page) => page.data),
  uptime: (linkId: string): Promise<UptimeStatus> => api.get<UptimeStatus>(`/links/${enc(linkId)}/uptime/status?limit=10`),
  startUptime: (linkId: string, interval: number, timeout: number): Promise<unknown> => api.post(`/links/${enc(linkId)}/uptime/start`, { interval, timeout }),
  stopUptime: (linkId: string): Promise<unknown> => api.post(`/links/${enc(linkId)}/uptime/stop`),
};
