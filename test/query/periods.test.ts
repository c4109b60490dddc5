import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { previousPeriod, resolvePeriod, timeBuckets } from '../../src/query/period.js';
import { offsetSegments } from '../../src/query/zone.js';
import { suiteApi } from '../helpers/api.js';
import { describeEachStoreAndEngine } from '../helpers/engines.js';
import { at, insert, rows, view } from './support.js';

/*
 * Every period against the test clock (2026-03-01T12:00Z), and the DST days of two zones: each
 * event is a page view; hour and day buckets must follow the client's zone as it is at query time.
 */
const PERIOD_EVENTS = [
  '2026-03-01T11:00:00Z', // today, 24h, …
  '2026-02-28T13:00:00Z', // 24h, not today
  '2026-02-28T11:00:00Z', // yesterday, outside 24h
  '2026-02-23T00:00:00Z', // first instant of 7d
  '2026-02-22T23:59:59Z', // just before 7d
  '2026-01-31T00:00:00Z', // first instant of 30d
  '2026-01-30T23:00:00Z', // before 30d
  '2025-12-02T00:00:00Z', // first instant of 90d
  '2025-12-01T23:00:00Z', // before 90d
  '2025-04-01T00:00:00Z', // first instant of 12mo
  '2025-03-31T23:00:00Z', // before 12mo
];

/** A page view every half hour from `fromIso` up to `toIso` (UTC instants). */
function halfHourly(fromIso: string, toIso: string): string[] {
  const out: string[] = [];
  for (let t = at(fromIso); t < at(toIso); t += 1_800_000) out.push(new Date(t).toISOString());
  return out;
}

describeEachStoreAndEngine('query API: periods and time zones', (kind, engine) => {
  const { api, newClient } = suiteApi(kind, 'periods', engine);
  const pageViews = async (client: string, body: Record<string, unknown>) => rows(api(), { client_id: client, metric: 'page_views', ...body });

  describe('periods (UTC client)', () => {
    let c: string;
    before(async () => {
      c = await newClient();
      await insert(api(), c, PERIOD_EVENTS.map((iso, i) => view(iso, '/p', `v${i}`)));
    });

    it('counts exactly the events of each period', async () => {
      const expected: [Record<string, unknown>, number, string, string][] = [
        [{ period: 'today' }, 1, '2026-03-01T00:00:00.000Z', '2026-03-01T12:00:00.000Z'],
        [{ period: '24h' }, 2, '2026-02-28T12:00:00.000Z', '2026-03-01T12:00:00.000Z'],
        [{ period: '7d' }, 4, '2026-02-23T00:00:00.000Z', '2026-03-02T00:00:00.000Z'],
        [{}, 6, '2026-01-31T00:00:00.000Z', '2026-03-02T00:00:00.000Z'],
        [{ period: '30d' }, 6, '2026-01-31T00:00:00.000Z', '2026-03-02T00:00:00.000Z'],
        [{ period: '90d' }, 8, '2025-12-02T00:00:00.000Z', '2026-03-02T00:00:00.000Z'],
        [{ period: '12mo' }, 10, '2025-04-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
        [{ period: 'custom', from: '2025-03-31', to: '2025-04-01' }, 2, '2025-03-31T00:00:00.000Z', '2025-04-02T00:00:00.000Z'],
        [{ period: 'custom', from: '2026-02-22', to: '2026-02-22' }, 1, '2026-02-22T00:00:00.000Z', '2026-02-23T00:00:00.000Z'],
      ];
      for (const [body, count, from, to] of expected) {
        const data = await pageViews(c, body);
        assert.deepEqual(data.rows, [[count]], JSON.stringify(body));
        assert.deepEqual(data.period, { from, to, timezone: 'UTC' }, JSON.stringify(body));
      }
    });

    it('compares with the same length just before', async () => {
      const cases: [Record<string, unknown>, number, string, string][] = [
        [{ period: 'today' }, 1, '2026-02-28T12:00:00.000Z', '2026-03-01T00:00:00.000Z'],
        [{ period: '24h' }, 1, '2026-02-27T12:00:00.000Z', '2026-02-28T12:00:00.000Z'],
        [{ period: '7d' }, 1, '2026-02-16T00:00:00.000Z', '2026-02-23T00:00:00.000Z'],
        [{ period: '12mo' }, 1, '2024-04-01T00:00:00.000Z', '2025-04-01T00:00:00.000Z'],
      ];
      for (const [body, count, from, to] of cases) {
        const data = await pageViews(c, { ...body, compare: 'previous_period' });
        assert.deepEqual(data.compare?.rows, [[count]], JSON.stringify(body));
        assert.deepEqual(data.compare?.period, { from, to, timezone: 'UTC' });
      }
    });

    it('buckets 24h by the hours it overlaps', async () => {
      const data = await pageViews(c, { period: '24h', dimensions: ['hour'] });
      assert.equal(data.rows.length, 24);
      assert.deepEqual(data.rows[0], ['2026-02-28T12:00+00:00', 0]);
      assert.deepEqual(data.rows.at(-1), ['2026-03-01T11:00+00:00', 1]);
    });
  });

  const dstCases = [
    { zone: 'America/Los_Angeles', day: '2026-03-08', hours: 23, first: '2026-03-08T00:00-08:00', jump: ['2026-03-08T01:00-08:00', '2026-03-08T03:00-07:00'], last: '2026-03-08T23:00-07:00' },
    { zone: 'America/Los_Angeles', day: '2026-11-01', hours: 25, first: '2026-11-01T00:00-07:00', jump: ['2026-11-01T01:00-07:00', '2026-11-01T01:00-08:00'], last: '2026-11-01T23:00-08:00' },
    { zone: 'Europe/Berlin', day: '2026-03-29', hours: 23, first: '2026-03-29T00:00+01:00', jump: ['2026-03-29T01:00+01:00', '2026-03-29T03:00+02:00'], last: '2026-03-29T23:00+02:00' },
    { zone: 'Europe/Berlin', day: '2026-10-25', hours: 25, first: '2026-10-25T00:00+02:00', jump: ['2026-10-25T02:00+02:00', '2026-10-25T02:00+01:00'], last: '2026-10-25T23:00+01:00' },
  ];
  for (const dst of dstCases) {
    it(`gives ${dst.zone} on ${dst.day} ${dst.hours} hours, and whole days around it`, async () => {
      const c = await newClient({ timezone: dst.zone });
      const dayBefore = new Date(at(`${dst.day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      const dayAfter = new Date(at(`${dst.day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      // Half-hourly page views over three local days and a margin: wider than the period asked.
      const instants = halfHourly(new Date(at(`${dayBefore}T00:00:00Z`) - 86_400_000).toISOString(), new Date(at(`${dayAfter}T00:00:00Z`) + 2 * 86_400_000).toISOString());
      await insert(api(), c, instants.map((iso) => view(iso, '/dst')));
      const hours = await pageViews(c, { period: 'custom', from: dst.day, to: dst.day, dimensions: ['hour'] });
      assert.equal(hours.rows.length, dst.hours);
      assert.equal(hours.total, dst.hours);
      assert.equal(hours.rows[0]![0], dst.first);
      assert.equal(hours.rows.at(-1)![0], dst.last);
      const labels = hours.rows.map((r) => r[0] as string);
      const jumpAt = labels.indexOf(dst.jump[0]!);
      assert.ok(jumpAt >= 0, `${dst.jump[0]} in ${labels.join(' ')}`);
      assert.equal(labels[jumpAt + 1], dst.jump[1]);
      assert.equal(new Set(labels).size, labels.length, 'labels are unique (the repeated hour carries its offset)');
      assert.ok(hours.rows.every((r) => r[1] === 2), 'two page views in every local hour');
      const days = await pageViews(c, { period: 'custom', from: dayBefore, to: dayAfter, dimensions: ['day'] });
      assert.deepEqual(days.rows, [
        [dayBefore, 48],
        [dst.day, dst.hours * 2],
        [dayAfter, 48],
      ]);
      const whole = await pageViews(c, { period: 'custom', from: dayBefore, to: dayAfter });
      assert.deepEqual(whole.rows, [[48 + dst.hours * 2 + 48]]);
      assert.equal(whole.period.timezone, dst.zone);
    });
  }

  it('follows the client’s zone at query time after it changes', async () => {
    const c = await newClient();
    await insert(api(), c, [view('2026-02-27T23:30:00Z', '/late')]);
    const dayOf = async () => (await pageViews(c, { period: '7d', dimensions: ['day'] })).rows.filter((r) => r[1] !== 0);
    assert.deepEqual(await dayOf(), [['2026-02-27', 1]]);
    for (const [zone, day] of [['Europe/Berlin', '2026-02-28'], ['America/Los_Angeles', '2026-02-27'], ['Asia/Kolkata', '2026-02-28']] as const) {
      const patched = await api().request('PATCH', `/api/v1/clients/${c}`, { body: { timezone: zone } });
      assert.equal(patched.status, 200);
      assert.deepEqual(await dayOf(), [[day, 1]], zone);
      const hour = await pageViews(c, { period: '7d', dimensions: ['hour'] });
      // The zone as the runtime spells it (Node may call Asia/Kolkata Asia/Calcutta).
      assert.equal(hour.period.timezone, patched.body.data.timezone);
      assert.equal(hour.rows.filter((r) => r[1] !== 0).length, 1);
    }
    // Kolkata is +05:30: its local hours start at :30 UTC.
    const kolkata = await pageViews(c, { period: '7d', dimensions: ['hour'] });
    assert.deepEqual(kolkata.rows.filter((r) => r[1] !== 0), [['2026-02-28T05:00+05:30', 1]]);
  });
});

describe('period resolver', () => {
  const now = at('2026-03-08T20:00:00Z'); // 13:00 in Los Angeles, the day clocks sprang forward
  it('makes today and 7d start at local midnight, in the zone’s offset of that day', () => {
    const today = resolvePeriod({ period: 'today' }, 'America/Los_Angeles', now);
    assert.equal(new Date(today.from).toISOString(), '2026-03-08T08:00:00.000Z');
    const week = resolvePeriod({ period: '7d' }, 'America/Los_Angeles', now);
    assert.equal(new Date(week.from).toISOString(), '2026-03-02T08:00:00.000Z');
    assert.equal(new Date(week.to).toISOString(), '2026-03-09T07:00:00.000Z');
    const before = previousPeriod(week, 'America/Los_Angeles');
    assert.equal(new Date(before.to).toISOString(), '2026-03-02T08:00:00.000Z');
    assert.equal(timeBuckets('day', 'America/Los_Angeles', week.from, week.to).length, 7);
  });
  it('finds the exact instants the offset changes', () => {
    const segments = offsetSegments('Europe/Berlin', at('2026-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z'));
    assert.deepEqual(
      segments.map((s) => [new Date(s.from).toISOString(), s.offset / 3_600_000]),
      [
        ['2026-01-01T00:00:00.000Z', 1],
        ['2026-03-29T01:00:00.000Z', 2],
        ['2026-10-25T01:00:00.000Z', 1],
      ],
    );
  });
  it('labels Monday weeks and calendar months', () => {
    const weeks = timeBuckets('week', 'UTC', at('2026-03-01T00:00:00Z'), at('2026-03-10T00:00:00Z'));
    assert.deepEqual(weeks.map((b) => b.label), ['2026-02-23', '2026-03-02', '2026-03-09']);
    const months = timeBuckets('month', 'UTC', at('2025-11-15T00:00:00Z'), at('2026-02-01T00:00:00Z'));
    assert.deepEqual(months.map((b) => b.label), ['2025-11', '2025-12', '2026-01']);
  });
  it('labels each hour with the offset its start was computed with, where a zone moves by half an hour', () => {
    // Lord Howe Island springs from +10:30 to +11:00 at 02:00 local on 2026-10-04: 23.5 hours.
    const zone = 'Australia/Lord_Howe';
    const day = resolvePeriod({ period: 'custom', from: '2026-10-04', to: '2026-10-04' }, zone, at('2026-11-01T00:00:00Z'));
    const labels = timeBuckets('hour', zone, day.from, day.to).map((b) => b.label);
    assert.deepEqual(labels.slice(0, 4), ['2026-10-04T00:00+10:30', '2026-10-04T01:00+10:30', '2026-10-04T02:00+11:00', '2026-10-04T03:00+11:00']);
    assert.equal(labels.at(-1), '2026-10-04T23:00+11:00');
    assert.equal(new Set(labels).size, labels.length);
  });
});
