import { addMonths, dateOfDayNumber, dayNumber, formatDate, formatOffset, localDateAt, offsetAt, startOfLocalDay, type LocalDate } from './zone.js';

export const PERIODS = ['today', '24h', '7d', '30d', '90d', '12mo', 'custom'] as const;
export type PeriodName = (typeof PERIODS)[number];
export const TIME_GRAINS = ['hour', 'day', 'week', 'month'] as const;
export type TimeGrain = (typeof TIME_GRAINS)[number];

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * A reporting period as UTC instants [from, to), and how it was measured: a comparison period is
 * the same measure taken again just before (N local days, N months, or the same milliseconds).
 */
export interface ResolvedPeriod {
  from: number;
  to: number;
  span: { unit: 'ms'; length: number } | { unit: 'days'; first: number; length: number } | { unit: 'months'; first: LocalDate; length: number };
}

export interface PeriodInput {
  period: PeriodName;
  /**
   * Both or neither, already validated; when given they set the range whatever `period` says.
   * Each a local date (YYYY-MM-DD: the whole day in the client's zone) or a date-time with Z or
   * an offset (that instant).
   */
  from?: string;
  to?: string;
}

export function parseLocalDate(text: string): LocalDate {
  const [year, month, day] = text.split('-').map(Number) as [number, number, number];
  return { year, month, day };
}

/** Events are stored from 1970 on; earlier dates would also leave the time-zone database's reach. */
export const EARLIEST_YEAR = 1970;

/** Whether a YYYY-MM-DD text names a real calendar date (2026-02-30 does not) from 1970 on. */
export function isRealDate(text: string): boolean {
  const date = parseLocalDate(text);
  return date.year >= EARLIEST_YEAR && formatDate(dateOfDayNumber(dayNumber(date))) === text;
}

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/** Whether a bound is a plain date (else a date-time). */
export const isDateOnly = (text: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(text);

/**
 * The UTC instant (epoch ms) of an ISO-8601 date-time with `Z` or a `±HH:MM` offset, or null when
 * it names no real moment from 1970 on (2026-02-30, 24:00, a missing offset: a date-time without
 * one would mean a different instant in every zone). Digits past milliseconds are dropped.
 */
export function parseInstant(text: string): number | null {
  const match = DATE_TIME.exec(text);
  if (match === null) return null;
  const [, date, hour, minute, second = '0', fraction = '', z, sign, offsetHour = '0', offsetMinute = '0'] = match as unknown as (string | undefined)[];
  if (!isRealDate(date as string)) return null;
  const [h, m, sec, oh, om] = [hour, minute, second, offsetHour, offsetMinute].map(Number) as [number, number, number, number, number];
  if (h > 23 || m > 59 || sec > 59 || oh > 23 || om > 59) return null;
  const { year, month, day } = parseLocalDate(date as string);
  const offsetMs = z === undefined ? (sign === '-' ? -1 : 1) * (oh * 60 + om) * 60_000 : 0;
  const instant = Date.UTC(year, month - 1, day, h, m, sec, Number(fraction.padEnd(3, '0').slice(0, 3))) - offsetMs;
  return instant >= 0 ? instant : null;
}

/**
 * A range given as `from` and `to`. Two dates are whole local days, both included (measured in
 * days, so a comparison is the same number of days before). Otherwise [from, to): a date as
 * `from` is the start of that local day, a date as `to` the end of it (the next day's start), a
 * date-time is that instant; equal date-times are an empty range.
 */
function explicitRange(zone: string, from: string, to: string): ResolvedPeriod {
  if (isDateOnly(from) && isDateOnly(to)) {
    const first = dayNumber(parseLocalDate(from));
    return localDays(zone, first, dayNumber(parseLocalDate(to)) - first + 1);
  }
  const start = isDateOnly(from) ? startOfLocalDay(zone, parseLocalDate(from)) : (parseInstant(from) as number);
  const end = isDateOnly(to) ? startOfLocalDay(zone, dateOfDayNumber(dayNumber(parseLocalDate(to)) + 1)) : (parseInstant(to) as number);
  return { from: start, to: end, span: { unit: 'ms', length: end - start } };
}

function localDays(zone: string, first: number, length: number): ResolvedPeriod {
  return {
    from: startOfLocalDay(zone, dateOfDayNumber(first)),
    to: startOfLocalDay(zone, dateOfDayNumber(first + length)),
    span: { unit: 'days', first, length },
  };
}

function localMonths(zone: string, first: LocalDate, length: number): ResolvedPeriod {
  return { from: startOfLocalDay(zone, first), to: startOfLocalDay(zone, addMonths(first, length)), span: { unit: 'months', first, length } };
}

/** The period in the zone as it is at `now` (the client's current zone; DST included). */
export function resolvePeriod(input: PeriodInput, zone: string, now: number): ResolvedPeriod {
  if (input.from !== undefined && input.to !== undefined) return explicitRange(zone, input.from, input.to);
  const today = dayNumber(localDateAt(zone, now));
  switch (input.period) {
    case 'today': {
      const from = startOfLocalDay(zone, dateOfDayNumber(today));
      return { from, to: now, span: { unit: 'ms', length: now - from } };
    }
    case '24h':
      return { from: now - DAY_MS, to: now, span: { unit: 'ms', length: DAY_MS } };
    case '7d':
    case '30d':
    case '90d': {
      const days = Number.parseInt(input.period, 10);
      return localDays(zone, today - days + 1, days);
    }
    case '12mo': {
      const thisMonth = { ...localDateAt(zone, now), day: 1 };
      return localMonths(zone, addMonths(thisMonth, -11), 12);
    }
    case 'custom':
      // Refused without from and to (rules.ts), which are handled above.
      throw new Error('period custom without from and to');
  }
}

/** The same length immediately before `period`, measured the same way. */
export function previousPeriod(period: ResolvedPeriod, zone: string): ResolvedPeriod {
  const { span } = period;
  if (span.unit === 'days') return localDays(zone, span.first - span.length, span.length);
  if (span.unit === 'months') return localMonths(zone, addMonths(span.first, -span.length), span.length);
  return { from: period.from - span.length, to: period.from, span };
}

/** Inclusive span in days of a custom range, for its upper bound. */
export const customSpanDays = (from: string, to: string): number => dayNumber(parseLocalDate(to)) - dayNumber(parseLocalDate(from)) + 1;

/**
 * One time bucket: `key` is the bucket key every row in it has (see bucketKey), `label` what the
 * client sees, in its zone.
 */
export interface TimeBucket {
  key: number;
  label: string;
}

/** Monday-based week of a day number (1970-01-01 was a Thursday). */
export const weekOf = (day: number): number => day - ((((day + 3) % 7) + 7) % 7);
export const monthIndex = (date: LocalDate): number => date.year * 12 + date.month - 1;

/**
 * THE definition of a row's time bucket: the key of the bucket holding the instant `instantMs`
 * (epoch ms) where the zone's offset at that instant is `offsetMs`. Every engine's SQL computes
 * exactly this for each row (a property test runs each engine against it), and timeBuckets()
 * lists the keys of a period with it, so a row's bucket and the filled table always agree.
 *
 * - hour: the instant the local hour starts, taken with the offset in force at the instant
 *   (Lord Howe Island's 02:00+11:00 starts at what was still 01:30+10:30);
 * - day: the local day number (days since 1970-01-01, local calendar);
 * - week: the day number of that week's Monday;
 * - month: local year × 12 + month − 1.
 *
 * Divisions are floored: before 1970-01-01 local time (the first hours of 1970 west of UTC) the
 * day is −1, not 0. An engine whose integer division truncates must shift first.
 */
export function bucketKey(grain: TimeGrain, instantMs: number, offsetMs: number): number {
  const local = instantMs + offsetMs;
  if (grain === 'hour') return Math.floor(local / HOUR_MS) * HOUR_MS - offsetMs;
  const day = Math.floor(local / DAY_MS);
  if (grain === 'day') return day;
  if (grain === 'week') return weekOf(day);
  return monthIndex(dateOfDayNumber(day));
}

/** The local hour holding `instant`, labelled with the offset in force at the instant (see bucketKey). */
export function hourBucket(zone: string, instant: number): TimeBucket {
  const offset = offsetAt(zone, instant);
  const key = bucketKey('hour', instant, offset);
  return { key, label: `${new Date(key + offset).toISOString().slice(0, 13)}:00${formatOffset(offset)}` };
}

/** Every bucket of the grain that overlaps [from, to), in order; none for an empty range. */
export function timeBuckets(grain: TimeGrain, zone: string, from: number, to: number): TimeBucket[] {
  if (to <= from) return [];
  const last = Math.max(from, to - 1);
  const buckets: TimeBucket[] = [];
  if (grain === 'hour') {
    let bucket = hourBucket(zone, from);
    while (bucket.key <= last) {
      buckets.push(bucket);
      // Local hours are an hour apart except where a zone shifts by part of an hour; stepping by
      // an hour and re-flooring handles both.
      let next = hourBucket(zone, bucket.key + HOUR_MS);
      if (next.key <= bucket.key) next = hourBucket(zone, bucket.key + 2 * HOUR_MS);
      bucket = next;
    }
    return buckets;
  }
  const firstDay = bucketKey('day', from, offsetAt(zone, from));
  const lastDay = bucketKey('day', last, offsetAt(zone, last));
  if (grain === 'day') {
    for (let day = firstDay; day <= lastDay; day += 1) buckets.push({ key: day, label: formatDate(dateOfDayNumber(day)) });
  } else if (grain === 'week') {
    for (let week = bucketKey('week', from, offsetAt(zone, from)); week <= lastDay; week += 7) buckets.push({ key: week, label: formatDate(dateOfDayNumber(week)) });
  } else {
    const lastMonth = bucketKey('month', last, offsetAt(zone, last));
    for (let month = bucketKey('month', from, offsetAt(zone, from)); month <= lastMonth; month += 1) {
      const date = addMonths({ year: 0, month: 1, day: 1 }, month);
      buckets.push({ key: month, label: formatDate(date).slice(0, 7) });
    }
  }
  return buckets;
}
