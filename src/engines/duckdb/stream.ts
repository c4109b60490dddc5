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
  if (query.filter.client_ids !== null) {
    params.push(listValue(query.filter.client_ids));
    clauses.push(`list_contains(CAST($${params.length} AS VARCHAR[]), client_id)`);
  }
  if (query.filter.events !== null) {
    params.push(listValue(query.filter.events));
    clauses.push(`list_contains(CAST($${params.length} AS VARCHAR[]), event)`);
  }
  return { sql: clauses.join(' AND '), params };
}
