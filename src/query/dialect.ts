import type { ReadQuery } from '../events/eventStore.js';
import type { FunnelPlan, ReportPlan } from './plan.js';

/** A value bound to a statement parameter: never spliced into the SQL text. */
export type QueryParam = ReadQuery['params'][number];
export type BuiltQuery = ReadQuery;

/**
 * Writes a plan as SQL for one engine. Report rows are the dimensions in plan order (a time
 * dimension as its bucket key, see period.ts), then the metrics in plan order, then the total
 * when the plan asks the database to sort and limit. A funnel is one row: persons per step.
 */
export interface QueryDialect {
  report(plan: ReportPlan): BuiltQuery;
  funnel(plan: FunnelPlan): BuiltQuery;
}
