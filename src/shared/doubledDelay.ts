/**
 * How long to wait after `failures` failures in a row (at least one): `firstMs`, doubled at each
 * further failure, at most `maxMs`. The exponent is bounded so that a long run of failures gives
 * `maxMs`, never Infinity times zero.
 */
export function doubledDelay(failures: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, Math.min(failures - 1, 40)));
}
