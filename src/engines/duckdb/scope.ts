import { DOTTED_I, FINAL_SIGMA, foldCase, foldsFor, SIGMA, UNICODE_16_LOWER, UNICODE_16_UPPER } from '../../query/caseFold.js';
import { attributedToVisit, needsVisitSources, type EventScope, type FilterCondition } from '../../query/plan.js';
import { FILTER_DIMENSIONS, SOURCE_DIMENSIONS, type Dimension, type SourceDimension } from '../../query/schemas.js';
import type { OffsetSegment } from '../../query/zone.js';
import { resolvedPersonsSelect } from './resolvedPersons.js';

/** A value bound to a statement parameter: never spliced into the SQL text. */
export type QueryParam = string | number | boolean;

/** A read-only statement built from a plan: values only as bound parameters. */
export interface BuiltQuery {
  sql: string;
  params: QueryParam[];
}

/** Collects bound values and hands out their placeholders ($1, $2, …). */
export class Params {
  readonly values: QueryParam[] = [];
  add(value: QueryParam): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  /** An epoch-ms instant as a TIMESTAMPTZ constant, so the scan can skip row groups by their min/max. */
  instant(ms: number): string {
    return `make_timestamp(CAST(${this.add(ms)} AS BIGINT) * 1000)::TIMESTAMPTZ`;
  }
}

/** The `$pageview` event name, a constant of the schema rather than input. */
export const PAGEVIEW = "'$pageview'";

/**
 * Who the rows of `alias` are about, as a 64-bit key (personKey.ts): the person their distinct_id
 * is linked to, else the distinct_id itself. `identityJoin` supplies `i` (nothing when the client
 * has no links).
 */
export const personOf = (links: boolean, alias = 'e'): string =>
  links ? `coalesce(i.person_key, ${alias}.person_key)` : `${alias}.person_key`;

/**
 * Which of the builders' fast paths a statement uses. Each keeps the answer exactly; turned off,
 * the statement is the plain one the property tests compare them against.
 */
export interface FastPaths {
  /** Join `resolved_persons` (resolvedPersons.ts) instead of following the chains of links in the query. */
  resolvedPersons: boolean;
  /** Top-k by visitors: count exact visitors only for groups that can be in the top (report.ts). */
  topK: boolean;
  /** Read whole local days from the day rollups and roll finished ones (dayRollup.ts). */
  dayRollup: boolean;
}

export const ALL_FAST_PATHS: FastPaths = { resolvedPersons: true, topK: true, dayRollup: true };

/**
 * `persons`: each linked distinct_id of the client (placeholder `client`) with its person, both as
 * person keys: read from `resolved_persons`, kept at write time, or with `resolvedPersons` off
 * resolved here by the same chain rule. Nothing when the client has no links.
 */
export function personsCte(links: boolean, client: string, fast: FastPaths = ALL_FAST_PATHS): string[] {
  if (!links) return [];
  const from = fast.resolvedPersons ? `SELECT distinct_key, person_key FROM resolved_persons WHERE client_id = ${client}` : resolvedPersonsSelect(`l1.client_id = ${client}`);
  return [`persons AS (${from})`];
}

/** A LEFT JOIN on the client's resolved links (`personsCte`), or nothing for clients without any. */
export const identityJoin = (links: boolean, alias: string): string =>
  links ? ` LEFT JOIN persons i ON i.distinct_key = ${alias}.person_key` : '';

/** Client, period, bots and excluded events for rows of `alias`: what every scan of a scope shares. */
function periodConditions(scope: EventScope, client: string, params: Params, alias: string): string[] {
  const conditions = [`${alias}.client_id = ${client}`, `${alias}."timestamp" >= ${params.instant(scope.from)}`, `${alias}."timestamp" < ${params.instant(scope.to)}`];
  if (scope.filters.include_bots !== true) conditions.push(`NOT ${alias}.is_bot`);
  const excluded = scope.excludedEvents ?? [];
  if (excluded.length > 0) conditions.push(`${alias}.event NOT IN (${excluded.map((name) => params.add(name)).join(', ')})`);
  return conditions;
}

/**
 * `value` under the contains case rule (caseFold.ts): DuckDB's `lower` already makes `Σ` a `σ`
 * and `İ` an `i`, so only a value's own `ς` and `i̇` and the Unicode 16 capitals its `lower`
 * does not know are left to fold, each only when it can change the answer for `needle`.
 */
function folded(value: string, needle: string, params: Params): string {
  const folds = foldsFor(needle);
  let sql = `lower(${value})`;
  if (folds.unicode16) sql = `translate(${sql}, ${params.add(UNICODE_16_UPPER)}, ${params.add(UNICODE_16_LOWER)})`;
  if (folds.sigma) sql = `replace(${sql}, ${params.add(FINAL_SIGMA)}, ${params.add(SIGMA)})`;
  if (folds.dottedI) sql = `replace(${sql}, ${params.add(DOTTED_I)}, 'i')`;
  return sql;
}

/**
 * Whether `value` (an SQL expression) passes one filter. `is_not` keeps rows without a value
 * unless null is listed, as Plausible keeps "(none)"; `contains` folds both sides by one case
 * rule (caseFold.ts; the needle in JavaScript) and looks for a substring, so `%` and `_` are
 * plain characters. Every value is a parameter.
 */
export function matches(value: string, filter: FilterCondition, params: Params): string {
  if (filter.op === 'contains') {
    const needle = foldCase(filter.text);
    return `contains(${folded(value, needle, params)}, ${params.add(needle)})`;
  }
  const list = filter.values.length > 0 ? filter.values.map((v) => params.add(v)).join(', ') : '';
  if (filter.op === 'is') {
    const parts = [...(list ? [`${value} IN (${list})`] : []), ...(filter.none ? [`${value} IS NULL`] : [])];
    return `(${parts.join(' OR ')})`;
  }
  if (filter.none) return `(${value} IS NOT NULL${list ? ` AND ${value} NOT IN (${list})` : ''})`;
  return `(${value} IS NULL OR ${value} NOT IN (${list}))`;
}

/** A session's entry (first) or exit (last) page view's path, over the rows of `s` grouped by session. */
const sessionPath = (which: 'entry_path' | 'exit_path'): string =>
  `${which === 'entry_path' ? 'arg_min' : 'arg_max'}(s.path, s."timestamp") FILTER (WHERE s.event = ${PAGEVIEW})`;

/**
 * Rows of sessions whose entry / exit path passes the filter, the path taken from all the
 * session's rows in the period (bots as the scope says, other filters aside, as the entry_path
 * dimension reads it); a row without a session is its own visit: its path if a page view.
 */
function sessionPathCondition(scope: EventScope, which: 'entry_path' | 'exit_path', filter: FilterCondition, client: string, params: Params): string {
  const own = matches(`CASE WHEN e.event = ${PAGEVIEW} THEN e.path END`, filter, params);
  const sessions =
    `SELECT s.session_id FROM events s WHERE ${periodConditions(scope, client, params, 's').join(' AND ')} AND s.session_id IS NOT NULL` +
    ` GROUP BY s.session_id HAVING ${matches(sessionPath(which), filter, params)}`;
  return `(CASE WHEN e.session_id IS NULL THEN ${own} ELSE e.session_id IN (${sessions}) END)`;
}

/**
 * `v`: the source columns of each session's first row in the period, bots as the scope says. A
 * struct keeps a first row's nulls: arg_min of a bare column would skip to the first row that has
 * a value. Rows of one session at the same millisecond are either engine's pick, as for entry
 * pages: ordering by (time, uuid) made the referrer report 2× slower (1.1 s against 2.4 s over a
 * million rows).
 */
function visitSources(scope: EventScope, columns: readonly string[], client: string, params: Params): string {
  const fields = columns.map((c) => `'${c}': s.${c}`).join(', ');
  const first = `SELECT s.session_id, arg_min({${fields}}, s."timestamp") AS src FROM events s WHERE ${periodConditions(scope, client, params, 's').join(' AND ')} AND s.session_id IS NOT NULL GROUP BY s.session_id`;
  return ` LEFT JOIN (SELECT session_id, ${columns.map((c) => `src.${c} AS ${c}`).join(', ')} FROM (${first})) v ON v.session_id = e.session_id`;
}

/** The source columns a visit-attributed plan reads from `v`: its source dimensions and filters. */
const visitColumns = (scope: EventScope, dimensions: readonly Dimension[]): SourceDimension[] =>
  needsVisitSources(scope, dimensions) ? SOURCE_DIMENSIONS.filter((c) => dimensions.includes(c) || scope.filters[c] !== undefined) : [];

/**
 * A stored column of the rows of `eventsInScope`: the event's own, or with visit attribution a
 * source column of its session's first row (a row without a session is its own visit).
 */
export const columnValue = (scope: EventScope, dimensions: readonly Dimension[], column: string): string =>
  attributedToVisit(scope, dimensions, column) ? `CASE WHEN e.session_id IS NULL THEN e.${column} ELSE v.${column} END` : `e.${column}`;

/**
 * FROM and WHERE over one client's events in [from, to): the client and time range first (the
 * scan prunes row groups on them), bots out unless asked, then each filter given, on whitelisted
 * columns only. The client id is always the first parameter ($1). `dimensions`: those the caller
 * will read through `columnValue` (visit attribution joins `v` for them).
 */
export function eventsInScope(scope: EventScope, params: Params, dimensions: readonly Dimension[] = []): string {
  const client = params.add(scope.clientId);
  const conditions = periodConditions(scope, client, params, 'e');
  for (const name of FILTER_DIMENSIONS) {
    const filter = scope.filters[name];
    if (filter === undefined) continue;
    if (name === 'entry_path' || name === 'exit_path') conditions.push(sessionPathCondition(scope, name, filter, client, params));
    else conditions.push(matches(columnValue(scope, dimensions, name), filter, params));
  }
  if (scope.filters.url_contains !== undefined) conditions.push(`contains(e.url, ${params.add(scope.filters.url_contains)})`);
  const columns = visitColumns(scope, dimensions);
  const join = columns.length > 0 ? visitSources(scope, columns, client, params) : '';
  return `FROM events e${join} WHERE ${conditions.join(' AND ')}`;
}

/**
 * The zone's offset (ms) for a row at epoch-ms `ms`: one comparison per offset change in the
 * period (usually none or one), instead of converting every row through the time-zone database.
 */
export function offsetExpression(segments: OffsetSegment[], ms: string, params: Params): string {
  const [first, ...changes] = segments;
  if (first === undefined) return '0';
  if (changes.length === 0) return `CAST(${params.add(first.offset)} AS BIGINT)`;
  const branches: string[] = [];
  let current = first;
  for (const change of changes) {
    branches.push(`WHEN ${ms} < CAST(${params.add(change.from)} AS BIGINT) THEN CAST(${params.add(current.offset)} AS BIGINT)`);
    current = change;
  }
  return `CASE ${branches.join(' ')} ELSE CAST(${params.add(current.offset)} AS BIGINT) END`;
}
