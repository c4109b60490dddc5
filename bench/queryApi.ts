import { DuckDBInstance } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { ClientsService } from '../src/clients/service.js';
import { DuckDbEventStore } from '../src/engines/duckdb/duckdbEventStore.js';
import type { BuiltQuery } from '../src/engines/duckdb/scope.js';
import { sha256Hex } from '../src/keys/secrets.js';
import { systemClock } from '../src/shared/clock.js';
import { SqliteMetaStore } from '../src/store/sqlite/sqliteMetaStore.js';
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
  samples: number[];
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

/**
 * The dashboard's queries through the real HTTP API (admin key, loopback) over DuckDB holding 10
 * million events of one client and 1 million of each of 9 others. Target: p50 under 300 ms each.
 * BENCH_QUERY_SCALE_PERCENT shrinks the data for a quick run (100 = the full size).
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
  let events: DuckDbEventStore | undefined;
  let app: FastifyInstance | undefined;
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

    const opened = await DuckDbEventStore.open(eventsPath);
    events = opened;
    app = await buildApp({ store, events: opened, journalDir: join(dir, 'journal'), adminKeyHash: sha256Hex(ADMIN_KEY), logLevel: false });
    const origin = await listenOnLoopback(app);

    const timed: Timed[] = [];
    for (const query of DASHBOARD_QUERIES) {
      const statements: BuiltQuery[] = [];
      opened.statementLog = statements;
      const answer = await post(origin, query.path, query.body);
      opened.statementLog = undefined;
      process.stderr.write(`  ${query.label}: ${checkAnswer(query.label, answer)}\n`);
      for (let i = 1; i < warmups; i++) await post(origin, query.path, query.body);
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        await post(origin, query.path, query.body);
        samples.push(performance.now() - started);
      }
      timed.push({ label: query.label, samples: samples.sort((a, b) => a - b), statements });
    }

    const rows = timed.map((t) => {
      const p50 = percentile(t.samples, 50);
      return [t.label, fmtMs(p50), fmtMs(percentile(t.samples, 95)), fmtMs(t.samples[0] ?? NaN), p50 < TARGET_P50_MS ? 'MET' : 'NOT MET'];
    });
    const missed = timed.filter((t) => percentile(t.samples, 50) >= TARGET_P50_MS);
    const loadText = Number.isNaN(loadMs) ? `events reused from ${process.env.BENCH_QUERY_EVENTS_FILE}` : `loaded in ${(loadMs / 1000).toFixed(1)} s by INSERT … SELECT inside DuckDB`;
    const sizes = `${fmtInt(total)} events in DuckDB (${fmtInt(load.bigClient.events)} of the queried client, ${fmtInt(load.smallEvents)} of each of ${SMALL_CLIENTS.length} others, ${DAYS} days)`;
    const out = [
      '',
      `== Dashboard queries over HTTP (${sizes}) ==`,
      `Load: ${loadText}; ${runs} timed runs per query after ${warmups} warm-up run(s), one at a time; Node ${process.version}, loopback.`,
      '',
      textTable(['query', 'p50 ms', 'p95 ms', 'min ms', `target p50 < ${TARGET_P50_MS} ms`], rows),
      '',
      'Markdown for the README:',
      '',
      markdownTable(
        ['Query (30 days, client with 10M events)', 'p50 (ms)', 'p95 (ms)', 'Target'],
        timed.map((t) => [t.label, fmtMs(percentile(t.samples, 50)), fmtMs(percentile(t.samples, 95)), `p50 < ${TARGET_P50_MS} ${percentile(t.samples, 50) < TARGET_P50_MS ? '✅' : '❌'}`]),
      ),
      '',
      `_${sizes}; ${loadText}; ${runs} runs per query after warm-up, \`POST /api/v1/query\` / \`/query/funnel\` over loopback with the admin key; Node ${process.version}, \`npm run bench -- query\`._`,
      '',
    ];
    for (const t of missed) out.push(`WARNING: ${t.label} takes ${fmtMs(percentile(t.samples, 50))} ms at p50; the target is under ${TARGET_P50_MS} ms.`);
    process.stdout.write(out.join('\n') + '\n');

    // Where the time goes in a slow query (or in all of them, with BENCH_QUERY_EXPLAIN=1).
    const explainAll = process.env.BENCH_QUERY_EXPLAIN === '1';
    for (const t of explainAll ? timed : missed) {
      for (const statement of t.statements) {
        const plan = await opened.inspect({ sql: `EXPLAIN ANALYZE ${statement.sql}`, params: statement.params });
        process.stderr.write(`\n-- EXPLAIN ANALYZE: ${t.label}\n${statement.sql}\n${plan.map((row) => String(row[1])).join('\n')}\n`);
      }
    }
    return { met: missed.length === 0 };
  } finally {
    await app?.close().catch(() => undefined);
    await events?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
