import { DOTTED_I, FINAL_SIGMA, foldCase, foldsFor, SIGMA } from '../../query/caseFold.js';
import { attributedToVisit, needsVisitSources, type EventScope, type FilterCondition } from '../../query/plan.js';
import { FILTER_DIMENSIONS, SOURCE_DIMENSIONS, type Dimension, type SourceDimension } from '../../query/schemas.js';
import type { OffsetSegment } from '../../query/zone.js';
import { QUERY_SETTINGS, type QueryParams } from './connection.js';
import type { Tables } from './schema.js';

/** Collects bound values and hands out ClickHouse's typed placeholders ({p1:String}, …). */
export class Params {
  readonly values: QueryParams = {};
  private count = 0;
  add(value: string | number, type: 'String' | 'Int64' | 'UInt64' = 'String'): string {
    this.count += 1;
    const name = `p${this.count}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
  int(value: number): string {
    return this.add(value, 'Int64');
  }
  /** An epoch-ms instant as a DateTime64 constant, so the primary key's time part prunes granules. */
  instant(ms: number): string {
    return `fromUnixTimestamp64Milli(${this.int(ms)}, 'UTC')`;
  }
}

export const PAGEVIEW = "'$pageview'";

/** Links followed from a distinct_id to its person, as the DuckDB engine follows them. */
export const MAX_IDENTITY_HOPS = 8;

/**
 * How identity links are resolved in a statement. `materialize`: the server takes `AS MATERIALIZED`
 * CTEs (computed once per statement; probed at open, see clickhouseEventStore.ts). Without it a
 * CTE is inlined wherever it is named: the links step was computed for each of the 8 hops.
 * `fewLinks`: the client has at most MAP_MAX_LINKS links, so rows may look persons up in arrays
 * (personLookup); absent, it has more, or it is not known.
 */
export interface IdentityOptions {
  links: boolean;
  materialize: boolean;
  fewLinks?: boolean;
}

/**
 * Up to this many stored links, rows read from events look their persons up in arrays
 * (personLookup); above it they join them. The server writes the arrays into the plan wherever the
 * lookup appears, so planning grows with the links: on 3M events, the lookup answered top pages in
 * 271–278 ms against 298–335 for the join with 40,000 links, 302–390 against 351–433 with 100,000,
 * and 426–446 against 416–444 with 200,000, where a funnel was slower (688–773 against 651–742);
 * with 5M links a funnel walk ran out of memory.
 */
export const MAP_MAX_LINKS = 100_000;

/**
 * Which of a distinct_id's stored links wins, in reports and in the links read back alike: the
 * first stored (lowest seq), and of two stored at one seq by two nodes, the lower person_id.
 */
export const FIRST_LINK_ORDER = 'seq, person_id';

/**
 * `persons`: for each linked distinct_id of the client (by its 64-bit key), the 64-bit key of the
 * end of its chain. Of several links of one distinct_id the first in FIRST_LINK_ORDER wins, so a
 * chain never forks; a loop ends where the hop bound lands, as in the DuckDB engine. Rows find
 * their person through `personLookup`; a key without a link is its own person.
 *
 * The hops join 64-bit keys (cityHash64 of the ids, as `person_key` is), not strings: on 40,000
 * links 218 ms against 354 (and 46 ms with `links` materialized).
 */
export function personsCte(tables: Tables, client: string, identity: IdentityOptions): string[] {
  if (!identity.links) return [];
  // Each distinct_id's first link, taken in the table's own order (client, distinct_id) rather than
  // grouped: 5.6 ms against 8.8 for argMin over the bench's 40,000 links (p50 of 15 alternated runs).
  const links =
    `SELECT cityHash64(distinct_id) AS key, toNullable(cityHash64(person_id)) AS person FROM ${tables.identities} WHERE client_id = ${client}` +
    ` ORDER BY distinct_id, ${FIRST_LINK_ORDER} LIMIT 1 BY distinct_id`;
  if (identity.materialize) return [`links AS MATERIALIZED (${links})`, ...doubledHops()];
  const hops = Array.from({ length: MAX_IDENTITY_HOPS }, (_, i) => `l${i + 1}`);
  const joins = hops.slice(1).map((hop, i) => ` LEFT JOIN links AS ${hop} ON ${hop}.key = ${hops[i]}.person`);
  const person = `coalesce(${[...hops].reverse().map((hop) => `${hop}.person`).join(', ')})`;
  return [`links AS (${links})`, `persons AS (SELECT l1.key AS key, assumeNotNull(${person}) AS person FROM links AS l1${joins.join('')})`];
}

/**
 * The hops by doubling, where each step is computed once (materialized): from each linked key,
 * where 2 hops lead, then 4, then 8, each step joining the one before to itself (a key whose
 * target has no link of its own stays where it is: the end of its chain). Three joins instead of
 * seven, the same end for every key, loops included: 23 ms against 33 for the persons of 40,000
 * links.
 */
function doubledHops(): string[] {
  const steps = Math.log2(MAX_IDENTITY_HOPS);
  if (!Number.isInteger(steps)) throw new Error('the hop bound must be a power of two');
  const names = Array.from({ length: steps + 1 }, (_, i) => (i === 0 ? 'links' : i === steps ? 'persons' : `hops${2 ** i}`));
  return names.slice(1).map((name, i) => {
    const person = `coalesce(b.person, a.person)`;
    return `${name} AS MATERIALIZED (SELECT a.key AS key, ${name === 'persons' ? `assumeNotNull(${person})` : person} AS person FROM ${names[i]} AS a LEFT JOIN ${names[i]} AS b ON b.key = a.person)`;
  });
}

/**
 * A statement's own SETTINGS clause with `extra` (none: no clause). It repeats the connection's
 * settings: in chDB a statement's own clause replaces them.
 */
const statementSettings = (extra: Record<string, number>): string =>
  Object.keys(extra).length === 0 ? '' : ` SETTINGS ${Object.entries({ ...QUERY_SETTINGS, ...extra }).map(([k, v]) => `${k} = ${v}`).join(', ')}`;

/** The SETTINGS clause a statement resolving identity links this way needs (none without materialized CTEs). */
export const identitySettingsClause = (identity: IdentityOptions): string =>
  statementSettings(identity.links && identity.materialize ? { enable_materialized_cte: 1 } : {});

/** How a statement finds the person of each of its rows (which carry `person_key`). */
export interface PersonLookup {
  /** What the WITH list needs for it (nothing for a client without links). */
  ctes: string[];
  /** The person of the rows of `alias`. */
  of(alias: string): string;
  /** What follows `FROM … AS alias` for `of` to work: a join, or nothing. */
  join(alias: string): string;
}

/**
 * The rows' persons for a client with links (`identity.links`; without, a row's key is its
 * person, and `persons` is not computed).
 *
 * - A lookup, where the rows are read from events (`rowsFromEvents`) and the client has few links
 *   (`identity.fewLinks`): `persons` held as two arrays, one scalar per statement, and each row's
 *   key looked up with transform(). Over the 3.3M rows of the bench's top pages 252 ms against 279
 *   for the join, its funnel 175 against 183 (p50 of 15 alternated runs), as the join carries
 *   every row through a Nullable column.
 * - Otherwise a LEFT JOIN of `persons`. The quarter-hour rollups' fewer rows do not earn back
 *   transform()'s start (about 4 ms for 40,000 links): referrers 71 ms against 76, days 57 against
 *   59 (p50 of 21 alternated runs). Nor do many links (MAP_MAX_LINKS).
 */
export function personLookup(tables: Tables, client: string, identity: IdentityOptions, rowsFromEvents: boolean): PersonLookup {
  if (!identity.links) return { ctes: [], of: (alias) => `${alias}.person_key`, join: () => '' };
  const ctes = personsCte(tables, client, identity);
  if (!rowsFromEvents || identity.fewLinks !== true) {
    return { ctes, of: (alias) => `coalesce(i.person, ${alias}.person_key)`, join: (alias) => ` LEFT JOIN persons AS i ON i.key = ${alias}.person_key` };
  }
  return {
    ctes: [...ctes, '(SELECT (groupArray(key), groupArray(person)) FROM persons) AS person_map'],
    of: (alias) => `transform(${alias}.person_key, person_map.1, person_map.2, ${alias}.person_key)`,
    join: () => '',
  };
}

/** Client, period, bots and excluded events for rows of `alias`: what every scan of a scope shares. */
function periodConditions(scope: EventScope, client: string, params: Params, alias: string): string[] {
  const conditions = [`${alias}.client_id = ${client}`, `${alias}.timestamp >= ${params.instant(scope.from)}`, `${alias}.timestamp < ${params.instant(scope.to)}`];
  if (scope.filters.include_bots !== true) conditions.push(`NOT ${alias}.is_bot`);
  const excluded = scope.excludedEvents ?? [];
  if (excluded.length > 0) conditions.push(`${alias}.event NOT IN (${excluded.map((name) => params.add(name)).join(', ')})`);
  return conditions;
}

/**
 * `value` under the contains case rule (caseFold.ts). Not positionCaseInsensitiveUTF8: it
 * compares letter by letter in its own way (`ǅ` does not find `Ǆ`, `istanbul` not `İstanbul`).
 * `lowerUTF8` lowers as JavaScript does (Unicode 16 included), so only `ς` and `i̇` are left to
 * fold, each only when it can change the answer for `needle`.
 */
function folded(value: string, needle: string, params: Params): string {
  const folds = foldsFor(needle);
  let sql = `lowerUTF8(${value})`;
  if (folds.sigma) sql = `replaceAll(${sql}, ${params.add(FINAL_SIGMA)}, ${params.add(SIGMA)})`;
  if (folds.dottedI) sql = `replaceAll(${sql}, ${params.add(DOTTED_I)}, 'i')`;
  return sql;
}

/**
 * Whether `value` passes one filter, as the DuckDB engine's `matches` decides (nulls kept by
 * `is_not` unless listed; `contains` a substring under one case rule, `%` and `_` plain). NULL IN
 * (…) is not true here either, so a null is matched only by the explicit IS NULL.
 */
export function matches(value: string, filter: FilterCondition, params: Params): string {
  if (filter.op === 'contains') {
    const needle = foldCase(filter.text);
    return `ifNull(position(${folded(value, needle, params)}, ${params.add(needle)}) > 0, false)`;
  }
  const list = filter.values.length > 0 ? filter.values.map((v) => params.add(v)).join(', ') : '';
  if (filter.op === 'is') {
    const parts = [...(list ? [`ifNull(${value} IN (${list}), false)`] : []), ...(filter.none ? [`isNull(${value})`] : [])];
    return `(${parts.join(' OR ')})`;
  }
  if (filter.none) return `(isNotNull(${value})${list ? ` AND ifNull(${value} NOT IN (${list}), false)` : ''})`;
  return `(isNull(${value}) OR ifNull(${value} NOT IN (${list}), false))`;
}

/** Nothing when the session has no page view with a path (as DuckDB's arg_min skips NULL). */
function sessionPath(which: 'entry_path' | 'exit_path'): string {
  const viewWithPath = `s.event = ${PAGEVIEW} AND s.path IS NOT NULL`;
  return `if(countIf(${viewWithPath}) = 0, NULL, ${which === 'entry_path' ? 'argMinIf' : 'argMaxIf'}(s.path, s.timestamp, ${viewWithPath}))`;
}

/** Rows of sessions whose entry / exit path passes the filter (see the DuckDB engine's scope.ts). */
function sessionPathCondition(scope: EventScope, which: 'entry_path' | 'exit_path', filter: FilterCondition, client: string, params: Params, tables: Tables): string {
  const own = matches(`if(e.event = ${PAGEVIEW}, e.path, NULL)`, filter, params);
  const sessions =
    `SELECT s.session_id FROM ${tables.events} AS s WHERE ${periodConditions(scope, client, params, 's').join(' AND ')} AND s.session_id IS NOT NULL` +
    ` GROUP BY s.session_id HAVING ${matches(sessionPath(which), filter, params)}`;
  return `if(isNull(e.session_id), ${own}, ifNull(e.session_id IN (${sessions}), false))`;
}

/**
 * `v`: the source columns of each session's first row in the period, as the DuckDB engine reads
 * them (ties at one millisecond are either engine's pick). The tuple keeps the first row's nulls
 * (argMin skips a null argument).
 */
function visitSources(scope: EventScope, columns: readonly string[], client: string, params: Params, tables: Tables): string {
  const first = `argMin(tuple(${columns.map((c) => `s.${c}`).join(', ')}), s.timestamp)`;
  const fields = columns.map((c, i) => `tupleElement(${first}, ${i + 1}) AS v_${c}`);
  return (
    ` LEFT JOIN (SELECT s.session_id AS session_id, ${fields.join(', ')} FROM ${tables.events} AS s` +
    ` WHERE ${periodConditions(scope, client, params, 's').join(' AND ')} AND s.session_id IS NOT NULL GROUP BY s.session_id) AS v ON v.session_id = e.session_id`
  );
}

const visitColumns = (scope: EventScope, dimensions: readonly Dimension[]): SourceDimension[] =>
  needsVisitSources(scope, dimensions) ? SOURCE_DIMENSIONS.filter((c) => dimensions.includes(c) || scope.filters[c] !== undefined) : [];

/** A stored column of the rows of `eventsInScope`: the event's own, or its session's first row's (visit attribution). */
export const columnValue = (scope: EventScope, dimensions: readonly Dimension[], column: string): string =>
  attributedToVisit(scope, dimensions, column) ? `if(isNull(e.session_id), e.${column}, v.v_${column})` : `e.${column}`;

/**
 * FROM and WHERE over one client's events in [from, to): client and time first (the sort key),
 * bots out unless asked, then each filter given, on whitelisted columns. The client id is always
 * the first parameter ({p1:String}), which the identity links reuse. `dimensions`: those the
 * caller reads through `columnValue`.
 */
export function eventsInScope(scope: EventScope, params: Params, tables: Tables, dimensions: readonly Dimension[] = []): string {
  const client = params.add(scope.clientId);
  const conditions = periodConditions(scope, client, params, 'e');
  for (const name of FILTER_DIMENSIONS) {
    const filter = scope.filters[name];
    if (filter === undefined) continue;
    if (name === 'entry_path' || name === 'exit_path') conditions.push(sessionPathCondition(scope, name, filter, client, params, tables));
    else conditions.push(matches(columnValue(scope, dimensions, name), filter, params));
  }
  if (scope.filters.url_contains !== undefined) conditions.push(`position(e.url, ${params.add(scope.filters.url_contains)}) > 0`);
  const columns = visitColumns(scope, dimensions);
  const join = columns.length > 0 ? visitSources(scope, columns, client, params, tables) : '';
  return `FROM ${tables.events} AS e${join} WHERE ${conditions.join(' AND ')}`;
}

/** The zone's offset (ms) at epoch-ms `ms`: one comparison per offset change in the period. */
export function offsetExpression(segments: OffsetSegment[], ms: string, params: Params): string {
  const [first, ...changes] = segments;
  if (first === undefined) return 'toInt64(0)';
  // One offset is a constant. Carried as a constant column through the session join, the server
  // (chDB 3.4) sometimes answered it as 0 for rows without a session: hours of a half-hour zone
  // came out on UTC hours (the parity property test, seed 155467753). As a full column it holds.
  if (changes.length === 0) return `materialize(${params.int(first.offset)})`;
  const branches: string[] = [];
  let current = first;
  for (const change of changes) {
    branches.push(`${ms} < ${params.int(change.from)}, ${params.int(current.offset)}`);
    current = change;
  }
  return `multiIf(${branches.join(', ')}, ${params.int(current.offset)})`;
}
