import { doubledDelay } from '../../shared/doubledDelay.js';

/**
 * How long a client's background rollup work waits after a failure. What makes a roll fail (a full
 * disk, a file DuckDB cannot write, a day whose statement fails) usually makes the next fail too,
 * and every report would otherwise queue its days again, each failing with a warning. Reports
 * never wait for rollups, so pausing them costs only speed: the paused days are read from events,
 * as before they were rolled. Times are of a monotonic clock (ms), not of the wall clock.
 */
export class RollupPause {
  private failures = 0;
  private until = Number.NEGATIVE_INFINITY;

  /** The first pause, doubled at each failure in a row up to `longestMs`. */
  constructor(
    private readonly firstMs = 60_000,
    private readonly longestMs = 3_600_000,
  ) {}

  /** Whether background work may start at `now` (ms of the monotonic clock the store gives it). */
  allows(now: number): boolean {
    return now >= this.until;
  }

  /** Background work failed at `now`: answers how long new work now waits (ms). */
  failed(now: number): number {
    this.failures += 1;
    const wait = doubledDelay(this.failures, this.firstMs, this.longestMs);
    this.until = now + wait;
    return wait;
  }
}
