import { readsOnlyRolledFacts } from '../../query/rolledFacts.js';
import type { ReportPlan } from '../../query/plan.js';
import { PAGEVIEW, type Params } from './scope.js';
import { QUARTER_HOUR_MS, quarterOf, type Tables } from './schema.js';

/**
 * How a report reads the quarter-hour rollups (schema.ts, migration 6). A quarter hour never holds
 * a local midnight, nor a change of offset, in any zone whose offsets and changes fall on quarter
 * hours, which is every zone today: so a local hour, day, week or month is a whole number of quarters,
 * and rows of a quarter all take its first instant's offset. Visitors are then counted over the
 * rollup's rows, about one per visit, instead of every event; identity links are resolved on them
 * at query time, as on events, so a link never changes a rollup.
 *
 * A report reads from the rollup the whole quarters of its period after the rollups' start, except
 * quarters where a raced copy was deleted; the rest of the period (its edges, older events, those
 * quarters) from events.
 */

/** Quarters read from the rollup: [from, to), both on quarter hours, without `raced`. */
export interface RolledQuarters {
  from: number;
  to: number;
  /** Quarters (their first instant) inside [from, to) read from events instead. */
  raced: number[];
}

/** The first instant of the quarter hour `ms` falls in (as quarterOf computes it in SQL). */
export const quarterStart = (ms: number): number => Math.floor(ms / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
const onQuarter = (ms: number): boolean => ms % QUARTER_HOUR_MS === 0;

/**
 * The stretch of `plan`'s period the rollup can answer, given the instant from which it holds every
 * event (`completeFrom`); undefined where the plan reads more than it holds, or the client's zone
 * has an offset or a change off the quarter hour inside the stretch.
 */
export function rollupSpan(plan: ReportPlan, completeFrom: number): { from: number; to: number } | undefined {
  if (!readsOnlyRolledFacts(plan, { hours: true })) return undefined;
  const from = Math.max(quarterStart(plan.from + QUARTER_HOUR_MS - 1), completeFrom);
  const to = quarterStart(plan.to);
  if (!(to > from)) return undefined;
  const [first, ...changes] = plan.offsets;
  if (first !== undefined && !onQuarter(first.offset)) return undefined;
  for (const change of changes) {
    if (!onQuarter(change.offset)) return undefined;
    if (change.from > from && change.from < to && !onQuarter(change.from)) return undefined;
  }
  return { from, to };
}

/**
 * Rows for a rolled report: `ms` (epoch ms), `person_key`, `n` (events), `pv` (page views) and
 * the referrer host when asked, from events outside `rolled` (`scoped`: eventsInScope, whose first
 * parameter is the client) and from the rollup inside it.
 */
export function rolledRows(plan: ReportPlan, rolled: RolledQuarters, tables: Tables, params: Params, scoped: string, client: string): string {
  const withHost = plan.dimensions.includes('referrer_host');
  const raced = rolled.raced.map((quarter) => {
    if (!Number.isSafeInteger(quarter) || !onQuarter(quarter)) throw new Error('a raced quarter is not a quarter hour');
    return params.int(quarter);
  });
  const racedList = raced.length === 0 ? undefined : `(${raced.join(', ')})`;
  const [from, to] = [params.instant(rolled.from), params.instant(rolled.to)];
  const outside = [`e.timestamp < ${from}`, `e.timestamp >= ${to}`, ...(racedList === undefined ? [] : [`${quarterOf('e.timestamp')} IN ${racedList}`])];
  const events =
    `SELECT toUnixTimestamp64Milli(e.timestamp) AS ms, ${withHost ? 'e.referrer_host AS referrer_host, ' : ''}e.person_key AS person_key, ` +
    `toInt64(1) AS n, toInt64(e.event = ${PAGEVIEW}) AS pv ${scoped} AND (${outside.join(' OR ')})`;
  const inside = [`q.client_id = ${client}`, `q.quarter_start >= ${params.int(rolled.from)}`, `q.quarter_start < ${params.int(rolled.to)}`];
  if (plan.filters.include_bots !== true) inside.push('NOT q.is_bot');
  if (racedList !== undefined) inside.push(`q.quarter_start NOT IN ${racedList}`);
  const quarters =
    `SELECT q.quarter_start AS ms, ${withHost ? 'q.referrer_host AS referrer_host, ' : ''}q.person_key AS person_key, q.events AS n, q.page_views AS pv ` +
    `FROM ${tables.quarterRollup} AS q WHERE ${inside.join(' AND ')}`;
  return `${events} UNION ALL ${quarters}`;
}
