import type { Metric } from './query.js';

/**
 * How the analytics cards write numbers: thousands separators in the reader's locale, durations as
 * minutes and seconds, and the change against the previous period as Plausible shows it (a
 * percentage for counts, percentage points for rates, "new" when there was nothing before), with
 * whether that change is good news: more visitors is, a higher bounce rate is not.
 */

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

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

/** Metrics that are rates (0–100): their change is a difference in percentage points. */
const RATES: ReadonlySet<Metric> = new Set<Metric>(['bounce_rate']);
/** Metrics for which a rise is bad news. */
const LOWER_IS_BETTER: ReadonlySet<Metric> = new Set<Metric>(['bounce_rate']);

function duration(seconds: number): string {
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  if (hours > 0) return `${integer.format(hours)}h ${minutes}m`;
  return minutes > 0 ? `${minutes}m ${whole % 60}s` : `${whole}s`;
}

/** A count with thousands separators: 12500 → "12,500" (in an English locale). */
export const formatCount = (value: number): string => integer.format(value);

export function formatMetric(metric: Metric, value: number): string {
  if (metric === 'bounce_rate') return `${decimal.format(value)}%`;
  if (metric === 'avg_session_duration') return duration(value);
  if (metric === 'views_per_session') return decimal.format(value);
  return integer.format(value);
}

export interface Delta {
  /** What the reader sees: "+12%", "−3.5 pp", "new", "0%". */
  text: string;
  direction: 'up' | 'down' | 'flat';
  /** Good news, bad news, or neither (no change). */
  tone: 'good' | 'bad' | 'neutral';
}

/** Minus sign, not a hyphen, as typeset numbers use. */
const signed = (value: number, text: string): string => (value > 0 ? `+${text}` : value < 0 ? `\u2212${text}` : text);

/** The change of `metric` from `previous` to `current`. */
export function deltaOf(metric: Metric, current: number, previous: number): Delta {
  let text: string;
  let change: number;
  if (RATES.has(metric)) {
    change = current - previous;
    text = signed(change, `${oneDecimal.format(Math.abs(change))} pp`);
  } else if (previous === 0) {
    change = current;
    text = current === 0 ? '0%' : 'new';
  } else {
    change = ((current - previous) / previous) * 100;
    // Rounded first: a change that shows as 0% is no change.
    const shown = Math.round(change);
    if (shown === 0) change = 0;
    text = signed(change, `${integer.format(Math.abs(shown))}%`);
  }
  if (text === '+0 pp' || text === '\u22120 pp') {
    change = 0;
    text = '0 pp';
  }
  const direction = change > 0 ? 'up' : change < 0 ? 'down' : 'flat';
  const better = LOWER_IS_BETTER.has(metric) ? direction === 'down' : direction === 'up';
  return { text, direction, tone: direction === 'flat' ? 'neutral' : better ? 'good' : 'bad' };
}

/** Change against the previous period, as a signed percentage; null when there is nothing to compare to. */
export function changeOf(current: number, previous: number): string | null {
  if (previous === 0) return current === 0 ? '0%' : null;
  const change = ((current - previous) / previous) * 100;
  return `${change > 0 ? '+' : ''}${decimal.format(change)}%`;
}

export const percent = (ratio: number): string => `${decimal.format(ratio * 100)}%`;

const regionNames = ((): Intl.DisplayNames | null => {
  try {
    return new Intl.DisplayNames(undefined, { type: 'region' });
  } catch {
    return null;
  }
})();

const known = (parts: (string | null | undefined)[]): string[] => parts.filter((part): part is string => typeof part === 'string' && part !== '');

/** "Berlin, Land Berlin, Germany (DE)" from an event's city, region and ISO country code; "—" when none is known. */
export function placeOf(event: { country: string | null; region?: string | null; city?: string | null }): string {
  const country = event.country ? `${regionNames?.of(event.country) ?? event.country} (${event.country})` : null;
  const parts = known([event.city, event.region, country]);
  return parts.length === 0 ? '—' : parts.join(', ');
}

/** "Chrome / Linux / desktop"; "—" when none is known. */
export function deviceOf(event: { browser: string | null; os: string | null; device_type: string | null }): string {
  const parts = known([event.browser, event.os, event.device_type]);
  return parts.length === 0 ? '—' : parts.join(' / ');
}
