/**
 * `seq` on ClickHouse. DuckDB counts commits on its one writer; ClickHouse has no sequence, and
 * several nodes write. So seq is an insert-time stamp in microseconds (Date.now() × 1000, which
 * stays below 2^53 until the year 2255) taken by this node's writer, which stores one group at a
 * time: a group's rows get consecutive numbers, each group starts above the previous one even if
 * the clock steps back, and above anything already stored when the store opened.
 *
 * Guarantee: on one node, seq follows commit order exactly (a poller that saw every event up to
 * one seq sees any later event of that node above it). Across nodes, seqs interleave by the
 * nodes' clocks: an insert that takes longer than the gap to another node's insert, or clock skew,
 * can commit an event below a seq a poller already passed. A live view reading through one node
 * sees that node's events in order; others' as soon as their stamps pass (documented in the report).
 */
export class SeqClock {
  private last: number;

  constructor(highestStored: number) {
    this.last = highestStored;
  }

  /** The first of `count` consecutive seqs, above every seq handed out before. */
  take(count: number): number {
    const first = Math.max(this.last + 1, Date.now() * 1000);
    this.last = first + Math.max(count, 1) - 1;
    return first;
  }
}
