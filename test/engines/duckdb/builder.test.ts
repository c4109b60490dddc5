import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { duckdbFunnel, stepsCanShareRows } from '../../../src/engines/duckdb/funnel.js';
import { clickhouseReport } from '../../../src/engines/clickhouse/report.js';
import { tablesOf } from '../../../src/engines/clickhouse/schema.js';
import { duckdbReport } from '../../../src/engines/duckdb/report.js';
import type { ReportPlan } from '../../../src/query/plan.js';
import { planFilters } from '../../../src/query/filters.js';
import { FILTER_DIMENSIONS, type Dimension, type Metric } from '../../../src/query/schemas.js';
import { offsetSegments } from '../../../src/query/zone.js';

const HOSTILE = "x' OR 1=1; DROP TABLE events; --";
const from = Date.parse('2026-03-01T00:00:00Z');
const to = Date.parse('2026-11-30T00:00:00Z');
const reportPlan = (metrics: Metric[], dimensions: Dimension[], extra: Partial<ReportPlan> = {}): ReportPlan => ({
  clientId: 'c',
  from,
  to,
  filters: {},
  metrics,
  dimensions,
  offsets: [],
  ...extra,
});

describe('DuckDB query builder', () => {
  it('binds every value as a parameter: no input text reaches the SQL', () => {
    // Every filterable dimension, each operator in turn, with hostile values.
    const operators = [(v: string) => v, (v: string) => ({ is: [v, null] }), (v: string) => ({ is_not: [v] }), (v: string) => ({ contains: v })];
    const filters = planFilters({
      ...Object.fromEntries(FILTER_DIMENSIONS.map((f, i) => [f, (operators[i % operators.length] as (v: string) => unknown)(`${HOSTILE}${f}`)])),
      url_contains: HOSTILE,
      include_bots: true,
    });
    const plan: ReportPlan = {
      clientId: HOSTILE,
      from,
      to,
      filters,
      attribution: 'visit',
      metrics: ['unique_visitors', 'conversions', 'bounce_rate'],
      dimensions: ['day', 'entry_path', 'utm_source'],
      conversionEvent: HOSTILE,
      offsets: offsetSegments('Europe/Berlin', from, to),
      sortAndLimit: { orderBy: [{ column: 'bounce_rate', direction: 'desc' }], limit: 10 },
    };
    const report = duckdbReport(plan, true);
    const funnel = duckdbFunnel({ clientId: HOSTILE, from, to, filters, steps: [{ event: HOSTILE }, { path: HOSTILE }], windowMs: 60_000 }, true);
    for (const built of [report, funnel]) {
      assert.ok(!built.sql.includes('DROP'), built.sql);
      assert.ok(built.params.includes(HOSTILE));
    }
    // The offset changes of the period (two in Berlin) are parameters too.
    assert.ok(report.params.includes(Date.parse('2026-03-29T01:00:00Z')));
    assert.ok(report.params.includes(Date.parse('2026-10-25T01:00:00Z')));
  });

  it('tracks used event rows in a funnel only when two steps can match the same row', () => {
    const cases: [Parameters<typeof stepsCanShareRows>[0], boolean][] = [
      [[{ path: '/' }, { event: 'signup' }, { event: 'purchase' }], false],
      [[{ path: '/' }, { path: '/pricing' }], false],
      [[{ event: '$pageview' }, { event: 'signup' }], false],
      [[{ event: 'signup' }, { event: 'signup' }], true],
      [[{ path: '/' }, { event: 'signup' }, { path: '/' }], true],
      [[{ event: '$pageview' }, { path: '/home' }], true],
      [[{ path: '/home' }, { event: 'signup' }, { event: '$pageview' }], true],
    ];
    for (const [steps, shared] of cases) {
      assert.equal(stepsCanShareRows(steps), shared, JSON.stringify(steps));
      const built = duckdbFunnel({ clientId: 'c', from, to, filters: {}, steps, windowMs: 60_000 }, false);
      // The uuid is read only to keep one row from serving two steps.
      assert.equal(built.sql.includes('e.uuid'), shared, built.sql);
    }
  });

  it('refuses names outside the whitelists, whoever calls it', () => {
    const plan = (metrics: string[], dimensions: string[]): ReportPlan => reportPlan(metrics as Metric[], dimensions as Dimension[]);
    assert.throws(() => duckdbReport(plan(['page_views, 1; --'], []), false), /whitelist/);
    assert.throws(() => duckdbReport(plan(['page_views'], ['path; --']), false), /whitelist/);
  });

  it('joins the sessions’ first events only for visit attribution with a source dimension or filter, in both engines', () => {
    const plan = (attribution: 'event' | 'visit', dimensions: Dimension[], filters: ReportPlan['filters']): ReportPlan =>
      reportPlan(['page_views', 'bounce_rate'], dimensions, { filters, attribution, sortAndLimit: { orderBy: [{ column: 'page_views', direction: 'desc' }], limit: 10 } });
    const joins = (built: { sql: string }): boolean => / v ON v\.session_id = e\.session_id/.test(built.sql);
    const cases: [ReportPlan, boolean][] = [
      [plan('visit', ['path', 'entry_path'], planFilters({ path: { contains: 'a' }, country: 'DE', include_bots: true })), false],
      [plan('event', ['referrer_host'], planFilters({ utm_source: 'x' })), false],
      [plan('visit', ['referrer_host'], {}), true],
      [plan('visit', ['path'], planFilters({ utm_campaign: { is_not: [null] } })), true],
    ];
    for (const [built, expected] of cases) {
      assert.equal(joins(duckdbReport(built, false)), expected, JSON.stringify(built));
      assert.equal(joins(clickhouseReport(built, tablesOf('db'), { links: false, materialize: false })), expected, JSON.stringify(built));
    }
  });

  it('reads session ids only for session metrics or paths, and person keys only for visitors, in both engines', () => {
    const plan = (metrics: Metric[], dimensions: Dimension[]): ReportPlan =>
      reportPlan(metrics, dimensions, { sortAndLimit: { orderBy: [{ column: metrics[0] as Metric, direction: 'desc' }], limit: 10 } });
    const cases: [ReportPlan, { sessions: boolean; persons: boolean }][] = [
      [plan(['unique_visitors', 'page_views'], ['path']), { sessions: false, persons: true }],
      [plan(['page_views'], ['referrer_host']), { sessions: false, persons: false }],
      [plan(['sessions'], ['path']), { sessions: true, persons: false }],
      [plan(['bounce_rate', 'unique_visitors'], ['browser']), { sessions: true, persons: true }],
      [plan(['page_views'], ['entry_path']), { sessions: true, persons: false }],
    ];
    for (const [built, expected] of cases) {
      // ClickHouse: the columns its rows (`r`) carry from the period's events (`base`); sessions'
      // own facts (`sess`) read session_id either way.
      const clickhouse = clickhouseReport(built, tablesOf('db'), { links: false, materialize: false }).sql;
      assert.equal(/b\.session_id AS session_id/.test(clickhouse), expected.sessions, `ClickHouse session ids: ${JSON.stringify(built)}`);
      assert.equal(/b\.person_key AS person_key/.test(clickhouse), expected.persons, `ClickHouse person keys: ${JSON.stringify(built)}`);
      const duckdb = duckdbReport(built, false).sql;
      assert.equal(/\bsession_id\b/.test(duckdb), expected.sessions, `DuckDB session ids: ${JSON.stringify(built)}`);
      assert.equal(/\bperson_key\b/.test(duckdb), expected.persons, `DuckDB person keys: ${JSON.stringify(built)}`);
    }
  });
});
