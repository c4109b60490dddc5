/**
 * The ClickHouse engine (chDB in this process) against DuckDB on the same generated events:
 * loading, the cost of storing retries once, and the dashboard's top-pages report (p50 of
 * alternating runs). Prints figures, asserts nothing. Needs chdb (`npm install --no-save chdb@3.4.0`).
 *
 *   node --import tsx bench/clickhouseEngine.ts            # 1,000,000 events
 *   BENCH_EVENTS=300000 node --import tsx bench/clickhouseEngine.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConnection } from '../src/engines/clickhouse/connection.js';
import { openClickHouseEventStore } from '../src/engines/clickhouse/clickhouseEventStore.js';
import { clickhouseReport } from '../src/engines/clickhouse/report.js';
import { tablesOf } from '../src/engines/clickhouse/schema.js';
import { parseClickHouseUrl } from '../src/engines/clickhouse/url.js';
import { DuckDbEventStore } from '../src/engines/duckdb/duckdbEventStore.js';
import type { FunnelPlan, ReportPlan } from '../src/query/plan.js';
import type { StoredEvent } from '../src/events/eventStore.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const CHUNK = 20_000;
const CLIENT = 'bench-big';
const END = Date.parse('2026-03-31T00:00:00.000Z');
const DAYS = 30;
const PAGES = 500;

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chunkOf(start: number, count: number, next: () => number): StoredEvent[] {
  const events: StoredEvent[] = [];
  for (let i = start; i < start + count; i += 1) {
    const person = Math.floor(next() * (EVENTS / 25));
    const path = `/page/${Math.floor(next() ** 2 * PAGES)}`;
    const timestamp = END - DAYS * 86_400_000 + Math.floor((i / EVENTS) * DAYS * 86_400_000);
    events.push({
      client_id: CLIENT,
      uuid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      event: next() < 0.8 ? '$pageview' : 'click',
      distinct_id: `person-${person}`,
      timestamp,
      received_at: timestamp + 100,
      session_id: `s-${person}-${Math.floor(timestamp / 3_600_000)}`,
      device_id: null,
      anon_distinct_id: null,
      properties: '{}',
      url: `https://bench.test${path}`,
      host: 'bench.test',
      path,
      referrer: null,
      referrer_host: next() < 0.5 ? 'google.com' : null,
      utm_source: null,
      utm_medium: null,
      utm_campaign: null,
      utm_term: null,
      utm_content: null,
      browser: 'Chrome',
      browser_version: '131',
      os: 'Linux',
      device_type: 'desktop',
      is_bot: false,
      ip: null,
      country: null,
      region: null,
      city: null,
      link_id: null,
      user_agent: null,
    });
  }
  return events;
}

const p50 = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

const dir = mkdtempSync(join(tmpdir(), 'mythic-bench-ch-'));
const url = `chdb:${join(dir, 'ch')}?database=bench`;
const house = await openClickHouseEventStore(url);
const duck = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
await duck.migrate();
try {
  const next = random(42);
  let houseLoad = 0;
  let duckLoad = 0;
  for (let start = 0; start < EVENTS; start += CHUNK) {
    const events = chunkOf(start, Math.min(CHUNK, EVENTS - start), next);
    houseLoad += await timed(() => house.append(events, []));
    duckLoad += await timed(() => duck.append(events, []));
  }
  console.log(`loaded ${EVENTS.toLocaleString('en')} events in groups of ${CHUNK}: ClickHouse ${(houseLoad / 1000).toFixed(1)} s, DuckDB ${(duckLoad / 1000).toFixed(1)} s`);

  // Storing retries once: what a group of 100 events costs with the check (and race check).
  const group = (n: number, from: number): StoredEvent[] => chunkOf(EVENTS + from, n, next);
  const fresh: number[] = [];
  const retried: number[] = [];
  const duckFresh: number[] = [];
  for (let r = 0; r < RUNS; r += 1) {
    const events = group(100, r * 100);
    fresh.push(await timed(() => house.append(events, [])));
    retried.push(await timed(() => house.append(events.map((e) => ({ ...e, timestamp: e.timestamp + 1 })), [])));
    duckFresh.push(await timed(() => duck.append(group(100, 100_000 + r * 100), [])));
  }
  console.log(`append of 100 events (p50): ClickHouse new ${p50(fresh).toFixed(1)} ms, all retries ${p50(retried).toFixed(1)} ms; DuckDB new ${p50(duckFresh).toFixed(1)} ms`);

  const connection = await openConnection(parseClickHouseUrl(url));
  const tables = tablesOf('bench');
  const check = async (): Promise<number> =>
    timed(() => connection.query(`SELECT DISTINCT client_id, uuid FROM ${tables.events} WHERE client_id IN {c:Array(String)} AND uuid IN {u:Array(String)}`, { c: [CLIENT], u: group(100, 900_000).map((e) => e.uuid) }));
  const checks: number[] = [];
  for (let r = 0; r < RUNS; r += 1) checks.push(await check());
  console.log(`  of which one lookup of 100 uuids (p50): ${p50(checks).toFixed(1)} ms`);

  // Top pages, alternating engines.
  const plan: ReportPlan = {
    clientId: CLIENT,
    from: END - DAYS * 86_400_000,
    to: END,
    filters: {},
    metrics: ['unique_visitors', 'page_views'],
    dimensions: ['path'],
    offsets: [],
    sortAndLimit: { orderBy: [{ column: 'unique_visitors', direction: 'desc' }], limit: 10 },
  };
  const duckRead = (): Promise<unknown> => duck.report(plan);
  // The alternative dedup at query time: one row per uuid of the period (LIMIT 1 BY), then the same report.
  const built = clickhouseReport(plan, tables, { links: false, materialize: false });
  const limitOneBy = built.sql.replace(`FROM ${tables.events} AS e WHERE`, `FROM (SELECT *, person_key FROM ${tables.events} WHERE client_id = {p1:String} ORDER BY seq LIMIT 1 BY uuid) AS e WHERE`);
  const times = { house: [] as number[], duck: [] as number[], limitOneBy: [] as number[] };
  await house.report(plan);
  await duckRead();
  for (let r = 0; r < RUNS; r += 1) {
    times.house.push(await timed(() => house.report(plan)));
    times.duck.push(await timed(() => duckRead()));
    times.limitOneBy.push(await timed(() => connection.query(limitOneBy, built.params)));
  }
  console.log(
    `top 10 pages with unique visitors, 30 days (p50 of ${RUNS}): ClickHouse ${p50(times.house).toFixed(0)} ms, DuckDB ${p50(times.duck).toFixed(0)} ms, ` +
      `ratio ${(p50(times.house) / p50(times.duck)).toFixed(2)}; with query-time dedup (LIMIT 1 BY uuid) ${p50(times.limitOneBy).toFixed(0)} ms`,
  );

  // Session metrics: each session's facts, whole, then per entry page.
  const sessions: ReportPlan = { ...plan, metrics: ['bounce_rate', 'avg_session_duration', 'sessions'], dimensions: ['entry_path'], sortAndLimit: { orderBy: [{ column: 'sessions', direction: 'desc' }], limit: 10 } };
  const duckSessions = (): Promise<unknown> => duck.report(sessions);
  const sessionTimes = { house: [] as number[], duck: [] as number[] };
  for (let r = 0; r < RUNS; r += 1) {
    sessionTimes.house.push(await timed(() => house.report(sessions)));
    sessionTimes.duck.push(await timed(() => duckSessions()));
  }
  console.log(`bounce rate, duration and sessions by entry page (p50 of ${RUNS}): ClickHouse ${p50(sessionTimes.house).toFixed(0)} ms, DuckDB ${p50(sessionTimes.duck).toFixed(0)} ms`);

  // A three-step funnel over the month.
  const funnelPlan: FunnelPlan = { clientId: CLIENT, from: plan.from, to: plan.to, filters: {}, steps: [{ path: '/page/0' }, { path: '/page/1' }, { event: 'click' }], windowMs: 86_400_000 };
  const duckFunnel = (): Promise<unknown> => duck.funnel(funnelPlan);
  const funnelTimes = { house: [] as number[], duck: [] as number[] };
  for (let r = 0; r < RUNS; r += 1) {
    funnelTimes.house.push(await timed(() => house.funnel(funnelPlan)));
    funnelTimes.duck.push(await timed(() => duckFunnel()));
  }
  console.log(`three-step funnel (p50 of ${RUNS}): ClickHouse ${p50(funnelTimes.house).toFixed(0)} ms, DuckDB ${p50(funnelTimes.duck).toFixed(0)} ms`);
  await connection.close();
} finally {
  await house.close();
  await duck.close();
  rmSync(dir, { recursive: true, force: true });
}
