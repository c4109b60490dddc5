/**
 * Time-zone arithmetic on epoch milliseconds with the runtime's own IANA data (Intl), which is
 * the same data `normalizeTimezone` accepted the client's zone with. Reports never ask DuckDB to
 * convert each row: the few offset changes of a period are found here and handed to SQL as
 * constant boundaries, which costs a comparison per row instead of an ICU call.
 */

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** The zone's offset from UTC at `instant`, in milliseconds (east positive: Berlin in winter is +3,600,000). */
export function offsetAt(zone: string, instant: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(zone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = new Date(0);
  // setUTCFullYear rather than Date.UTC, which reads years 0–99 as 1900–1999.
  wall.setUTCFullYear(parts.year!, parts.month! - 1, parts.day!);
  const asUtc = wall.getTime() + ((parts.hour! * 60 + parts.minute!) * 60 + parts.second!) * 1000;
  // Intl has no milliseconds here: compare against the instant truncated to its second.
  return asUtc - (instant - (((instant % 1000) + 1000) % 1000));
}

/** A stretch of time during which the zone's offset does not change. */
export interface OffsetSegment {
  /** First instant of the stretch (epoch ms); the first segment starts at the period's start. */
  from: number;
  offset: number;
}

/**
 * The offsets in force between `from` and `to`, with the exact instants they change. Offsets are
 * sampled every 6 hours (zones change at most a few times a year, never twice within 6 hours) and
 * each change is pinned down by bisection to the millisecond.
 */
export function offsetSegments(zone: string, from: number, to: number): OffsetSegment[] {
  const segments: OffsetSegment[] = [{ from, offset: offsetAt(zone, from) }];
  const step = DAY_MS / 4;
  let previous = from;
  let previousOffset = segments[0]!.offset;
  while (previous < to) {
    const next = Math.min(previous + step, to);
    const nextOffset = offsetAt(zone, next);
    if (nextOffset !== previousOffset) {
      let low = previous;
      let high = next;
      while (high - low > 1) {
        const middle = Math.floor((low + high) / 2);
        if (offsetAt(zone, middle) === previousOffset) low = middle;
        else high = middle;
      }
      segments.push({ from: high, offset: nextOffset });
    }
    previous = next;
    previousOffset = nextOffset;
  }
  return segments;
}

/** Local calendar date as a day number (days since 1970-01-01), and its parts. */
export interface LocalDate {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
}

export function dayNumber(date: LocalDate): number {
  // setUTCFullYear rather than Date.UTC, which reads years 0–99 as 1900–1999.
  const d = new Date(0);
  d.setUTCFullYear(date.year, date.month - 1, date.day);
  return Math.round(d.getTime() / DAY_MS);
}

export function dateOfDayNumber(days: number): LocalDate {
  const d = new Date(days * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The local calendar date at `instant`. */
export function localDateAt(zone: string, instant: number): LocalDate {
  return dateOfDayNumber(Math.floor((instant + offsetAt(zone, instant)) / DAY_MS));
}

/**
 * The instant local midnight starts `date`. Where a zone skips midnight itself (a few zones
 * change at 00:00), the day starts at the first local instant that exists.
 */
export function startOfLocalDay(zone: string, date: LocalDate): number {
  const wall = dayNumber(date) * DAY_MS;
  // Two passes settle the offset: the guess made with the offset at (wall − offset) is exact
  // unless a change lies between the guess and the answer.
  let instant = wall - offsetAt(zone, wall);
  instant = wall - offsetAt(zone, instant);
  if (Math.floor((instant + offsetAt(zone, instant)) / DAY_MS) < dayNumber(date)) {
    // Midnight does not exist that day: the day starts where the clock jumped past it.
    let low = instant;
    let high = instant + DAY_MS / 4;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (Math.floor((middle + offsetAt(zone, middle)) / DAY_MS) < dayNumber(date)) low = middle;
      else high = middle;
    }
    return high;
  }
  return instant;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export const formatDate = (date: LocalDate): string => `${pad(date.year, 4)}-${pad(date.month)}-${pad(date.day)}`;

/** `±HH:MM` of an offset in milliseconds. */
export function formatOffset(offset: number): string {
  const minutes = Math.round(Math.abs(offset) / 60_000);
  return `${offset < 0 ? '-' : '+'}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/** Adds whole months to a date's month (the day is kept; callers use day 1). */
export function addMonths(date: LocalDate, months: number): LocalDate {
  const index = date.year * 12 + (date.month - 1) + months;
  return { year: Math.floor(index / 12), month: (index % 12) + 1, day: date.day };
}
