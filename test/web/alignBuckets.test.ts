import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignToBuckets } from '../../web/src/analytics/alignBuckets.js';

describe('the previous period on the dashboard chart', () => {
  it('is matched to the current buckets by position from the start of each period', () => {
    assert.deepEqual(alignToBuckets(3, [5, 6, 7]), [5, 6, 7]);
  });

  it('leaves a gap, not a zero, where the previous period is shorter (a DST day of 23 hours against 24)', () => {
    const previous = Array.from({ length: 23 }, (_, hour) => hour + 1);
    const aligned = alignToBuckets(24, previous);
    assert.equal(aligned.length, 24);
    assert.deepEqual(aligned.slice(0, 23), previous);
    assert.equal(aligned[23], null);
  });

  it('drops the buckets of a longer previous period (a 25-hour day, or a "today" not over yet)', () => {
    assert.deepEqual(alignToBuckets(2, [1, 2, 3]), [1, 2]);
    assert.deepEqual(alignToBuckets(0, [1]), []);
  });
});
