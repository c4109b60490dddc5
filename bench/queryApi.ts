import { DuckDBInstance } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { ClientsService } from '../src/clients/service.js';
import { loadChdb } from '../src/engines/clickhouse/chdbConnection.js';
import { openClickHouseEventStore } from '../src/engines/clickhouse/clickhouseEventStore.js';
import { DuckDbEventStore } from '../src/engines/duckdb/duckdbEventStore.js';
import type { EventStore } from '../src/events/eventStore.js';
import type { BuiltQuery } from '../src/engines/duckdb/scope.js';
import { sha256Hex } from '../src/keys/secrets.js';
import { systemClock } from '../src/shared/clock.js';
import { SqliteMetaStore } from '../src/store/sqlite/sqliteMetaStore.js';
import { copyIntoClickHouse } from './lib/clickhouseLoad.js';
import type { BenchConfig } from './lib/config.js';
import { listenOnLoopback } from './lib/http.js';
import { fmtInt, fmtMs, markdownTable, textTable } from './lib/report.js';
import { loadSyntheticEvents, type SyntheticLoad } from './lib/syntheticEvents.js';

const ADMIN_KEY = 'mk_bench_query_0123456789abcdef0123456789abcdef';
const AUTH = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
const BIG_CLIENT = 'bench-big';
const SMALL_CLIENTS = Array.from({ length: 9 }, (_, i) => `bench-small-${i + 1}`);
const TARGET_P50_MS = 300;
const DAYS = 90;

function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got '${raw}'`);
  return value;
}

/** The dashboard's opening screen for one client: what a person waits for when opening the analytics page. */
const DASHBOARD_QUERIES: { label: string; path: string; body: Record<string, unknown> }[] = [
  {
    label: '30-day visitors + page views by day',
    path: '/api/v1/query',
    body: { client_id: BIG_CLIENT, metrics: ['unique_visitors', 'page_views'], dimensions: ['day'], period: '30d' },
  },
  {
    label: 'top 10 pages (30 days)',
    path: '/api/v1/query',
    body: { client_id: BIG_CLIENT, metrics: ['unique_visitors', 'page_views'], dimensions: ['path'], period: '30d', limit: 10 },
  },
  {
    // Not a dashboard query: the same table without unique visitors, to show what the exact distinct count costs.
    label: 'top 10 pages, page views only',
    path: '/api/v1/query',
    body: { client_id: BIG_CLIENT, metrics: ['page_views'], dimensions: ['path'], period: '30d', limit: 10 },
  },
  {
    label: 'top 10 referrers (30 days)',
    path: '/api/v1/query',
    body: { client_id: BIG_CLIENT, metrics: ['unique_visitors', 'page_views'], dimensions: ['referrer_host'], period: '30d', limit: 10 },
  },
  {
    // The dashboard sends attribution visit: the referrer of each session's first event, one more aggregation and join.
    label: 'top 10 referrers, credited to the visit',
    path: '/api/v1/query',
    body: { client_id: BIG_CLIENT, metrics: ['unique_visitors', 'page_views'], dimensions: ['referrer_host'], period: '30d', limit: 10, attribution: 'visit' },
  },
  {
    label: 'top 10 pages from one referrer, credited to the visit',
    path: '/api/v1/query',
    body: {
      client_id: BIG_CLIENT,
      metrics: ['unique_visitors', 'page_views'],
      dimensions: ['path'],
      period: '30d',
      limit: 10,
      attribution: 'visit',
      filters: { referrer_host: { is: ['google.com'] } },
    },
  },
  {
    label: '3-step funnel (30 days, 1-day window)',
    path: '/api/v1/query/funnel',
    body: {
      client_id: BIG_CLIENT,
      steps: [{ path: '/' }, { event: 'Product Added' }, { event: 'Order Completed' }],
      window_seconds: 86_400,
      period: '30d',
    },
  },
];

interface Timed {
  label: string;
  /** Per engine (in the order of the engines), sorted. */
  samples: number[][];
  /** The statements the query service ran for this query (recorded on the warm-up run). */
  statements: BuiltQuery[];
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function post(origin: string, path: string, body: Record<string, unknown>): Promise<unknown> {
  const response = await fetch(origin + path, { method: 'POST', headers: AUTH, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST ${path} ${JSON.stringify(body)}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** Proof that the numbers are about real answers: rows for every day, ten pages, a narrowing funnel. */
function checkAnswer(label: string, body: unknown): string {
  const data = (body as { data: { rows?: unknown[][]; steps?: { count: number }[] } }).data;
  if (data.steps !== undefined) {
    const counts = data.steps.map((s) => s.count);
    if (!((counts[0] ?? 0) > 0)) throw new Error(`${label}: the funnel's first step is empty: ${JSON.stringify(data)}`);
    return counts.map(fmtInt).join(' → ');
  }
  const rows = data.rows ?? [];
  if (rows.length === 0) throw new Error(`${label}: no rows: ${JSON.stringify(data)}`);
  const first = rows[0] ?? [];
  return `${rows.length} rows, first ${JSON.stringify(first)}`;
}

/** Loads the events by SQL inside DuckDB into a file the store's own migrations created; returns the load time. */
async function createClients(store: SqliteMetaStore): Promise<void> {
  const clients = new ClientsService(store, systemClock);
  await clients.create({ id: BIG_CLIENT, name: 'Bench big client', timezone: 'Europe/Berlin' });
  for (const id of SMALL_CLIENTS) await clients.create({ id, name: id, timezone: 'America/Los_Angeles' });
}

async function loadEvents(path: string, load: SyntheticLoad): Promise<number> {
  // The schema comes from the store's own migrations; the rows are then written by a bulk statement.
  const schemaOnly = await DuckDbEventStore.open(path);
  await schemaOnly.migrate();
  await schemaOnly.close();
  const started = performance.now();
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    await loadSyntheticEvents(connection, load);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return performance.now() - started;
}

/** One engine under test: its own app over the same MetaStore, and the events of the same file. */
interface EngineUnderTest {
  name: string;
  origin: string;
  app: FastifyInstance;
  events: EventStore;
}

/** chDB is not a dependency (546 MB); without it the run measures DuckDB alone and says so. */
async function chdbMissing(): Promise<string | undefined> {
  try {
    await loadChdb();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const fmtRatioOf = (a: number, b: number): string => (a / b).toFixed(2);

/**
 * The dashboard's queries through the real HTTP API (admin key, loopback) over 10 million events
 * of one client and 1 million of each of 9 others, in DuckDB and, when chDB is installed, in
 * ClickHouse holding the very same rows: each run times both engines one after the other,
 * alternating which goes first, so drift in the machine's load hits both alike. Target: p50 under
 * 300 ms each. BENCH_QUERY_SCALE_PERCENT shrinks the data for a quick run (100 = the full size).
 */
export async function queryBenchmark(_config: BenchConfig): Promise<{ met: boolean }> {
  const scalePercent = intFromEnv('BENCH_QUERY_SCALE_PERCENT', 100, 1);
  const runs = intFromEnv('BENCH_QUERY_RUNS', 20, 1);
  const warmups = intFromEnv('BENCH_QUERY_WARMUP', 2, 1);
  const load: SyntheticLoad = {
    bigClient: { id: BIG_CLIENT, events: 100_000 * scalePercent },
    smallClients: SMALL_CLIENTS,
    smallEvents: 10_000 * scalePercent,
    end: Date.now(),
    days: DAYS,
  };
  const total = load.bigClient.events + load.smallClients.length * load.smallEvents;
  const dir = await mkdtemp(join(tmpdir(), 'mythic-bench-query-'));
  const store = new SqliteMetaStore(join(dir, 'meta.db'));
  const engines: EngineUnderTest[] = [];
  let duckdb: DuckDbEventStore | undefined;
  let clickhouse: EventStore | undefined;
  try {
    await store.migrate();
    await createClients(store);
    // BENCH_QUERY_EVENTS_FILE: time the queries on a file an earlier run loaded (kept; loading takes minutes).
    const reused = process.env.BENCH_QUERY_EVENTS_FILE;
    const eventsPath = reused ?? join(dir, 'events.duckdb');
    let loadMs = NaN;
    if (reused === undefined) {
      process.stderr.write(`  loading ${fmtInt(total)} events (${fmtInt(load.bigClient.events)} for ${BIG_CLIENT}, ${fmtInt(load.smallEvents)} for each of ${SMALL_CLIENTS.length} others) over ${DAYS} days…\n`);
      loadMs = await loadEvents(eventsPath, load);
      process.stderr.write(`  loaded in ${(loadMs / 1000).toFixed(1)} s (${fmtInt(total / (loadMs / 1000))} rows/s)\n`);
    } else process.stderr.write(`  reusing the events in ${reused} (not loaded by this run)\n`);
    process.stderr.write(`  events file: ${fmtInt((await stat(eventsPath)).size / 1024 / 1024)} MB\n`);

    // The ClickHouse engine gets the same rows before DuckDB opens the file for the queries.
    const missing = await chdbMissing();
    let copyMs = NaN;
    if (missing === undefined) {
      const url = `chdb:${join(dir, 'chdb')}?database=bench`;
      clickhouse = await openClickHouseEventStore(url);
      process.stderr.write(`  copying the same rows into ClickHouse (chDB)…\n`);
      copyMs = await copyIntoClickHouse(eventsPath, url, dir);
      process.stderr.write(`  copied in ${(copyMs / 1000).toFixed(1)} s\n`);
    } else process.stderr.write(`  ClickHouse not measured: ${missing}\n`);

    const opened = await DuckDbEventStore.open(eventsPath);
    duckdb = opened;
    const stores: [string, EventStore][] = [['DuckDB', opened]];
    if (clickhouse !== undefined) stores.push(['ClickHouse', clickhouse]);
    for (const [name, events] of stores) {
      const app = await buildApp({ store, events, journalDir: join(dir, `journal-${name}`), adminKeyHash: sha256Hex(ADMIN_KEY), logLevel: false });
      engines.push({ name, events, app, origin: await listenOnLoopback(app) });
    }

    const timed: Timed[] = [];
    const disagreements: string[] = [];
    for (const query of DASHBOARD_QUERIES) {
      const statements: BuiltQuery[] = [];
      opened.statementLog = statements;
      const answers: string[] = [];
      for (const engine of engines) {
        const answer = await post(engine.origin, query.path, query.body);
        if (engine.events === opened) opened.statementLog = undefined;
        process.stderr.write(`  ${query.label} (${engine.name}): ${checkAnswer(query.label, answer)}\n`);
        answers.push(JSON.stringify((answer as { data: unknown }).data));
        for (let i = 1; i < warmups; i++) await post(engine.origin, query.path, query.body);
      }
      // Timings are only comparable between engines that give the same answer.
      if (answers.some((a) => a !== answers[0])) disagreements.push(query.label);
      const samples: number[][] = engines.map(() => []);
      for (let run = 0; run < runs; run++) {
        const order = run % 2 === 0 ? engines.map((_, i) => i) : engines.map((_, i) => engines.length - 1 - i);
        for (const i of order) {
          const engine = engines[i] as EngineUnderTest;
          const started = performance.now();
          await post(engine.origin, query.path, query.body);
          samples[i]?.push(performance.now() - started);
        }
      }
      timed.push({ label: query.label, samples: samples.map((s) => s.sort((a, b) => a - b)), statements });
    }

    const p50 = (t: Timed, i: number): number => percentile(t.samples[i] ?? [], 50);
    const names = engines.map((e) => e.name);
    const ratioHeader = engines.length > 1 ? [`${names[1]} / ${names[0]}`] : [];
    const rows = timed.map((t) => [
      t.label,
      ...engines.flatMap((_, i) => [fmtMs(p50(t, i)), fmtMs(percentile(t.samples[i] ?? [], 95))]),
      ...(engines.length > 1 ? [fmtRatioOf(p50(t, 1), p50(t, 0))] : []),
    ]);
    const missed = timed.flatMap((t) => engines.flatMap((e, i) => (p50(t, i) >= TARGET_P50_MS ? [{ t, engine: e.name, ms: p50(t, i) }] : [])));
    const loadText = Number.isNaN(loadMs) ? `events reused from ${process.env.BENCH_QUERY_EVENTS_FILE}` : `loaded in ${(loadMs / 1000).toFixed(1)} s by INSERT … SELECT inside DuckDB`;
    const copyText = Number.isNaN(copyMs) ? 'ClickHouse not measured (chDB missing)' : `copied into ClickHouse (chDB) through Parquet in ${(copyMs / 1000).toFixed(1)} s`;
    const sizes = `${fmtInt(total)} events (${fmtInt(load.bigClient.events)} of the queried client, ${fmtInt(load.smallEvents)} of each of ${SMALL_CLIENTS.length} others, ${DAYS} days)`;
    const out = [
      '',
      `== Dashboard queries over HTTP, ${names.join(' and ')} (${sizes}) ==`,
      `Load: ${loadText}; ${copyText}; ${runs} timed runs per query and engine after ${warmups} warm-up run(s), engines alternating run by run; Node ${process.version}, loopback.`,
      '',
      textTable(['query', ...names.flatMap((n) => [`${n} p50 ms`, `${n} p95 ms`]), ...ratioHeader], rows),
      '',
      'Markdown for the README:',
      '',
      markdownTable(
        [`Query (30 days, client with ${fmtInt(load.bigClient.events)} events)`, ...names.map((n) => `${n} p50 (ms)`), ...ratioHeader, 'Target p50 < 300 ms'],
        timed.map((t) => [
          t.label,
          ...engines.map((_, i) => fmtMs(p50(t, i))),
          ...(engines.length > 1 ? [fmtRatioOf(p50(t, 1), p50(t, 0))] : []),
          engines.map((e, i) => `${e.name} ${p50(t, i) < TARGET_P50_MS ? '✅' : '❌'}`).join(', '),
        ]),
      ),
      '',
      `_${sizes}; ${loadText}; ${copyText}; ${runs} runs per query and engine, alternating, after warm-up, \`POST /api/v1/query\` / \`/query/funnel\` over loopback with the admin key; Node ${process.version}, \`npm run bench -- query\`._`,
      '',
    ];
    for (const m of missed) out.push(`WARNING: ${m.t.label} takes ${fmtMs(m.ms)} ms at p50 on ${m.engine}; the target is under ${TARGET_P50_MS} ms.`);
    for (const label of disagreements) out.push(`WARNING: the engines gave different answers to ${label}: its timings do not compare.`);
    process.stdout.write(out.join('\n') + '\n');

    // Where DuckDB's time goes in a slow query (or in all of them, with BENCH_QUERY_EXPLAIN=1).
    const explainAll = process.env.BENCH_QUERY_EXPLAIN === '1';
    const slowOnDuckDb = timed.filter((t) => p50(t, 0) >= TARGET_P50_MS);
    for (const t of explainAll ? timed : slowOnDuckDb) {
      for (const statement of t.statements) {
        const plan = await opened.inspect({ sql: `EXPLAIN ANALYZE ${statement.sql}`, params: statement.params });
        process.stderr.write(`\n-- EXPLAIN ANALYZE: ${t.label}\n${statement.sql}\n${plan.map((row) => String(row[1])).join('\n')}\n`);
      }
    }
    return { met: missed.length === 0 && disagreements.length === 0 };
  } finally {
    for (const engine of engines) await engine.app.close().catch(() => undefined);
    for (const engine of engines) await engine.events.close().catch(() => undefined);
    if (engines.length === 0) {
      await duckdb?.close().catch(() => undefined);
      await clickhouse?.close().catch(() => undefined);
    }
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
