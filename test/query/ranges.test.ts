// `from` and `to` as ISO-8601 date-times (with Z or an offset) as well as dates: they set the
// range whatever `period` says (Mythic's documented example sends `period: "24h"` with them), the
// answer's `period` says which range was used, and a date-time range is bucketed into the
// client's local days it overlaps.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parseInstant, resolvePeriod, timeBuckets } from '../../src/query/period.js';
import { suiteApi } from '../helpers/api.js';
import { describeEachStoreAndEngine } from '../helpers/engines.js';
import { funnel, insert, isoDateTime, query, rows, view } from './support.js';

describeEachStoreAndEngine('query API: ranges given by from and to', (kind, engine) => {
  const { api, newClient } = suiteApi(kind, 'ranges', engine);
  let berlin: string;

  // Berlin is UTC+1 in February: local midnight of 2026-02-28 is 2026-02-27T23:00Z.
  const EVENTS = [
    '2026-02-27T22:00:00Z', // before the range
    '2026-02-27T22:45:00Z', // 23:45 on the 27th in Berlin
    '2026-02-28T10:00:00Z', // the 28th
    '2026-02-28T23:15:00Z', // 00:15 on 1 March in Berlin
    '2026-02-28T23:30:00Z', // the range's end: excluded
    '2026-02-28T23:45:00Z', // after it
  ];
  const FROM = '2026-02-27T22:30:00Z';
  const TO = '2026-02-28T23:30:00Z';

  before(async () => {
    berlin = await newClient({ timezone: 'Europe/Berlin' });
    await insert(api(), berlin, EVENTS.map((iso, i) => view(iso, '/p', `v${i}`)));
  });

  it('takes the range from from and to whatever period says, and says in the answer which range it used', async () => {
    for (const period of [undefined, '24h', '7d', '12mo', 'custom']) {
      const data = await rows(api(), { client_id: berlin, metric: 'page_views', ...(period ? { period } : {}), from: FROM, to: TO });
      assert.deepEqual(data.rows, [[3]], `period ${period}`);
      assert.deepEqual(data.period, { from: '2026-02-27T22:30:00.000Z', to: '2026-02-28T23:30:00.000Z', timezone: 'Europe/Berlin' });
    }
  });

  it('reads offsets and fractions of a second as the instants they name', async () => {
    const data = await rows(api(), {
      client_id: berlin,
      metric: 'page_views',
      from: '2026-02-27T23:30:00.000+01:00',
      to: '2026-02-28T18:30:00.5-05:00',
    });
    assert.deepEqual(data.period, { from: '2026-02-27T22:30:00.000Z', to: '2026-02-28T23:30:00.500Z', timezone: 'Europe/Berlin' });
    assert.deepEqual(data.rows, [[4]], 'the event at 23:30:00.000Z is now inside');
  });

  it('buckets a date-time range into the client’s local days it overlaps, each counting only the part inside', async () => {
    const data = await rows(api(), { client_id: berlin, metric: 'page_views', dimensions: ['day'], period: '24h', from: FROM, to: TO });
    assert.deepEqual(data.rows, [
      ['2026-02-27', 1],
      ['2026-02-28', 1],
      ['2026-03-01', 1],
    ]);
    const hours = await rows(api(), { client_id: berlin, metric: 'page_views', dimensions: ['hour'], from: FROM, to: TO });
    assert.equal(hours.rows.length, 26, 'from 23:00 on the 27th to 00:00 on 1 March, local hours');
    assert.deepEqual(hours.rows[0], ['2026-02-27T23:00+01:00', 1]);
    assert.deepEqual(hours.rows.at(-1), ['2026-03-01T00:00+01:00', 1]);
  });

  it('answers an empty range (from equal to to) with 200 and nothing in it', async () => {
    const empty = { client_id: berlin, metric: 'page_views', from: '2026-02-28T10:00:00Z', to: '2026-02-28T10:00:00Z' };
    const total = await rows(api(), empty);
    assert.deepEqual(total.rows, [[0]]);
    assert.deepEqual(total.period, { from: '2026-02-28T10:00:00.000Z', to: '2026-02-28T10:00:00.000Z', timezone: 'Europe/Berlin' });
    const byDay = await rows(api(), { ...empty, dimensions: ['day', 'path'] });
    assert.deepEqual(byDay.rows, []);
    assert.equal(byDay.total, 0);
    const compared = await rows(api(), { ...empty, compare: 'previous_period' });
    assert.deepEqual(compared.compare?.rows, [[0]]);
    const steps = await funnel(api(), { client_id: berlin, steps: [{ path: '/p' }, { path: '/p' }], from: empty.from, to: empty.to });
    assert.equal(steps.status, 200, JSON.stringify(steps.body));
    assert.deepEqual(
      steps.body.data.steps.map((s) => s.count),
      [0, 0],
    );
  });

  it('reads a date as a whole local day on either side, also next to a date-time', async () => {
    const mixed = await rows(api(), { client_id: berlin, metric: 'page_views', from: '2026-02-28', to: TO });
    assert.deepEqual(mixed.period.from, '2026-02-27T23:00:00.000Z', 'Berlin’s midnight');
    assert.deepEqual(mixed.rows, [[2]]);
    const toDate = await rows(api(), { client_id: berlin, metric: 'page_views', from: FROM, to: '2026-02-28' });
    assert.deepEqual(toDate.period.to, '2026-02-28T23:00:00.000Z', 'the whole of the 28th, local');
    assert.deepEqual(toDate.rows, [[2]]);
    const dates = await rows(api(), { client_id: berlin, metric: 'page_views', period: '24h', from: '2026-02-28', to: '2026-02-28' });
    assert.deepEqual(dates.period, { from: '2026-02-27T23:00:00.000Z', to: '2026-02-28T23:00:00.000Z', timezone: 'Europe/Berlin' });
  });

  it('answers any two date-times with the range they name, or a 400 on to when it is before from or too long', async () => {
    const DAY = 86_400_000;
    const bound = isoDateTime(new Date('1970-01-02T00:00:00Z'), new Date('2100-01-01T00:00:00Z'));
    const near = fc.tuple(bound, fc.integer({ min: -3 * DAY, max: 800 * DAY })).map(([from, ms]) => {
      const to = new Date(Math.max(0, Date.parse(from) + ms)).toISOString();
      return [from, to] as const;
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(near, fc.tuple(bound, bound)), fc.constantFrom(undefined, '24h', 'custom'), async ([from, to], period) => {
        const res = await query(api(), { client_id: berlin, metric: 'page_views', dimensions: ['day'], from, to, ...(period ? { period } : {}) });
        const length = Date.parse(to) - Date.parse(from);
        if (length < 0 || length > 731 * DAY) {
          assert.equal(res.status, 400, `${from} → ${to}: ${JSON.stringify(res.body)}`);
          assert.deepEqual(res.body.details?.map((d) => d.field), ['to']);
          return;
        }
        assert.equal(res.status, 200, `${from} → ${to}: ${JSON.stringify(res.body)}`);
        assert.deepEqual(res.body.data.period, { from: new Date(Date.parse(from)).toISOString(), to: new Date(Date.parse(to)).toISOString(), timezone: 'Europe/Berlin' });
        if (length === 0) assert.deepEqual(res.body.data.rows, []);
        else assert.ok(res.body.data.rows.length >= 1 && res.body.data.rows.length <= Math.ceil(length / DAY) + 1, `${res.body.data.rows.length} days`);
      }),
      { numRuns: 60 },
    );
  });

  it('compares a date-time range with the same length just before it', async () => {
    const data = await rows(api(), { client_id: berlin, metric: 'page_views', from: '2026-02-28T00:00:00Z', to: '2026-02-28T23:00:00Z', compare: 'previous_period' });
    assert.deepEqual(data.compare?.period, { from: '2026-02-27T01:00:00.000Z', to: '2026-02-28T00:00:00.000Z', timezone: 'Europe/Berlin' });
    assert.deepEqual(data.compare?.rows, [[2]]);
  });
});

describe('range bounds', () => {
  it('parses date-times with Z or an offset to their instant, and refuses the rest', () => {
    assert.equal(parseInstant('2024-12-25T10:00:00Z'), Date.parse('2024-12-25T10:00:00Z'));
    assert.equal(parseInstant('2024-12-25T10:00Z'), Date.parse('2024-12-25T10:00:00Z'));
    assert.equal(parseInstant('2024-12-25T11:30:00+01:30'), Date.parse('2024-12-25T10:00:00Z'));
    assert.equal(parseInstant('2024-12-25T05:00:00.123456-05:00'), Date.parse('2024-12-25T10:00:00.123Z'));
    assert.equal(parseInstant('1970-01-01T00:00:00Z'), 0);
    for (const bad of ['2024-12-25', '2024-12-25T10:00:00', '2024-12-25T10:00:00z', '2024-12-25t10:00:00Z', '2024-12-25T10:00:00+0100', '2024-13-01T00:00:00Z', '2023-02-29T00:00:00Z', '2024-12-25T23:59:60Z', '1969-12-31T23:59:59Z', '1970-01-01T00:59:59+01:00']) {
      assert.equal(parseInstant(bad), null, bad);
    }
  });

  it('has no time buckets in an empty range', () => {
    const period = resolvePeriod({ period: '24h', from: '2026-02-28T10:00:00Z', to: '2026-02-28T10:00:00Z' }, 'Europe/Berlin', Date.parse('2026-03-01T12:00:00Z'));
    assert.deepEqual([period.from, period.to], [Date.parse('2026-02-28T10:00:00Z'), Date.parse('2026-02-28T10:00:00Z')]);
    for (const grain of ['hour', 'day', 'week', 'month'] as const) assert.deepEqual(timeBuckets(grain, 'Europe/Berlin', period.from, period.to), [], grain);
  });
});
