/**
 * How both engines read a Pub/Sub window (EventStream.streamEvents): in seq spans rather than over
 * the whole (afterSeq, uptoSeq]. `ORDER BY seq LIMIT n` over the whole range read and sorted every
 * waiting event (on DuckDB ~70 ms per read with 300,000 waiting, growing with the backlog), when a
 * window needs the first few hundred. A span bounded near the cursor lets the engine skip the rest
 * by the seq min/max it keeps (DuckDB zone maps, ClickHouse's seq_minmax index). A span that comes
 * back short (a filter, deleted events, a quiet hour) is followed by one four times wider from where
 * it ended, until `limit` events or uptoSeq: a subscription whose clients are rare among others'
 * events still finds them, in a few reads.
 */
import type { CommittedEvent } from '../events/eventStore.js';
import type { StreamQuery } from '../pubsub/eventStream.js';

const SPAN_GROWTH = 4;

export async function readInSpans(
  query: StreamQuery,
  limit: number,
  firstSpan: number,
  readSpan: (span: StreamQuery, limit: number) => Promise<CommittedEvent[]>,
): Promise<CommittedEvent[]> {
  const want = Math.floor(limit);
  const found: CommittedEvent[] = [];
  let after = query.afterSeq;
  let span = Math.max(1, firstSpan);
  while (found.length < want && after < query.uptoSeq) {
    const upto = Math.min(query.uptoSeq, after + span);
    found.push(...(await readSpan({ ...query, afterSeq: after, uptoSeq: upto }, want - found.length)));
    // Short of the limit: every event of the query up to `upto` is in `found`.
    after = upto;
    span *= SPAN_GROWTH;
  }
  return found;
}
