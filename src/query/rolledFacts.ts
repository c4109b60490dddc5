import { HIDDEN_EVENTS } from './hiddenEvents.js';
import type { ReportPlan } from './plan.js';
import type { Dimension, Metric } from './schemas.js';

/**
 * What both engines' rollups hold (DuckDB's day rollups, ClickHouse's quarter-hour rollups): for a
 * stretch of time, each (bot flag, referrer host, person key) with its events and page views,
 * hidden events left out. A report can read them instead of events when it asks for nothing else.
 */
const ROLLED_METRICS: ReadonlySet<Metric> = new Set<Metric>(['unique_visitors', 'page_views', 'events']);
const ROLLED_DIMENSIONS: ReadonlySet<Dimension> = new Set<Dimension>(['day', 'week', 'month', 'referrer_host']);

/**
 * Whether a rollup holds what the plan reads: unique visitors with page views or events, by day,
 * week, month or event-level referrer host (or none), no filter but the bots' switch, and the
 * usual hidden events left out. `hours`: the rollup's stretches are shorter than an hour, so it
 * answers by hour too.
 */
export function readsOnlyRolledFacts(plan: ReportPlan, options: { hours?: boolean } = {}): boolean {
  const filters = Object.entries(plan.filters).filter(([, value]) => value !== undefined);
  const excluded = plan.excludedEvents ?? [];
  return (
    plan.conversionEvent === undefined &&
    plan.metrics.includes('unique_visitors') &&
    plan.metrics.every((metric) => ROLLED_METRICS.has(metric)) &&
    plan.dimensions.every((dimension) => ROLLED_DIMENSIONS.has(dimension) || (options.hours === true && dimension === 'hour')) &&
    !(plan.attribution === 'visit' && plan.dimensions.includes('referrer_host')) &&
    filters.every(([name]) => name === 'include_bots') &&
    excluded.length === HIDDEN_EVENTS.length &&
    HIDDEN_EVENTS.every((name) => excluded.includes(name))
  );
}
