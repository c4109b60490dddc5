import type { FunnelPlan } from '../../query/plan.js';
import type { FunnelStepInput } from '../../query/schemas.js';
import { ALL_FAST_PATHS, type BuiltQuery, eventsInScope, type FastPaths, identityJoin, PAGEVIEW, Params, personOf, personsCte } from './scope.js';

/** The key a step's rows are matched by: two steps with the same key match the same rows. */
const stepKey = (step: FunnelStepInput): string => ('event' in step ? `event\u0000${step.event}` : `path\u0000${step.path}`);

/**
 * Whether one event row can match two steps: a step repeated, or any page view and a path's page
 * view. Steps that cannot (the usual funnel: a page, then named events) have disjoint rows, so no
 * row can serve twice and the uuid lists that prevent it are not needed: carrying and grouping by
 * those lists took a quarter of a 3-step funnel's time over 30 days of 10 million events.
 */
export function stepsCanShareRows(steps: FunnelStepInput[]): boolean {
  const keys = steps.map(stepKey);
  const anyPageView = steps.some((step) => 'event' in step && step.event === '$pageview');
  return new Set(keys).size < keys.length || (anyPageView && steps.some((step) => 'path' in step));
}

/**
 * A funnel as DuckDB SQL. `raw` keeps only rows matching some step, with a flag per step; a row
 * matching two different steps (an event step `$pageview` and a path step) comes once for each,
 * with that step's flag (`base` folds them back into one row when rows are tracked, see below).
 * Then, step by step, each start (a step-1 event inside the period) is carried to the earliest
 * matching event not before the one reached so far and within the window of the start: the
 * earliest next event is never a worse choice than a later one, so this finds whether any ordered
 * path exists. A person counts at step k when any of their starts reaches it.
 *
 * Later steps may fall after the period's end (up to the window): a visitor who starts on the
 * last evening and converts the next morning converted. Events at the same millisecond count in
 * order, but no event row serves two steps. Only steps that can match the same row need a check
 * for it (see `stepsCanShareRows`): then each start carries the rows it used. Of the rows tied
 * for earliest, a step takes the one that could serve the fewest later steps, then the smallest
 * uuid: of /a and /b viewed at the same instant, "any page view" takes /b when /a is a later
 * step. That choice is right whenever the tied rows' later steps nest (a step repeated, any page
 * view beside one page); a funnel with two different pages after "any page view", all viewed at
 * one instant, could in rare cases need the other choice.
 */
export function duckdbFunnel(plan: FunnelPlan, links: boolean, fast: FastPaths = ALL_FAST_PATHS): BuiltQuery {
  const params = new Params();
  // The period is stretched by the window for later steps.
  const scope = { ...plan, to: plan.to + plan.windowMs };
  // One scan per distinct step, each with plain equalities the scan applies before reading the
  // other columns (one scan with an OR of all steps read every page view's columns: a fifth slower).
  const keys = plan.steps.map(stepKey);
  const tracked = stepsCanShareRows(plan.steps);
  const branches = [...new Set(keys)].map((key) => {
    const step = plan.steps[keys.indexOf(key)] as FunnelPlan['steps'][number];
    // $1 is the client id: the first scope added (the identity links below use it).
    const scoped = eventsInScope(scope, params);
    const match = 'event' in step ? `e.event = ${params.add(step.event)}` : `e.event = ${PAGEVIEW} AND e.path = ${params.add(step.path)}`;
    const flags = keys.map((other, i) => `${other === key ? 'TRUE' : 'FALSE'} AS s${i + 1}`).join(', ');
    return `SELECT e.person_key, epoch_ms(e."timestamp") AS ms${tracked ? ', e.uuid AS rid' : ''}, ${flags} ${scoped} AND ${match}`;
  });
  const persons = personsCte(links, '$1', fast);
  const window = params.add(plan.windowMs);
  const periodEnd = params.add(plan.to);
  // Tracked, `base` holds one row per event with every step it matches (a row of `raw` per step),
  // so a step can see which later ones a row could serve.
  const flags = plan.steps.map((_, i) => (tracked ? `bool_or(r.s${i + 1}) AS s${i + 1}` : `r.s${i + 1}`)).join(', ');
  // How many steps after k the row could serve: among rows tied for step k, the fewest is the safest to take.
  const laterSteps = (k: number): string => (k < plan.steps.length ? plan.steps.slice(k).map((_, i) => `b.s${k + i + 1}::INTEGER`).join(' + ') : '0');
  const ctes = [
    ...persons,
    `raw AS (${branches.join(' UNION ALL ')})`,
    `base AS (SELECT ${personOf(links, 'r')} AS person, r.ms${tracked ? ', r.rid' : ''}, ${flags} FROM raw r${identityJoin(links, 'r')}${tracked ? ' GROUP BY ALL' : ''})`,
    `f1 AS (SELECT person, ms AS t1, ms AS t${tracked ? ', [rid] AS used' : ''} FROM base WHERE s1 AND ms < CAST(${periodEnd} AS BIGINT))`,
  ];
  // With tracking, each start carries the rows it used and takes the earliest unused one.
  const unused = tracked ? ' AND NOT list_contains(f.used, b.rid)' : '';
  for (let k = 2; k <= plan.steps.length; k += 1) {
    const used = tracked ? `, list_append(f.used, arg_min(b.rid, (b.ms, ${laterSteps(k)}, b.rid))) AS used` : '';
    ctes.push(
      `f${k} AS (SELECT f.person, f.t1, min(b.ms) AS t${used} FROM f${k - 1} f` +
        ` JOIN base b ON b.person = f.person AND b.s${k} AND b.ms >= f.t${unused} AND b.ms <= f.t1 + CAST(${window} AS BIGINT)` +
        ` GROUP BY f.person, f.t1${tracked ? ', f.used' : ''})`,
    );
  }
  const counts = plan.steps.map((_, i) => `(SELECT count(DISTINCT person) FROM f${i + 1})`);
  return { sql: `WITH ${ctes.join(', ')} SELECT ${counts.join(', ')}`, params: params.values };
}
