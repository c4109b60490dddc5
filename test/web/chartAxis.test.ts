import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countRange, INTEGER_INCREMENTS, longLabel, tickIndexes, tickLabel, tickStep } from '../../web/src/analytics/chartAxis.js';

describe('the chart’s axes', () => {
  it('labels buckets as written by the API, without shifting them to the browser’s zone', () => {
    assert.equal(tickLabel('2026-03-29T14:00+02:00', 'hour'), '14:00');
    assert.equal(tickLabel('2026-03-29T00:00+01:00', 'hour'), 'Mar 29', 'midnight names the day');
    assert.equal(tickLabel('2026-03-29', 'day'), 'Mar 29');
    assert.equal(tickLabel('2026-03', 'month'), 'Mar 2026');
    assert.equal(longLabel('2026-03-29T14:00-07:00', 'hour'), 'Mar 29, 2026, 14:00');
    assert.equal(longLabel('2026-03-30', 'week'), 'Week of Mar 30, 2026');
    assert.equal(longLabel('2026-12', 'month'), 'December 2026');
    assert.equal(tickLabel('not a date', 'day'), 'not a date');
  });

  it('spaces ticks so labels of the measured width fit the plot, in steps a reader expects', () => {
    // 24 hours on a phone-sized plot: 40 px labels need 52 px each, 300/23 = 13 px per hour → every 4 hours.
    assert.equal(tickStep(24, 300, 40, 'hour'), 4);
    assert.equal(tickStep(24, 1300, 40, 'hour'), 1);
    assert.equal(tickStep(24, 1100, 40, 'hour'), 2);
    assert.equal(tickStep(30, 300, 45, 'day'), 7);
    assert.equal(tickStep(12, 300, 60, 'month'), 3);
    assert.equal(tickStep(1, 300, 60, 'month'), 1);
    for (const [count, width, label] of [[24, 350, 38], [90, 600, 44], [366, 900, 44], [12, 320, 62]] as const) {
      const step = tickStep(count, width, label, count === 12 ? 'month' : 'day');
      assert.ok((width / (count - 1)) * step >= label + 12, `${count} buckets on ${width}px: step ${step} leaves room`);
    }
    assert.deepEqual(tickIndexes(10, 4), [0, 4, 8]);
  });

  it('keeps count axes on integers and readable when empty', () => {
    assert.ok(INTEGER_INCREMENTS.every(Number.isInteger));
    assert.deepEqual(INTEGER_INCREMENTS.slice(0, 4), [1, 2, 5, 10]);
    assert.deepEqual(countRange(0), [0, 1]);
    assert.deepEqual(countRange(null), [0, 1]);
    assert.deepEqual(countRange(12500), [0, 12500]);
  });
});
