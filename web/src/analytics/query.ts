import type { Dimension, FunnelResultView, Metric, QueryResultView } from '../../../src/query/schemas.js';
import { api } from '../api.js';

/** Calls of the query API (POST /api/v1/query and /query/funnel); its types are the server's schemas. */

export type { Dimension, Metric };
export type PeriodName = 'today' | '24h' | '7d' | '30d' | '90d' | '12mo' | 'custom';

export interface Period {
  name: PeriodName;
  /** YYYY-MM-DD in the client's timezone; only with 'custom'. */
  from: string;
  to: string;
}

export type QueryResult = QueryResultView;
export type ResultSet = Pick<QueryResultView, 'columns' | 'rows'>;
export type FunnelResult = FunnelResultView;

/** The period part of a body: `from`/`to` only with 'custom', as the API requires. */
export function periodFields(period: Period): Record<string, string> {
  return period.name === 'custom' ? { period: 'custom', from: period.from, to: period.to } : { period: period.name };
}

const DAY_MS = 86_400_000;

/** The time bucket that gives a readable chart for the period: hours for a day, months for a year. */
export function timeDimensionOf(period: Period): Dimension {
  if (period.name === 'today' || period.name === '24h') return 'hour';
  if (period.name === '12mo') return 'month';
  if (period.name !== 'custom') return 'day';
  const days = (Date.parse(period.to) - Date.parse(period.from)) / DAY_MS + 1;
  return days <= 2 ? 'hour' : days <= 120 ? 'day' : days <= 400 ? 'week' : 'month';
}

export function runQuery(body: Record<string, unknown>): Promise<QueryResult> {
  return api.post<QueryResult>('/query', body);
}

export function runFunnel(body: Record<string, unknown>): Promise<FunnelResult> {
  return api.post<FunnelResult>('/query/funnel', body);
}

/** The value of `column` in `row`, as a number (0 when absent). */
export function numberAt(result: ResultSet, row: ResultSet['rows'][number] | undefined, column: string): number {
  const index = result.columns.indexOf(column);
  const value = row?.[index];
  return typeof value === 'number' ? value : 0;
}
