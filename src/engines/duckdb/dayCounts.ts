import type { ReportPlan } from '../../query/plan.js';
import type { Metric } from '../../query/schemas.js';
import type { DayInterval } from './dayIntervals.js';
import { daysValues } from './dayRollup.js';
import { personKeySql } from './personKey.js';

/**
 * Day counts: for rolled days (dayRollup.ts), the day's visitors (identity links resolved), page
 * views and events, with and without bots, so the visitors-by-day chart reads one row per day
 * instead of counting distinct persons over the rollup's rows (about 650,000 for 30 days of a
 * client with 10 million events: 60–80 ms, most of the report).
 *
 * A count holds as long as the rows and the links it was counted from, and is deleted, in the
 * transaction that changes them, when either changes:
 * - events stored late into its day (their rollup rows are added in the same transaction);
 * - a link that can change the person of an id with rows in its day (the ids resolvedPersons.ts
 *   recomputes).
 * A report reads the counts present in its own snapshot and counts the other rolled days from the
 * rollup, so a count deleted meanwhile is never missed. Days are counted the first time a report
 * reads them, in the background.
 */

/** With the rollup, migration 10. */
export const CREATE_DAY_COUNTS = `
  CREATE TABLE day_counts (
    client_id VARCHAR NOT NULL,
    day_start BIGINT NOT NULL,
    day_end BIGINT NOT NULL,
    with_bots BOOLEAN NOT NULL,
    visitors BIGINT NOT NULL,
    page_views BIGINT NOT NULL,
    events BIGINT NOT NULL
  );
`;

/** Whether a plan the rollup answers (rollupAnswers) is a per-day series the counts answer. */
export const countsAnswer = (plan: ReportPlan): boolean => plan.dimensions.length === 1 && plan.dimensions[0] === 'day';

const COUNT_COLUMN: Partial<Record<Metric, string>> = { unique_visitors: 'visitors', page_views: 'page_views', events: 'events' };

/** The counts' column holding a metric (only those rollupAnswers lets through reach here). */
export function countColumn(metric: Metric): string {
  const column = COUNT_COLUMN[metric];
  if (column === undefined) throw new Error(`the day counts do not hold ${metric}`);
  return column;
}

/**
 * Counts client $1's `days`, in one transaction: only days rolled at that moment (a client deleted
 * meanwhile has none), replacing counts a failed write may have left the mirror unaware of.
 */
export function countDaysStatements(days: readonly DayInterval[], withBots: boolean): string[] {
  const bots = withBots ? '' : ' AND NOT x.is_bot';
  const rolled = `${daysValues(days)} SEMI JOIN rolled_days r ON r.client_id = $1 AND r.day_start = d.day_from AND r.day_end = d.day_to`;
  return [
    `DELETE FROM day_counts c WHERE c.client_id = $1 AND c.with_bots = ${withBots} AND EXISTS (SELECT 1 FROM ${daysValues(days)} WHERE d.day_from = c.day_start AND d.day_to = c.day_end)`,
    `INSERT INTO day_counts SELECT $1, d.day_from, d.day_to, ${withBots}, count(DISTINCT coalesce(p.person_key, x.person_key)), coalesce(sum(x.page_views), 0), coalesce(sum(x.events), 0)
     FROM ${rolled} LEFT JOIN day_rollup x ON x.client_id = $1 AND x.day_start = d.day_from AND x.day_end = d.day_to${bots}
     LEFT JOIN resolved_persons p ON p.client_id = $1 AND p.distinct_key = x.person_key
     GROUP BY d.day_from, d.day_to`,
  ];
}

const FORGOTTEN = 'RETURNING client_id, day_start, day_end, with_bots';

/** Counts of days that the events just stored (seq in [$1, $2)) fall in. */
export const FORGET_COUNTS_OF_LATE_EVENTS = `DELETE FROM day_counts c WHERE EXISTS (
  SELECT 1 FROM events e WHERE e.seq >= CAST($1 AS BIGINT) AND e.seq < CAST($2 AS BIGINT)
    AND e.client_id = c.client_id AND epoch_ms(e."timestamp") >= c.day_start AND epoch_ms(e."timestamp") < c.day_end) ${FORGOTTEN}`;

/** Counts of client $1's days where any of the ids $2 (a VARCHAR[]: those whose person new links can change) has rows. */
export const FORGET_COUNTS_OF_RELINKED = `DELETE FROM day_counts WHERE client_id = $1 AND day_start IN (
  SELECT x.day_start FROM day_rollup x WHERE x.client_id = $1 AND x.person_key IN (SELECT ${personKeySql('id')} FROM (SELECT unnest($2::VARCHAR[]) AS id))) ${FORGOTTEN}`;

export const FORGET_CLIENT_COUNTS = 'DELETE FROM day_counts WHERE client_id = $1';

/** A row of `day_counts` as the statements above return it. */
export interface CountKey {
  client: string;
  start: number;
  end: number;
  withBots: boolean;
}

/**
 * Which days are counted, kept by the store's one writer so that every count in the table is in
 * it between writes (added after the counting commits, removed after the deleting one commits):
 * links are checked against the counts only for clients that have some.
 */
export class CountedDays {
  private readonly byClient = new Map<string, Set<string>>();
  private readonly pending = new Set<string>();

  constructor(rows: Iterable<CountKey> = []) {
    this.add(rows);
  }

  private static key = (day: DayInterval, withBots: boolean): string => `${day.start}:${day.end}:${withBots}`;
  private static pendingKey = (client: string, day: DayInterval, withBots: boolean): string => `${client}\u0000${CountedDays.key(day, withBots)}`;

  add(rows: Iterable<CountKey>): void {
    for (const row of rows) {
      let keys = this.byClient.get(row.client);
      if (keys === undefined) this.byClient.set(row.client, (keys = new Set()));
      keys.add(CountedDays.key(row, row.withBots));
    }
  }

  remove(rows: Iterable<CountKey>): void {
    for (const row of rows) this.byClient.get(row.client)?.delete(CountedDays.key(row, row.withBots));
  }

  forget(client: string): void {
    this.byClient.delete(client);
  }

  has(client: string): boolean {
    return (this.byClient.get(client)?.size ?? 0) > 0;
  }

  /** The days not counted nor being counted; they are pending until `settled`. */
  claim(client: string, days: readonly DayInterval[], withBots: boolean): DayInterval[] {
    const counted = this.byClient.get(client);
    const todo = days.filter((day) => counted?.has(CountedDays.key(day, withBots)) !== true && !this.pending.has(CountedDays.pendingKey(client, day, withBots)));
    for (const day of todo) this.pending.add(CountedDays.pendingKey(client, day, withBots));
    return todo;
  }

  settled(client: string, days: readonly DayInterval[], withBots: boolean): void {
    for (const day of days) this.pending.delete(CountedDays.pendingKey(client, day, withBots));
  }
}

/** Rows a FORGET_… statement returned, as count keys. */
export const countKeysOf = (rows: unknown[][]): CountKey[] =>
  rows.map(([client, start, end, withBots]) => ({ client: String(client), start: Number(start), end: Number(end), withBots: withBots === true }));
