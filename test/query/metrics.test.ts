import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import fc from 'fast-check';
import { suiteApi } from '../helpers/api.js';
import { describeEachStoreAndEngine } from '../helpers/engines.js';
import { insert, query, rows, view } from './support.js';

/*
 * Known answers on a small, hand-made data set (client zone UTC, the test clock at
 * 2026-03-01T12:00Z, so the default 30d period is 2026-01-31 .. 2026-03-01):
 *   session sA, visitor a:      /home 02-27 10:00 (from google.com), /pricing 10:01, signup 10:02
 *   session sB, visitor b:      /home 02-28 09:00 (Safari, iOS, mobile, DE, t.co, email/spring): a bounce
 *   session sC, c-anon→user-c:  /docs 02-28 15:00 by c-anon, /docs/2 15:00:30 by user-c (linked)
 *   a bot:                      /home 02-28 11:00 (excluded unless include_bots)
 */
const plain = { utm_source: null, referrer_host: null, country: null };
const DATA = [
  view('2026-02-27T10:00:00Z', '/home', 'a', 'sA', { ...plain, referrer_host: 'google.com' }),
  view('2026-02-27T10:01:00Z', '/pricing', 'a', 'sA', plain),
  { ...view('2026-02-27T10:02:00Z', '/pricing', 'a', 'sA', plain), event: 'signup' },
  view('2026-02-28T09:00:00Z', '/home', 'b', 'sB', {
    ...plain,
    browser: 'Safari',
    os: 'iOS',
    device_type: 'mobile',
    country: 'DE',
    referrer_host: 't.co',
    utm_medium: 'email',
    utm_campaign: 'spring',
  }),
  view('2026-02-28T15:00:00Z', '/docs', 'c-anon', 'sC', { ...plain, utm_term: 'kw', utm_content: 'ad1' }),
  view('2026-02-28T15:00:30Z', '/docs/2', 'user-c', 'sC', { ...plain, utm_term: 'kw', utm_content: 'ad1' }),
  view('2026-02-28T11:00:00Z', '/home', 'bot-1', 'sBot', { ...plain, is_bot: true, device_type: 'bot' }),
];
const ALL_METRICS = ['page_views', 'unique_visitors', 'sessions', 'events', 'bounce_rate', 'avg_session_duration', 'views_per_session', 'conversions'];

describeEachStoreAndEngine('query API: metrics, dimensions, filters', (kind, engine) => {
  const { api, newClient } = suiteApi(kind, 'metrics', engine);
  let c: string;
  before(async () => {
    c = await newClient();
    const other = await newClient();
    await insert(api(), c, DATA, [{ distinct_id: 'c-anon', person_id: 'user-c' }]);
    // Another client's traffic, on the same paths and days, must never show up.
    await insert(api(), other, DATA.map((e) => ({ ...e, distinct_id: `x-${String(e.distinct_id)}` })));
  });

  it('answers every metric over the period, bots excluded, one person across linked ids', async () => {
    const data = await rows(api(), { client_id: c, metrics: ALL_METRICS, conversion_event: 'signup' });
    assert.deepEqual(data.columns, ALL_METRICS);
    assert.deepEqual(data.rows, [[5, 3, 3, 6, 33.33, 50, 1.67, 1]]);
    assert.equal(data.total, 1);
    assert.deepEqual(data.period, { from: '2026-01-31T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z', timezone: 'UTC' });
    assert.equal(data.compare, undefined);
    const single = await rows(api(), { client_id: c, metric: 'unique_visitors' });
    assert.deepEqual(single.rows, [[3]]);
    const sessionOnly = await rows(api(), { client_id: c, metric: 'bounce_rate' });
    assert.deepEqual(sessionOnly.rows, [[33.33]]);
    const withoutVisitors = await rows(api(), { client_id: c, metrics: ['sessions', 'conversions', 'avg_session_duration'], conversion_event: 'signup' });
    assert.deepEqual(withoutVisitors.rows, [[3, 1, 50]]);
  });

  it('counts bots with include_bots', async () => {
    const data = await rows(api(), { client_id: c, metrics: ['page_views', 'unique_visitors', 'sessions', 'bounce_rate'], filters: { include_bots: true } });
    assert.deepEqual(data.rows, [[6, 4, 4, 50]]);
  });

  it('groups by every non-time dimension with the default order (first metric descending, then the dimension)', async () => {
    const cases: [string, string, (string | number | null)[][]][] = [
      ['path', 'page_views', [['/home', 2], ['/docs', 1], ['/docs/2', 1], ['/pricing', 1]]],
      ['entry_path', 'sessions', [['/home', 2], ['/docs', 1]]],
      ['exit_path', 'sessions', [['/docs/2', 1], ['/home', 1], ['/pricing', 1]]],
      ['referrer_host', 'unique_visitors', [[null, 2], ['google.com', 1], ['t.co', 1]]],
      ['utm_source', 'events', [[null, 6]]],
      ['utm_medium', 'page_views', [[null, 4], ['email', 1]]],
      ['utm_campaign', 'page_views', [[null, 4], ['spring', 1]]],
      ['browser', 'unique_visitors', [['Chrome', 2], ['Safari', 1]]],
      ['os', 'unique_visitors', [['Windows', 2], ['iOS', 1]]],
      ['device_type', 'sessions', [['desktop', 2], ['mobile', 1]]],
      ['event', 'events', [['$pageview', 5], ['signup', 1]]],
      ['country', 'page_views', [[null, 4], ['DE', 1]]],
    ];
    for (const [dimension, metric, expected] of cases) {
      const data = await rows(api(), { client_id: c, metric, dimensions: [dimension] });
      assert.deepEqual(data.columns, [dimension, metric]);
      assert.deepEqual(data.rows, expected, dimension);
      assert.equal(data.total, expected.length, dimension);
    }
  });

  it('gives session metrics per entry page', async () => {
    const data = await rows(api(), { client_id: c, metrics: ['bounce_rate', 'avg_session_duration', 'views_per_session'], dimensions: ['entry_path'] });
    assert.deepEqual(data.rows, [
      ['/home', 50, 60, 1.5],
      ['/docs', 0, 30, 2],
    ]);
  });

  it('applies each filter', async () => {
    const cases: [Record<string, string>, number][] = [
      [{ path: '/home' }, 2],
      [{ url_contains: 'docs' }, 2],
      [{ event: 'signup' }, 1],
      [{ referrer_host: 'google.com' }, 1],
      [{ utm_medium: 'email' }, 1],
      [{ utm_campaign: 'spring' }, 1],
      [{ utm_source: 'nowhere' }, 0],
      [{ utm_term: 'kw' }, 2],
      [{ utm_content: 'ad1' }, 2],
      [{ browser: 'Safari' }, 1],
      [{ os: 'iOS' }, 1],
      [{ device_type: 'mobile' }, 1],
      [{ country: 'DE' }, 1],
      [{ browser: 'Chrome', path: '/docs' }, 1],
    ];
    for (const [filters, expected] of cases) {
      const data = await rows(api(), { client_id: c, metric: 'events', filters });
      assert.deepEqual(data.rows, [[expected]], JSON.stringify(filters));
    }
  });

  it('fills every day, week and month of the period, zeros where there is nothing', async () => {
    const day = await rows(api(), { client_id: c, metrics: ['page_views', 'unique_visitors', 'bounce_rate'], dimensions: ['day'] });
    assert.equal(day.rows.length, 30);
    assert.equal(day.total, 30);
    assert.deepEqual(day.rows[0], ['2026-01-31', 0, 0, 0]);
    assert.deepEqual(day.rows.slice(27), [
      ['2026-02-27', 2, 1, 0],
      ['2026-02-28', 3, 2, 50],
      ['2026-03-01', 0, 0, 0],
    ]);
    const week = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['week'] });
    assert.deepEqual(week.rows, [
      ['2026-01-26', 0],
      ['2026-02-02', 0],
      ['2026-02-09', 0],
      ['2026-02-16', 0],
      ['2026-02-23', 5],
    ]);
    const month = await rows(api(), { client_id: c, metric: 'unique_visitors', dimensions: ['month'], period: '12mo' });
    assert.equal(month.rows.length, 12);
    assert.deepEqual(month.rows[0], ['2025-04', 0]);
    assert.deepEqual(month.rows.slice(10), [
      ['2026-02', 3],
      ['2026-03', 0],
    ]);
    const hour = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['hour'], period: '7d' });
    assert.equal(hour.rows.length, 7 * 24);
    assert.deepEqual(hour.rows[0], ['2026-02-23T00:00+00:00', 0]);
    assert.deepEqual(hour.rows.find((r) => r[0] === '2026-02-27T10:00+00:00'), ['2026-02-27T10:00+00:00', 2]);
    assert.equal(hour.rows.reduce((sum, r) => sum + (r[1] as number), 0), 5);
  });

  it('crosses a time dimension with another, filling buckets per value', async () => {
    const data = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['browser', 'day'], period: '7d' });
    assert.deepEqual(data.columns, ['browser', 'day', 'page_views']);
    assert.equal(data.total, 14);
    assert.deepEqual(data.rows.filter((r) => r[2] !== 0), [
      ['Chrome', '2026-02-27', 2],
      ['Chrome', '2026-02-28', 2],
      ['Safari', '2026-02-28', 1],
    ]);
  });

  it('orders, limits and counts the total before the limit', async () => {
    const limited = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['path'], limit: 2 });
    assert.deepEqual(limited.rows, [['/home', 2], ['/docs', 1]]);
    assert.equal(limited.total, 4);
    const byPath = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['path'], order_by: [{ column: 'path', direction: 'desc' }] });
    assert.deepEqual(byPath.rows.map((r) => r[0]), ['/pricing', '/home', '/docs/2', '/docs']);
    const ascending = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['path'], order_by: [{ column: 'page_views', direction: 'asc' }, { column: 'path', direction: 'desc' }] });
    assert.deepEqual(ascending.rows.map((r) => r[0]), ['/pricing', '/docs/2', '/docs', '/home']);
    const busiestDay = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['day'], order_by: [{ column: 'page_views', direction: 'desc' }], limit: 1 });
    assert.deepEqual(busiestDay.rows, [['2026-02-28', 3]]);
    assert.equal(busiestDay.total, 30);
  });

  it('orders a metric without a direction descending, a dimension ascending', async () => {
    const byMetric = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['path'], order_by: [{ column: 'page_views' }, { column: 'path', direction: 'desc' }] });
    assert.deepEqual(byMetric.rows.map((r) => r[0]), ['/home', '/pricing', '/docs/2', '/docs']);
    const byPath = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['path'], order_by: [{ column: 'path' }] });
    assert.deepEqual(byPath.rows.map((r) => r[0]), ['/docs', '/docs/2', '/home', '/pricing']);
    const quietestDayLast = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['day'], order_by: [{ column: 'page_views' }], limit: 2 });
    assert.deepEqual(quietestDayLast.rows, [['2026-02-28', 3], ['2026-02-27', 2]]);
  });

  it('refuses a time report that would fill more than 100,000 rows, before filling it', async () => {
    const wide = await newClient();
    // 140 paths × 744 hours of January = 104,160 rows once every hour is filled for every path.
    await insert(api(), wide, Array.from({ length: 140 }, (_, i) => view('2026-01-15T10:00:00Z', `/p${i}`, `w${i}`)));
    const hours = await query(api(), { client_id: wide, metric: 'page_views', dimensions: ['hour', 'path'], period: 'custom', from: '2026-01-01', to: '2026-01-31', limit: 1 });
    assert.equal(hours.status, 400, JSON.stringify(hours.body));
    assert.equal(hours.body.code, 'validation_error');
    assert.ok(hours.body.details?.some((d) => d.field === 'dimensions' && /coarser/.test(d.message)), JSON.stringify(hours.body.details));
    // 140 × 731 days too; by week it is 140 × 105.
    const days = await query(api(), { client_id: wide, metric: 'page_views', dimensions: ['day', 'path'], period: 'custom', from: '2024-06-01', to: '2026-05-31' });
    assert.equal(days.status, 400);
    const weeks = await rows(api(), { client_id: wide, metric: 'page_views', dimensions: ['week', 'path'], period: 'custom', from: '2024-06-01', to: '2026-05-31', limit: 3 });
    assert.equal(weeks.total, 140 * 105);
    // Two years of days alone, compared with the two years before, stays a small answer.
    const twoYears = await rows(api(), { client_id: wide, metric: 'page_views', dimensions: ['day'], period: 'custom', from: '2024-06-01', to: '2026-05-31', compare: 'previous_period' });
    assert.equal(twoYears.total, 730);
    assert.equal(twoYears.compare?.total, 730);
  });

  it('compares with the previous period', async () => {
    const data = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['day'], period: 'custom', from: '2026-02-28', to: '2026-02-28', compare: 'previous_period' });
    assert.deepEqual(data.rows, [['2026-02-28', 3]]);
    assert.deepEqual(data.compare, {
      columns: ['day', 'page_views'],
      rows: [['2026-02-27', 2]],
      total: 1,
      period: { from: '2026-02-27T00:00:00.000Z', to: '2026-02-28T00:00:00.000Z', timezone: 'UTC' },
    });
  });

  it('sees events acknowledged through ingestion once they are applied', async () => {
    const created = await api().request('POST', '/api/v1/clients', { body: { id: 'metrics-ingested', name: 'Ingested' } });
    const sk = created.body.data.secret_key as string;
    const sent = await api().request('POST', '/batch', {
      anonymous: true,
      headers: { authorization: `Bearer ${sk}` },
      body: { batch: [{ event: '$pageview', distinct_id: 'i-1', timestamp: '2026-03-01T11:00:00Z', properties: { $current_url: 'https://x.test/a' } }] },
    });
    assert.equal(sent.status, 200);
    // Queries do not wait for the journal to be applied (that would defeat the writer's linger).
    await api().settled();
    const data = await rows(api(), { client_id: 'metrics-ingested', metrics: ['page_views', 'unique_visitors'], dimensions: ['path'], period: 'today' });
    assert.deepEqual(data.rows, [['/a', 1, 1]]);
  });

  it('answers every valid combination of metrics, dimensions and filters', async () => {
    const dimensions = ['hour', 'day', 'week', 'month', 'path', 'entry_path', 'exit_path', 'referrer_host', 'utm_source', 'utm_medium', 'utm_campaign', 'browser', 'os', 'device_type', 'event', 'country'];
    const time = new Set(['hour', 'day', 'week', 'month']);
    const body = fc
      .record({
        metrics: fc.uniqueArray(fc.constantFrom(...ALL_METRICS), { minLength: 1, maxLength: 8 }),
        dimensions: fc.uniqueArray(fc.constantFrom(...dimensions), { maxLength: 3 }),
        period: fc.constantFrom('today', '24h', '7d', '30d', '90d', '12mo'),
        include_bots: fc.boolean(),
        path: fc.option(fc.constantFrom('/home', '/docs')),
        compare: fc.boolean(),
        limit: fc.integer({ min: 1, max: 50 }),
      })
      .filter((b) => b.dimensions.filter((d) => time.has(d)).length <= 1)
      // Hours only over periods of 31 days or less (refused otherwise, see below).
      .filter((b) => !(b.dimensions.includes('hour') && (b.period === '90d' || b.period === '12mo')));
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await query(api(), {
          client_id: c,
          metrics: b.metrics,
          ...(b.metrics.includes('conversions') ? { conversion_event: 'signup' } : {}),
          dimensions: b.dimensions,
          period: b.period,
          filters: { include_bots: b.include_bots, ...(b.path === null ? {} : { path: b.path }) },
          ...(b.compare ? { compare: 'previous_period' } : {}),
          limit: b.limit,
        });
        assert.equal(res.status, 200, `${JSON.stringify(b)} → ${JSON.stringify(res.body)}`);
        assert.deepEqual(res.body.data.columns, [...b.dimensions, ...b.metrics]);
        assert.ok(res.body.data.rows.length <= b.limit);
        assert.ok(res.body.data.rows.every((row) => row.length === b.dimensions.length + b.metrics.length));
      }),
      { numRuns: 120 },
    );
  });

  it('refuses broken rules with a 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'metric'],
      [{ metric: 'page_views', metrics: ['events'] }, 'metrics'],
      [{ metric: 'revenue' }, 'metric'],
      [{ metrics: [] }, 'metrics'],
      [{ metrics: ['events', 'events'] }, 'metrics'],
      [{ metric: 'conversions' }, 'conversion_event'],
      [{ metric: 'events', conversion_event: 'signup' }, 'conversion_event'],
      [{ metric: 'events', dimensions: ['day', 'hour'] }, 'dimensions'],
      [{ metric: 'events', dimensions: ['path', 'os', 'browser', 'country'] }, 'dimensions'],
      [{ metric: 'events', dimensions: ['colour'] }, 'dimensions.0'],
      [{ metric: 'events', period: 'custom' }, 'from'],
      [{ metric: 'events', period: 'custom', from: '2026-02-01' }, 'to'],
      [{ metric: 'events', period: 'custom', from: '2026-02-30', to: '2026-03-01' }, 'from'],
      [{ metric: 'events', period: 'custom', from: '2026-03-01', to: '2026-02-01' }, 'to'],
      [{ metric: 'events', period: 'custom', from: '2024-01-01', to: '2026-01-01' }, 'to'],
      [{ metric: 'events', period: 'custom', from: '2026-2-1', to: '2026-03-01' }, 'from'],
      [{ metric: 'events', period: 'custom', from: '0050-01-01', to: '0050-01-02' }, 'from'],
      [{ metric: 'events', period: '7d', from: '2026-02-01' }, 'to'],
      [{ metric: 'events', to: '2026-02-01T00:00:00Z' }, 'from'],
      [{ metric: 'events', from: '2024-12-25T10:00:00', to: '2024-12-26T10:00:00Z' }, 'from'],
      [{ metric: 'events', from: '2024-12-25 10:00:00Z', to: '2024-12-26T10:00:00Z' }, 'from'],
      [{ metric: 'events', from: '2024-12-25T24:00:00Z', to: '2024-12-26T10:00:00Z' }, 'from'],
      [{ metric: 'events', from: '2024-02-30T10:00:00Z', to: '2024-12-26T10:00:00Z' }, 'from'],
      [{ metric: 'events', from: '2024-12-25T10:00:00Z', to: '2024-12-26T10:00:00+24:00' }, 'to'],
      [{ metric: 'events', from: '2024-12-25T10:00:00Z', to: '2024-12-26T10:60:00Z' }, 'to'],
      [{ metric: 'events', from: '1969-12-31T23:59:59Z', to: '2024-12-26T10:00:00Z' }, 'from'],
      [{ metric: 'events', from: '1970-01-01T00:30:00+01:00', to: '2024-12-26T10:00:00Z' }, 'from'],
      [{ metric: 'events', from: '2024-12-25T10:00:00Z', to: '2024-12-25T09:59:59.999Z' }, 'to'],
      [{ metric: 'events', from: '2024-12-25T10:00:00Z', to: '2024-12-24' }, 'to'],
      [{ metric: 'events', from: '2023-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z' }, 'to'],
      [{ metric: 'events', dimensions: ['hour'], from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:01Z' }, 'dimensions'],
      [{ metric: 'events', dimensions: ['hour'], period: '24h', from: '2026-01-01', to: '2026-02-01' }, 'dimensions'],
      [{ metric: 'events', period: 'yesterday' }, 'period'],
      [{ metric: 'events', order_by: [{ column: 'page_views' }] }, 'order_by.0.column'],
      [{ metric: 'events', order_by: [{ column: 'events', direction: 'up' }] }, 'order_by.0.direction'],
      [{ metric: 'events', limit: 0 }, 'limit'],
      [{ metric: 'events', limit: 10_001 }, 'limit'],
      [{ metric: 'events', compare: 'last_year' }, 'compare'],
      [{ metric: 'events', filters: { path: '' } }, 'filters.path'],
      [{ metric: 'events', filters: { include_bots: 'yes' } }, 'filters.include_bots'],
      [{ metric: 'events', dimensions: ['hour'], period: '90d' }, 'dimensions'],
      [{ metric: 'events', dimensions: ['path', 'hour'], period: '12mo' }, 'dimensions'],
      [{ metric: 'events', dimensions: ['hour'], period: 'custom', from: '2026-01-01', to: '2026-02-01' }, 'dimensions'],
    ];
    for (const [body, field] of cases) {
      const res = await query(api(), { client_id: c, ...body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.code, 'validation_error', JSON.stringify(res.body));
      assert.ok(res.body.details?.some((d) => d.field === field), `${JSON.stringify(body)} → ${JSON.stringify(res.body.details)}`);
    }
    // Hours over 31 days are allowed.
    assert.equal((await query(api(), { client_id: c, metric: 'events', dimensions: ['hour'], period: 'custom', from: '2026-01-01', to: '2026-01-31' })).status, 200);
    // A custom span of exactly 731 days is allowed.
    assert.equal((await query(api(), { client_id: c, metric: 'events', period: 'custom', from: '2024-01-01', to: '2025-12-31' })).status, 200);
    const unknown = await query(api(), { client_id: c, metric: 'events', colour: 'red' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.code, 'unknown_field');
    assert.equal((await query(api(), { client_id: 'no-such-client', metric: 'events' })).status, 404);
  });
});
