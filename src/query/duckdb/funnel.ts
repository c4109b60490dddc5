import type { BuiltQuery } from '../dialect.js';
import type { FunnelPlan } from '../plan.js';
import { eventsInScope, PAGEVIEW, Params, personOf } from './scope.js';

/**
 * A funnel as DuckDB SQL. `base` keeps only rows matching some step, with a flag per step. Then,
 * step by step, each start (a step-1 event) is carried to the earliest matching event strictly
 * after the one reached so far and within the window of the start: the earliest next event is
 * never a worse choice than a later one, so this finds whether any ordered path exists. A person
 * counts at step k when any of their starts reaches it.
 */
export function duckdbFunnel(plan: FunnelPlan): BuiltQuery {
  const params = new Params();
  const scoped = eventsInScope(plan, params);
  const matches = plan.steps.map((step) =>
    'event' in step ? `(e.event = ${params.add(step.event)})` : `(e.event = ${PAGEVIEW} AND e.path = ${params.add(step.path)})`,
  );
  // The step events as one IN list too: a filter the scan applies before the steps' exact tests.
  const names = [...new Set(plan.steps.map((step) => ('event' in step ? params.add(step.event) : PAGEVIEW)))];
  const window = params.add(plan.windowMs);
  const flags = matches.map((m, i) => `${m} AS s${i + 1}`).join(', ');
  const ctes = [
    `base AS (SELECT ${personOf(plan)} AS person, epoch_ms(e."timestamp") AS ms, ${flags} ${scoped} AND e.event IN (${names.join(', ')}) AND (${matches.join(' OR ')}))`,
    'f1 AS (SELECT DISTINCT person, ms AS t1, ms AS t FROM base WHERE s1)',
  ];
  for (let k = 2; k <= plan.steps.length; k += 1) {
    ctes.push(
      `f${k} AS (SELECT f.person, f.t1, min(b.ms) AS t FROM f${k - 1} f JOIN base b ON b.person = f.person AND b.s${k} AND b.ms > f.t AND b.ms <= f.t1 + CAST(${window} AS BIGINT) GROUP BY f.person, f.t1)`,
    );
  }
  const counts = plan.steps.map((_, i) => `(SELECT count(DISTINCT person) FROM f${i + 1})`);
  return { sql: `WITH ${ctes.join(', ')} SELECT ${counts.join(', ')}`, params: params.values };
}
