import { HIDDEN_EVENTS } from '../../query/hiddenEvents.js';
import type { ReportPlan } from '../../query/plan.js';
import { readsOnlyRolledFacts } from '../../query/rolledFacts.js';
import type { DayInterval } from './dayIntervals.js';

/**
 * Day rollups: for whole local days of a client, each (bot flag, referrer host, person key) with
 * its events and page views, so a report over 30 days groups the rollup's rows (about one per
 * person and day) instead of every event. Persons stay raw keys: identity links are resolved at
 * query time, as for events, so a link never changes a rollup.
 *
 * A rolled day is a UTC stretch [day_start, day_end) (dayIntervals.ts), and its rows are exactly
 * the client's events in it, hidden events left out:
 * - a day is rolled from the events, in one transaction that also records it in `rolled_days`;
 * - an event stored later inside a rolled day adds its rows in the transaction that stores it,
 *   so every snapshot sees a rolled day's rollup and events agree;
 * - a report reads rolled days from the rollup and the rest of its period from the events.
 *
 * Days are rolled the first time a report reads them, once finished, in the background.
 */

/** Migration 10. */
export const CREATE_DAY_ROLLUP = `
  CREATE TABLE day_rollup (
    client_id VARCHAR NOT NULL,
    day_start BIGINT NOT NULL,
    day_end BIGINT NOT NULL,
    is_bot BOOLEAN NOT NULL,
    referrer_host VARCHAR,
    person_key UBIGINT NOT NULL,
    events BIGINT NOT NULL,
    page_views BIGINT NOT NULL
  );
  CREATE TABLE rolled_days (
    client_id VARCHAR NOT NULL,
    day_start BIGINT NOT NULL,
    day_end BIGINT NOT NULL,
    rolled_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (client_id, day_start, day_end)
  );
`;

/** Whether the rollup holds what the plan reads (rolledFacts.ts), the client's zone known. */
export function rollupAnswers(plan: ReportPlan): plan is ReportPlan & { timezone: string } {
  return plan.timezone !== undefined && readsOnlyRolledFacts(plan);
}

/** Consecutive rolled days a report reads from the rollup: [start, end) is their union. */
export interface RolledBlock {
  start: number;
  end: number;
  days: DayInterval[];
  /** Set when the report reads the day counts present for these days (dayCounts.ts). */
  counts?: { withBots: boolean };
}

/** A literal `VALUES` list of day stretches, `d(day_from, day_to)` (integers checked, so inlining them is safe). */
export function daysValues(days: readonly DayInterval[]): string {
  if (!days.every((day) => Number.isSafeInteger(day.start) && Number.isSafeInteger(day.end))) throw new Error('a day bound is not an integer');
  return `(VALUES ${days.map((day) => `(${day.start}, ${day.end})`).join(', ')}) d(day_from, day_to)`;
}

/** The hidden events as a literal list: constants of the schema, not input. */
const HIDDEN_LIST = HIDDEN_EVENTS.map((name) => `'${name.replaceAll("'", "''")}'`).join(', ');

/** Rollup rows of the events `e` joined to day stretches `d(day_from, day_to)`: one definition for rolling and for late events. */
const rollupRows = (days: string, where: string): string =>
  `INSERT INTO day_rollup SELECT e.client_id, d.day_from, d.day_to, e.is_bot, e.referrer_host, e.person_key, count(*), count(*) FILTER (WHERE e.event = '$pageview')
   FROM events e JOIN ${days} ON epoch_ms(e."timestamp") >= d.day_from AND epoch_ms(e."timestamp") < d.day_to
   WHERE ${where} AND e.event NOT IN (${HIDDEN_LIST})
   GROUP BY ALL ORDER BY d.day_from`;

/** Statements that roll client $1's `day` (not rolled yet), in one transaction. */
export function rollDayStatements(day: DayInterval): string[] {
  const values = daysValues([day]);
  const inRange = `e.client_id = $1 AND e."timestamp" >= make_timestamp(${day.start}::BIGINT * 1000)::TIMESTAMPTZ AND e."timestamp" < make_timestamp(${day.end}::BIGINT * 1000)::TIMESTAMPTZ`;
  return [rollupRows(values, inRange), `INSERT INTO rolled_days SELECT $1, day_from, day_to, now() FROM ${values}`];
}

/**
 * Rollup rows of the events just stored with seq in [$1, $2) that fall in rolled days, in the
 * transaction that stores them.
 */
export const ROLL_LATE_EVENTS = rollupRows(
  '(SELECT client_id, day_start AS day_from, day_end AS day_to FROM rolled_days) d',
  'd.client_id = e.client_id AND e.seq >= CAST($1 AS BIGINT) AND e.seq < CAST($2 AS BIGINT)',
);

export const FORGET_CLIENT_ROLLUPS = ['DELETE FROM day_rollup WHERE client_id = $1', 'DELETE FROM rolled_days WHERE client_id = $1'];
