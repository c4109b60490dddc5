import type { Metric } from './query.js';

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

export const METRIC_LABELS: Record<Metric, string> = {
  unique_visitors: 'Visitors',
  page_views: 'Page views',
  sessions: 'Sessions',
  events: 'Events',
  bounce_rate: 'Bounce rate',
  avg_session_duration: 'Visit duration',
  views_per_session: 'Views per visit',
  conversions: 'Conversions',
};

function duration(seconds: number): string {
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  return minutes > 0 ? `${minutes}m ${whole % 60}s` : `${whole}s`;
}

export function formatMetric(metric: Metric, value: number): string {
  if (metric === 'bounce_rate') return `${decimal.format(value)}%`;
  if (metric === 'avg_session_duration') return duration(value);
  if (metric === 'views_per_session') return decimal.format(value);
  return integer.format(value);
}

/** Change against the previous period, as a signed percentage; null when there is nothing to compare to. */
export function changeOf(current: number, previous: number): string | null {
  if (previous === 0) return current === 0 ? '0%' : null;
  const change = ((current - previous) / previous) * 100;
  return `${change > 0 ? '+' : ''}${decimal.format(change)}%`;
}

export const percent = (ratio: number): string => `${decimal.format(ratio * 100)}%`;
