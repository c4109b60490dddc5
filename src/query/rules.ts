import { invalidFields, type FieldProblem } from '../http/apiError.js';
import { customSpanDays, isDateOnly, isRealDate, parseInstant, type PeriodInput, type ResolvedPeriod } from './period.js';
import { isTimeGrain } from './plan.js';
import { MAX_CUSTOM_DAYS, MAX_HOURLY_DAYS, type Dimension, type Metric, type QueryInput } from './schemas.js';

/**
 * The rules of a query body that JSON Schema cannot say clearly (one of two fields, fields that
 * depend on each other, real calendar dates). Broken rules are the same 400 as schema failures.
 */

const BOUND_MESSAGE = 'must be a date YYYY-MM-DD or a date-time with Z or an offset (such as 2024-12-25T10:00:00Z), 1970 or later';

function boundProblem(value: string): string | null {
  if (isDateOnly(value)) return isRealDate(value) ? null : 'must be a real calendar date YYYY-MM-DD, 1970 or later';
  return parseInstant(value) === null ? BOUND_MESSAGE : null;
}

/** Both bounds given as dates: the range is measured in whole days before any zone is known. */
const bothDates = (input: { from?: string; to?: string }): boolean =>
  input.from !== undefined && input.to !== undefined && isDateOnly(input.from) && isDateOnly(input.to);

function periodProblems(input: { period?: string; from?: string; to?: string }): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const field of ['from', 'to'] as const) {
    const value = input[field];
    const problem = value === undefined ? null : boundProblem(value);
    if (problem !== null) problems.push({ field, message: problem });
  }
  for (const [field, other] of [
    ['from', 'to'],
    ['to', 'from'],
  ] as const) {
    if (input[field] !== undefined) continue;
    if (input.period === 'custom') problems.push({ field, message: 'is required with period custom' });
    else if (input[other] !== undefined) problems.push({ field, message: `is required with ${other}: the two set the range together` });
  }
  if (problems.length === 0 && bothDates(input)) {
    const span = customSpanDays(input.from as string, input.to as string);
    if (span < 1) problems.push({ field: 'to', message: 'must not be before from' });
    else if (span > MAX_CUSTOM_DAYS) problems.push({ field: 'to', message: `must be at most ${MAX_CUSTOM_DAYS} days after from, counting both` });
  }
  return problems;
}

/** Periods longer than MAX_HOURLY_DAYS: an hour dimension over them would be thousands of buckets per value. */
const LONG_PERIODS = new Set(['90d', '12mo']);
const DAY_MS = 86_400_000;

function hourProblems(input: QueryInput, periodIsValid: boolean): FieldProblem[] {
  if (!(input.dimensions ?? []).includes('hour')) return [];
  const ranged = input.from !== undefined && input.to !== undefined;
  // A range with a date-time is measured once the client's zone is known (checkedRange).
  const long = ranged
    ? periodIsValid && bothDates(input) && customSpanDays(input.from as string, input.to as string) > MAX_HOURLY_DAYS
    : LONG_PERIODS.has(input.period ?? '30d');
  return long ? [hourProblem] : [];
}

const hourProblem: FieldProblem = { field: 'dimensions', message: `may hold hour only for periods of at most ${MAX_HOURLY_DAYS} days: use day, week or month` };

/**
 * The checks of a range given with a date-time, once resolved in the client's zone: `to` not
 * before `from` (equal is an empty range), at most MAX_CUSTOM_DAYS long, and at most
 * MAX_HOURLY_DAYS with an hour dimension. Ranges of two dates were checked in `checkedMetrics`.
 */
export function checkedRange(input: { from?: string; to?: string; dimensions?: Dimension[] }, period: ResolvedPeriod): void {
  if (input.from === undefined || input.to === undefined || bothDates(input)) return;
  const length = period.to - period.from;
  const problems: FieldProblem[] = [];
  if (length < 0) problems.push({ field: 'to', message: 'must not be before from' });
  else if (length > MAX_CUSTOM_DAYS * DAY_MS) problems.push({ field: 'to', message: `must be at most ${MAX_CUSTOM_DAYS} days after from` });
  else if ((input.dimensions ?? []).includes('hour') && length > MAX_HOURLY_DAYS * DAY_MS) problems.push(hourProblem);
  if (problems.length > 0) throw invalidFields(problems);
}

/** The period as resolvePeriod takes it, after checking it. */
export function checkedPeriod(input: { period?: PeriodInput['period']; from?: string; to?: string }): PeriodInput {
  const problems = periodProblems(input);
  if (problems.length > 0) throw invalidFields(problems);
  return { period: input.period ?? '30d', ...(input.from === undefined ? {} : { from: input.from }), ...(input.to === undefined ? {} : { to: input.to }) };
}

/** The metrics asked for, in request order, after checking the fields that go with them. */
export function checkedMetrics(input: QueryInput): Metric[] {
  const problems: FieldProblem[] = [];
  if (input.metric === undefined && input.metrics === undefined) problems.push({ field: 'metric', message: 'is required (or metrics)' });
  if (input.metric !== undefined && input.metrics !== undefined) problems.push({ field: 'metrics', message: 'must not be sent with metric: send one of them' });
  const metrics = input.metrics ?? (input.metric === undefined ? [] : [input.metric]);
  const conversions = metrics.includes('conversions');
  if (conversions && input.conversion_event === undefined) problems.push({ field: 'conversion_event', message: 'is required with the conversions metric' });
  if (!conversions && input.conversion_event !== undefined) problems.push({ field: 'conversion_event', message: 'is only allowed with the conversions metric' });
  const dimensions = input.dimensions ?? [];
  if (dimensions.filter(isTimeGrain).length > 1) problems.push({ field: 'dimensions', message: 'may hold at most one of hour, day, week, month' });
  const requested = new Set<string>([...metrics, ...dimensions]);
  (input.order_by ?? []).forEach((order, i) => {
    if (!requested.has(order.column)) problems.push({ field: `order_by.${i}.column`, message: 'must be one of the requested metrics or dimensions' });
  });
  const period = periodProblems(input);
  problems.push(...period, ...hourProblems(input, period.length === 0));
  if (problems.length > 0) throw invalidFields(problems);
  return metrics;
}

export type OrderBy = { column: Metric | Dimension; direction: 'asc' | 'desc' }[];

/**
 * The requested order, or the default: first metric descending (the time bucket ascending comes
 * from the caller). An entry without a direction sorts a metric descending (largest first, as one
 * reads a top list) and a dimension ascending (A to Z, oldest first).
 */
export function orderOf(input: QueryInput, metrics: Metric[]): OrderBy {
  if (input.order_by !== undefined) {
    return input.order_by.map((o) => {
      const column = o.column as Metric | Dimension;
      return { column, direction: o.direction ?? ((metrics as string[]).includes(column) ? 'desc' : 'asc') };
    });
  }
  return [{ column: metrics[0] as Metric, direction: 'desc' }];
}
