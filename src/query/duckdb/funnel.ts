import type { BuiltQuery } from '../dialect.js';
import type { FunnelPlan } from '../plan.js';
import { eventsInScope, PAGEVIEW, Params, personOf, personsCte, withKeyword } from './scope.js';

/**
 * A funnel as DuckDB SQL. `base` keeps only rows matching some step, with a flag per step. Then,
 * step by step, each start (a step-1 event inside the period) is carried to the earliest matching
 * event not before the one reached so far and within the window of the start: the earliest next
 * event is never a worse choice than a later one, so this finds whether any ordered path exists.
 * A person counts at step k when any of their starts reaches it.
 *
 * Later steps may fall after the period's end (up to the window): a visitor who starts on the
 * last evening and converts the next morning converted. Events at the same millisecond count in
 * order, but no event row serves two steps: each start carries the rows it used (ties between
 * candidate rows of the same millisecond go to the smallest uuid).
 */
export function duckdbFunnel(plan: FunnelPlan): BuiltQuery {
  const params = new Params();
  // $1 is the client id (eventsInScope adds it first); the period is stretched by the window for later steps.
  const scoped = eventsInScope({ ...plan, to: plan.to + plan.windowMs }, params);
  const persons = personsCte(plan, '$1');
  const matches = plan.steps.map((step) =>
    'event' in step ? `(e.event = ${params.add(step.event)})` : `(e.event = ${PAGEVIEW} AND e.path = ${params.add(step.path)})`,
  );
  // The step events as one IN list too: a filter the scan applies before the steps' exact tests.
  const names = [...new Set(plan.steps.map((step) => ('event' in step ? params.add(step.event) : PAGEVIEW)))];
  const window = params.add(plan.windowMs);
  const periodEnd = params.add(plan.to);
  const flags = matches.map((m, i) => `${m} AS s${i + 1}`).join(', ');
  const ctes = [
    ...persons,
    `base AS (SELECT ${personOf(plan)} AS person, epoch_ms(e."timestamp") AS ms, e.uuid AS rid, ${flags} ${scoped} AND e.event IN (${names.join(', ')}) AND (${matches.join(' OR ')}))`,
    `f1 AS (SELECT person, ms AS t1, ms AS t, [rid] AS used FROM base WHERE s1 AND ms < CAST(${periodEnd} AS BIGINT))`,
  ];
  for (let k = 2; k <= plan.steps.length; k += 1) {
    ctes.push(
      `f${k} AS (SELECT f.person, f.t1, min(b.ms) AS t, list_append(f.used, arg_min(b.rid, (b.ms, b.rid))) AS used FROM f${k - 1} f` +
        ` JOIN base b ON b.person = f.person AND b.s${k} AND b.ms >= f.t AND NOT list_contains(f.used, b.rid) AND b.ms <= f.t1 + CAST(${window} AS BIGINT)` +
        ` GROUP BY f.person, f.t1, f.used)`,
    );
  }
  const counts = plan.steps.map((_, i) => `(SELECT count(DISTINCT person) FROM f${i + 1})`);
  return { sql: `${withKeyword(ctes)} ${ctes.join(', ')} SELECT ${counts.join(', ')}`, params: params.values };
}
