import type { ClickHouseConnection } from '../../src/engines/clickhouse/connection.js';

/**
 * The baseline our engines are measured against: ClickHouse answering the dashboard's questions
 * the way Plausible does, raw SQL on the very chDB instance (and rows) the ClickHouse engine
 * reads. Visitors are `uniq(distinct_id)` (approximate, and no identity resolution: an anonymous
 * and a logged-in id are two visitors), days are `toDate(timestamp, <client zone>)`, the funnel is
 * `windowFunnel`. Everything else mirrors the engines, so only the way of counting differs: bots
 * and short-link clicks out, the same [from, to) period, the funnel's first step inside the period
 * and its later steps up to the window after it.
 */

/** What the four dashboard questions answer, in a shape both the engines and the baseline fill. */
export type Answer = { kind: 'rows'; rows: AnswerRow[] } | { kind: 'funnel'; reached: number[] };
export interface AnswerRow {
  /** The dimension's value (a day as YYYY-MM-DD); null for "none" (no referrer). */
  key: string | null;
  visitors: number;
  pageViews: number;
}

export interface BaselinePeriod {
  clientId: string;
  timezone: string;
  /** UTC epoch ms, [from, to). */
  from: number;
  to: number;
}

export type BaselineQuery = { kind: 'days' } | { kind: 'top'; column: 'path' | 'referrer_host'; limit: number | undefined } | { kind: 'funnel'; windowSeconds: number };

/** The rows the engines read: the client's, in the period, no bots, no short-link clicks. */
const SCOPE = `client_id = {client:String} AND NOT is_bot AND event != '$link_click'`;
const IN_PERIOD = `timestamp >= fromUnixTimestamp64Milli({from:Int64}) AND timestamp < fromUnixTimestamp64Milli({to:Int64})`;

/** The SQL and its parameters; `database` is the bench's own (a constant, not input). */
export function baselineSql(database: string, query: BaselineQuery, period: BaselinePeriod): { sql: string; params: Record<string, string | number> } {
  const params = { client: period.clientId, zone: period.timezone, from: period.from, to: period.to };
  const table = `${database}.events`;
  switch (query.kind) {
    case 'days':
      return {
        sql: `SELECT toString(toDate(timestamp, {zone:String})) AS key, uniq(distinct_id) AS visitors, countIf(event = '$pageview') AS page_views
              FROM ${table} WHERE ${SCOPE} AND ${IN_PERIOD} GROUP BY key ORDER BY key`,
        params,
      };
    case 'top':
      // visitors desc, then the dimension ascending with nulls last: the engines' order of rows.
      return {
        sql: `SELECT ${query.column} AS key, uniq(distinct_id) AS visitors, countIf(event = '$pageview') AS page_views
              FROM ${table} WHERE ${SCOPE} AND ${IN_PERIOD} GROUP BY key ORDER BY visitors DESC, key ASC NULLS LAST
              ${query.limit === undefined ? '' : `LIMIT ${Math.trunc(query.limit)}`}`,
        params,
      };
    case 'funnel': {
      // Plausible's steps of the dashboard funnel: `/` viewed (in the period), then the two events.
      // Milliseconds, as the engines: on whole seconds (Plausible's DateTime) events of one second
      // tie and may match in either order, which counted 73% more people at the last step here.
      const window = Math.trunc(query.windowSeconds);
      return {
        sql: `SELECT level, count() AS people FROM (
                SELECT distinct_id, windowFunnel(${window * 1000})(toUInt64(toUnixTimestamp64Milli(timestamp)),
                  event = '$pageview' AND path = '/' AND timestamp < fromUnixTimestamp64Milli({to:Int64}),
                  event = 'Product Added', event = 'Order Completed') AS level
                FROM ${table}
                WHERE ${SCOPE} AND timestamp >= fromUnixTimestamp64Milli({from:Int64})
                  AND timestamp < fromUnixTimestamp64Milli({to:Int64}) + INTERVAL ${window} SECOND
                GROUP BY distinct_id)
              WHERE level > 0 GROUP BY level ORDER BY level`,
        params,
      };
    }
  }
}

export const FUNNEL_STEPS = 3;

/** Runs the baseline query and shapes its answer like the engines'. */
export async function runBaseline(connection: ClickHouseConnection, database: string, query: BaselineQuery, period: BaselinePeriod): Promise<Answer> {
  const { sql, params } = baselineSql(database, query, period);
  if (query.kind === 'funnel') {
    const rows = await connection.query<{ level: number; people: number }>(sql, params);
    // windowFunnel gives each person the deepest step reached; a step counts everyone at or past it.
    const reached = Array.from({ length: FUNNEL_STEPS }, (_, step) => rows.filter((r) => Number(r.level) > step).reduce((sum, r) => sum + Number(r.people), 0));
    return { kind: 'funnel', reached };
  }
  const rows = await connection.query<{ key: string | null; visitors: number; page_views: number }>(sql, params);
  return { kind: 'rows', rows: rows.map((r) => ({ key: r.key, visitors: Number(r.visitors), pageViews: Number(r.page_views) })) };
}

/** How far `uniq` (or `windowFunnel` by id) is from the exact answer, over the exact answer's rows. */
export interface ApproximationError {
  /** Rows (or funnel steps) compared. */
  compared: number;
  /** Exact rows the approximate answer has no row for (a top 10 that differs). */
  missing: number;
  maxRelative: number;
  meanRelative: number;
}

export function approximationError(exact: Answer, approximate: Answer): ApproximationError {
  const pairs: [number, number][] = [];
  let missing = 0;
  if (exact.kind === 'funnel' && approximate.kind === 'funnel') {
    exact.reached.forEach((n, i) => pairs.push([n, approximate.reached[i] ?? 0]));
  } else if (exact.kind === 'rows' && approximate.kind === 'rows') {
    const byKey = new Map(approximate.rows.map((r) => [r.key, r.visitors]));
    for (const row of exact.rows) {
      const other = byKey.get(row.key);
      // A filled empty day is no row of a GROUP BY: zero visitors either way.
      if (other === undefined && row.visitors > 0) missing++;
      else pairs.push([row.visitors, other ?? 0]);
    }
  } else throw new Error('an exact and an approximate answer of different kinds');
  const relative = pairs.map(([e, a]) => (e === 0 ? (a === 0 ? 0 : 1) : Math.abs(a - e) / e));
  return {
    compared: pairs.length,
    missing,
    maxRelative: relative.length === 0 ? 0 : Math.max(...relative),
    meanRelative: relative.length === 0 ? 0 : relative.reduce((a, b) => a + b, 0) / relative.length,
  };
}
