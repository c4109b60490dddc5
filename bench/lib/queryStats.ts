/**
 * The few statistics the query bench reports, kept apart so the report code reads as a report:
 * percentiles of timings (nearest rank, so p50 of 15 runs is a real run's time, not a blend) and
 * the order the sides run in.
 */

/** Nearest-rank percentile of ascending-sorted samples; NaN when there are none. */
export const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

/** Where each of `count` sides stands in run `run`: the order rotates run by run, so every side goes first, middle and last equally often. */
export function rotatedOrder(count: number, run: number): number[] {
  const order = Array.from({ length: count }, (_, i) => (i + run) % count);
  // Every other round also reversed: with three sides, each side follows each other one alike.
  return Math.floor(run / count) % 2 === 0 ? order : order.reverse();
}
