import { listValue, type DuckDBValue } from '@duckdb/node-api';
import type { StreamQuery } from '../../pubsub/eventStream.js';

/**
 * The WHERE clause of a Pub/Sub read (EventStream): events in (afterSeq, uptoSeq] in commit
 * order, narrowed by the subscription's filter. Every value is a bound parameter, the client and
 * event lists included (as DuckDB lists), so a filter never becomes SQL text. The seq range is
 * what lets DuckDB skip row groups by their min/max: events are appended in seq order, so a
 * subscription that keeps up reads only the newest row groups.
 */
export function streamWhere(query: StreamQuery): { sql: string; params: DuckDBValue[] } {
  const params: DuckDBValue[] = [Math.floor(query.afterSeq), Math.floor(query.uptoSeq)];
  const clauses = ['seq > CAST($1 AS BIGINT)', 'seq <= CAST($2 AS BIGINT)'];
  for (const [values, column] of [[query.filter.client_ids, 'client_id'], [query.filter.events, 'event']] as const) {
    if (values === null) continue;
    // An empty list (every client a filter named was deleted) matches nothing, never everything;
    // DuckDB cannot bind an empty list without an item type, so it is not bound at all.
    if (values.length === 0) {
      clauses.push('FALSE');
      continue;
    }
    params.push(listValue(values));
    clauses.push(`list_contains(CAST($${params.length} AS VARCHAR[]), ${column})`);
  }
  return { sql: clauses.join(' AND '), params };
}
