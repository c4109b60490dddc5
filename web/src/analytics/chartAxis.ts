/**
 * Ticks and labels of the time-series chart, as pure functions: the API's bucket labels (already in
 * the client's timezone) turned into short tick labels and long hover labels, and a tick spacing
 * chosen from the plot's width and the widest label, so labels never overlap (on "Today" the
 * hourly labels used to run into one strip). Steps are ones a reader expects per grain: every 3 or
 * 6 hours, every week of days, every quarter of months.
 */

export type Grain = 'hour' | 'day' | 'week' | 'month';

const NICE_STEPS: Record<Grain, number[]> = {
  hour: [1, 2, 3, 4, 6, 12, 24, 48, 72, 168],
  day: [1, 2, 7, 14, 28, 56, 91, 182, 364],
  week: [1, 2, 4, 8, 13, 26, 52, 104],
  month: [1, 2, 3, 6, 12, 24, 60, 120],
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LONG_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: string | null;
}

/** 2026-03-29T14:00+02:00, 2026-03-29 or 2026-03 → its parts, read as written (no timezone shift). */
function partsOf(label: string): Parts | null {
  const match = /^(\d{4})-(\d{2})(?:-(\d{2}))?(?:T(\d{2}:\d{2}))?/.exec(label);
  if (!match) return null;
  return { year: Number(match[1]), month: Number(match[2]), day: match[3] ? Number(match[3]) : 1, hour: match[4] ?? null };
}

/** The label under a tick: 14:00 (the day's name at midnight), Mar 29, Mar 2026. */
export function tickLabel(label: string, grain: Grain): string {
  const parts = partsOf(label);
  if (!parts) return label;
  const month = MONTHS[parts.month - 1] ?? '';
  if (grain === 'month') return `${month} ${parts.year}`;
  if (grain === 'hour' && parts.hour !== null && parts.hour !== '00:00') return parts.hour;
  return `${month} ${parts.day}`;
}

/** The hovered bucket in full: Mar 29, 2026, 14:00; Week of Mar 29, 2026; March 2026. */
export function longLabel(label: string, grain: Grain): string {
  const parts = partsOf(label);
  if (!parts) return label;
  if (grain === 'month') return `${LONG_MONTHS[parts.month - 1] ?? ''} ${parts.year}`;
  const day = `${MONTHS[parts.month - 1] ?? ''} ${parts.day}, ${parts.year}`;
  if (grain === 'hour' && parts.hour !== null) return `${day}, ${parts.hour}`;
  return grain === 'week' ? `Week of ${day}` : day;
}

/**
 * The smallest sensible step (in buckets) at which labels `labelWidth` px wide, with `gap` px
 * between them, fit `count` buckets spread over `plotWidth` px.
 */
export function tickStep(count: number, plotWidth: number, labelWidth: number, grain: Grain, gap = 12): number {
  if (count <= 1 || plotWidth <= 0) return 1;
  const perBucket = plotWidth / (count - 1);
  const needed = (labelWidth + gap) / perBucket;
  return NICE_STEPS[grain].find((step) => step >= needed) ?? Math.ceil(needed);
}

/** The bucket indexes that get a tick: every `step`th from the first. */
export function tickIndexes(count: number, step: number): number[] {
  const ticks: number[] = [];
  for (let i = 0; i < count; i += step) ticks.push(i);
  return ticks;
}

/**
 * Counts never need fractions: integer steps (1, 2, 5, 10, 20, 50, …), so one visitor reads 0 1,
 * not 0 0.2 0.4. These are the increments offered to uPlot's y axis.
 */
export const INTEGER_INCREMENTS: number[] = [1, 2, 5].flatMap((m) => Array.from({ length: 10 }, (_, e) => m * 10 ** e)).sort((a, b) => a - b);

/** The y scale: from 0 to at least 1, so an empty period still has a readable axis. */
export function countRange(max: number | null): [number, number] {
  const top = max === null || !Number.isFinite(max) || max < 1 ? 1 : max;
  return [0, top];
}
