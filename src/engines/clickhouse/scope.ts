import type { EventScope } from '../../query/plan.js';
import { EQUALITY_FILTERS } from '../../query/schemas.js';
import type { OffsetSegment } from '../../query/zone.js';
import type { QueryParams } from './connection.js';
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
 * `persons`: for each linked distinct_id of the client (by its 64-bit key), the 64-bit key of the
 * end of its chain. Of several links of one distinct_id the first stored wins (lowest seq), so a
 * chain never forks; a loop ends where the hop bound lands, as in the DuckDB engine. Rows join it
 * on their stored `person_key`; no link, no row, and the row's own key is the person.
 */
export function personsCte(tables: Tables, client: string, links: boolean): string[] {
  if (!links) return [];
  const hops = Array.from({ length: MAX_IDENTITY_HOPS }, (_, i) => `l${i + 1}`);
  const joins = hops.slice(1).map((hop, i) => ` LEFT JOIN links AS ${hop} ON ${hop}.distinct_id = ${hops[i]}.person_id`);
  const person = `coalesce(${[...hops].reverse().map((hop) => `${hop}.person_id`).join(', ')})`;
  return [
    `links AS (SELECT distinct_id, argMin(person_id, seq) AS person_id FROM ${tables.identities} WHERE client_id = ${client} GROUP BY distinct_id)`,
    `persons AS (SELECT cityHash64(l1.distinct_id) AS key, cityHash64(${person}) AS person FROM links AS l1${joins.join('')})`,
  ];
}

/**
 * The person of the rows of `alias` (which carry `person_key`), given `identityJoin`. A client
 * without links skips the join: ClickHouse computes `persons` wherever it is named, and its eight
 * joins took most of a three-step funnel's time (272 ms of which 168 over 300k events).
 */
export const personOf = (alias: string, links: boolean): string => (links ? `coalesce(i.person, ${alias}.person_key)` : `${alias}.person_key`);
export const identityJoin = (alias: string, links: boolean): string => (links ? ` LEFT JOIN persons AS i ON i.key = ${alias}.person_key` : '');

/**
 * FROM and WHERE over one client's events in [from, to): client and time first (the sort key),
 * bots out unless asked, then each filter given, as equalities on whitelisted columns. The client
 * id is always the first parameter ({p1:String}), which the identity links reuse.
 */
export function eventsInScope(scope: EventScope, params: Params, tables: Tables): string {
  const client = params.add(scope.clientId);
  const conditions = [`e.client_id = ${client}`, `e.timestamp >= ${params.instant(scope.from)}`, `e.timestamp < ${params.instant(scope.to)}`];
  if (scope.filters.include_bots !== true) conditions.push('NOT e.is_bot');
  for (const column of EQUALITY_FILTERS) {
    const value = scope.filters[column];
    if (value !== undefined) conditions.push(`e.${column} = ${params.add(value)}`);
  }
  if (scope.filters.url_contains !== undefined) conditions.push(`position(e.url, ${params.add(scope.filters.url_contains)}) > 0`);
  return `FROM ${tables.events} AS e WHERE ${conditions.join(' AND ')}`;
}

/** The zone's offset (ms) at epoch-ms `ms`: one comparison per offset change in the period. */
export function offsetExpression(segments: OffsetSegment[], ms: string, params: Params): string {
  const [first, ...changes] = segments;
  if (first === undefined) return 'toInt64(0)';
  if (changes.length === 0) return params.int(first.offset);
  const branches: string[] = [];
  let current = first;
  for (const change of changes) {
    branches.push(`${ms} < ${params.int(change.from)}, ${params.int(current.offset)}`);
    current = change;
  }
  return `multiIf(${branches.join(', ')}, ${params.int(current.offset)})`;
}
