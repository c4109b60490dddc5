import type { StreamQuery } from '../../pubsub/eventStream.js';
import type { QueryParams } from './connection.js';

/** The settle window when none is configured (MYTHIC_PUBSUB_SETTLE_MS). */
export const DEFAULT_SETTLE_MS = 5000;

/**
 * The WHERE clause of a Pub/Sub read (EventStream): events in (afterSeq, uptoSeq], narrowed by
 * the subscription's filter, every value a typed parameter bound by ClickHouse. The seq range is
 * served by the `seq_minmax` skip index (migration 5): the table is sorted by client and day, not
 * by seq, so without it every read of a subscription would scan the whole table.
 */
export function streamWhere(query: StreamQuery): { sql: string; params: QueryParams } {
  const params: QueryParams = { after: Math.max(0, Math.floor(query.afterSeq)), upto: Math.max(0, Math.floor(query.uptoSeq)) };
  const clauses = ['seq > {after:UInt64}', 'seq <= {upto:UInt64}'];
  if (query.filter.client_ids !== null) {
    params.clients = query.filter.client_ids;
    clauses.push('client_id IN {clients:Array(String)}');
  }
  if (query.filter.events !== null) {
    params.events = query.filter.events;
    clauses.push('event IN {events:Array(String)}');
  }
  return { sql: clauses.join(' AND '), params };
}

/**
 * The horizon of a ClickHouse reader at `nowMs` (see EventStream.streamHorizon). seq is a stamp
 * taken just before an insert (seq.ts), so an event that commits after this call carries a seq
 * at least (its commit time − its insert's duration) × 1000. With settle longer than any insert
 * (plus the clock skew between nodes, and the replication lag when nodes read different
 * replicas), every such event lands above (now − settle) × 1000.
 * This node's own insert in flight is known exactly: the horizon stays below its first seq,
 * however short the window, so one node is never wrong and the window only covers the others.
 */
export function clickhouseHorizon(nowMs: number, settleMs: number, firstSeqInFlight: number | undefined): number {
  const byClock = Math.max(0, (nowMs - settleMs) * 1000);
  return firstSeqInFlight === undefined ? byClock : Math.min(byClock, firstSeqInFlight - 1);
}
