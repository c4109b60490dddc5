import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientsService } from '../src/clients/service.js';
import { loadChdb } from '../src/engines/clickhouse/chdbConnection.js';
import { openClickHouseEventStore } from '../src/engines/clickhouse/clickhouseEventStore.js';
import { openConnection, type ClickHouseConnection } from '../src/engines/clickhouse/connection.js';
import { parseClickHouseUrl } from '../src/engines/clickhouse/url.js';
import { tablesOf } from '../src/engines/clickhouse/schema.js';
import { DuckDbEventStore } from '../src/engines/duckdb/duckdbEventStore.js';
import type { BuiltQuery } from '../src/engines/duckdb/scope.js';
import type { EventStore } from '../src/events/eventStore.js';
import { KeysService } from '../src/keys/service.js';
import type { FunnelInput, FunnelResultView, QueryInput, QueryResultView } from '../src/query/schemas.js';
import { QueryService } from '../src/query/service.js';
import type { Clock } from '../src/shared/clock.js';
import { systemClock } from '../src/shared/clock.js';
import { SqliteMetaStore } from '../src/store/sqlite/sqliteMetaStore.js';
import { copyIntoClickHouse } from './lib/clickhouseLoad.js';
import type { BenchConfig } from './lib/config.js';
import { approximationError, runBaseline, type Answer, type ApproximationError, type BaselinePeriod, type BaselineQuery } from './lib/queryBaseline.js';
import { peakRssMb, withPeakRss } from './lib/peakRss.js';
import { percentile, rotatedOrder } from './lib/queryStats.js';
import { fmtInt, fmtMs, fmtRatio, markdownTable, textTable } from './lib/report.js';
import { loadSyntheticEvents, type SyntheticLoad } from './lib/syntheticEvents.js';

export const BIG_CLIENT = 'bench-big';
export const BIG_CLIENT_ZONE = 'Europe/Berlin';
const SMALL_CLIENTS = Array.from({ length: 9 }, (_, i) => `bench-small-${i + 1}`);
const DAYS = 90;
/**
 * The synthetic traffic ends at this fixed instant, and the queries' "now" is just after its last
 * event: with a fixed seed, every run holds the same rows and asks about the same 30 days, so
 * answers (and what the timings are of) are the same from run to run, whatever the date.
 */
const DATA_END = Date.UTC(2026, 10, 30, 12, 0, 0);
const CHDB_DATABASE = 'bench';
/** Targets of issue 16: engine p50 ÷ the baseline's p50, at most. */
const TARGETS = { DuckDB: 1.0, ClickHouse: 0.9 } as const;
type EngineName = keyof typeof TARGETS;

function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got '${raw}'`);
  return value;
}

export type Request = { kind: 'report'; body: QueryInput } | { kind: 'funnel'; body: FunnelInput };
export interface DashboardQuery {
  label: string;
  request: Request;
  /** The target queries have a baseline; the extra rows are timed on the two engines only. */
  baseline?: BaselineQuery;
}

const FUNNEL_WINDOW_SECONDS = 86_400;

/** The dashboard's opening screen for one client, the four questions the targets are about. */
export const TARGET_QUERIES: DashboardQuery[] = [
  {
    label: 'visitors + page views by day',
    request: { kind: 'report', body: { client_id: BIG_CLIENT, metrics: ['unique_visitors', 'page_views'], dimensions: ['day'], period: '30d' } },
    baseline: { kind: 'days' },
  },
  {
    label: 'top 10 pages',
    request: { kind: 'report', body: { client_id: BIG_CLIENT, metrics: ['unique_visitors', 'page_views'], dimensions: ['path'], period: '30d', limit: 10 } },
    baseline: { kind: 'top', column: 'path', limit: 10 },
  },
  {
    label: 'top 10 referrers',
    request: { kind: 'report', body: { client_id: BIG_CLIENT, metrics: ['unique_visitors', 'page_views'], dimensions: ['referrer_host'], period: '30d', limit: 10 } },
    baseline: { kind: 'top', column: 'referrer_host', limit: 10 },
  },
  {
    label: '3-step funnel (1-day window)',
    request: {
      kind: 'funnel',
      body: { client_id: BIG_CLIENT, steps: [{ path: '/' }, { event: 'Product Added' }, { event: 'Order Completed' }], window_seconds: FUNNEL_WINDOW_SECONDS, period: '30d' },
    },
    baseline: { kind: 'funnel', windowSeconds: FUNNEL_WINDOW_SECONDS },
  },
];

/** Kept from the earlier bench as context (no target, no baseline): what visitors and visit attribution cost. */
const EXTRA_QUERIES: DashboardQuery[] = [
  { label: 'top 10 pages, page views only', request: { kind: 'report', body: { client_id: BIG_CLIENT, metrics: ['page_views'], dimensions: ['path'], period: '30d', limit: 10 } } },
  {
    label: 'top 10 referrers, credited to the visit',
    request: { kind: 'report', body: { client_id: BIG_CLIENT, metrics: ['unique_visitors', 'page_views'], dimensions: ['referrer_host'], period: '30d', limit: 10, attribution: 'visit' } },
  },
];

export type View = QueryResultView | FunnelResultView;

/** One side of the comparison: a way of answering the dashboard's questions. */
interface Side {
  name: string;
  /** undefined when this side does not answer the query (the baseline has no extra rows). */
  answer(query: DashboardQuery, period: BaselinePeriod): Promise<{ view?: View; answer: Answer } | undefined> | undefined;
}

/** One query answered exactly by an engine through the very service the HTTP routes call, in the baseline's shape too. */
export async function engineAnswer(queries: QueryService, query: DashboardQuery): Promise<{ view: View; answer: Answer }> {
  if (query.request.kind === 'funnel') {
    const view = await queries.funnel({ door: 'admin' }, query.request.body);
    return { view, answer: { kind: 'funnel', reached: view.steps.map((s) => s.count) } };
  }
  const view = await queries.query({ door: 'admin' }, query.request.body);
  const day = view.columns[0] === 'day';
  // A metric the query did not ask for is NaN: only the target queries' rows are compared.
  const column = (row: (string | number | null)[], name: string): number => (view.columns.includes(name) ? Number(row[view.columns.indexOf(name)]) : NaN);
  const rows = view.rows.map((row) => ({
    key: row[0] === null || row[0] === undefined ? null : day ? String(row[0]).slice(0, 10) : String(row[0]),
    visitors: column(row, 'unique_visitors'),
    pageViews: column(row, 'page_views'),
  }));
  return { view, answer: { kind: 'rows', rows } };
}

/** Our engine (planning and the engine's own lookups included, no HTTP framing). */
function engineSide(name: EngineName, queries: QueryService): Side {
  return { name, answer: (query) => engineAnswer(queries, query) };
}

function baselineSide(connection: ClickHouseConnection): Side {
  return {
    name: 'baseline',
    answer: (query, period) => (query.baseline === undefined ? undefined : runBaseline(connection, CHDB_DATABASE, query.baseline, period).then((answer) => ({ answer }))),
  };
}

interface Timed {
  query: DashboardQuery;
  /** Per side (in the order of the sides), ascending; empty for a side that does not answer it. */
  samples: number[][];
  /** The DuckDB statements of the query (recorded on the first warm-up run). */
  statements: BuiltQuery[];
  error?: ApproximationError;
  /** Whether the baseline's top rows are the exact answer's rows, in the same order. */
  sameRows?: boolean;
}

async function createClients(store: SqliteMetaStore): Promise<void> {
  const clients = new ClientsService(store, systemClock);
  await clients.create({ id: BIG_CLIENT, name: 'Bench big client', timezone: BIG_CLIENT_ZONE });
  for (const id of SMALL_CLIENTS) await clients.create({ id, name: id, timezone: 'America/Los_Angeles' });
}

/** Loads the events by SQL inside DuckDB into a file the store's own migrations created; returns the load time. */
async function loadEvents(path: string, load: SyntheticLoad): Promise<number> {
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

/** chDB is not a dependency (546 MB); without it the run measures DuckDB alone and says so. */
async function chdbMissing(): Promise<string | undefined> {
  try {
    await loadChdb();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The queries' "now": just after the file's last event, so a reused file is asked about its own last 30 days. */
async function lastEventPlusOne(events: DuckDbEventStore): Promise<number> {
  const [row] = await events.inspect({ sql: 'SELECT epoch_ms(max("timestamp")) AS last FROM events', params: [] });
  const last = Number(row?.[0]);
  if (!Number.isFinite(last)) throw new Error('the events file holds no events');
  return last + 1;
}

const pct = (n: number): string => `${(n * 100).toFixed(2)}%`;

/** The size of the ClickHouse engine's quarter-hour rollups of the queried client against its events (the rows its visitor reports read), and of both tables on disk. */
async function rollupRows(connection: ClickHouseConnection): Promise<string> {
  const tables = tablesOf(CHDB_DATABASE);
  const [row] = await connection.query<{ rollup: number; events: number }>(
    `SELECT (SELECT count() FROM ${tables.quarterRollup} WHERE client_id = {client:String}) AS rollup, (SELECT count() FROM ${tables.events} WHERE client_id = {client:String}) AS events`,
    { client: BIG_CLIENT },
  );
  const disk = await connection.query<{ name: string; mb: number }>(
    `SELECT table AS name, sum(bytes_on_disk) / 1048576 AS mb FROM system.parts WHERE database = {database:String} AND active AND table IN ('events', 'quarter_hour_rollup') GROUP BY table`,
    { database: CHDB_DATABASE },
  );
  const mb = (name: string): string => fmtInt(Number(disk.find((d) => d.name === name)?.mb ?? 0));
  return `quarter-hour rollup rows of ${BIG_CLIENT}: ${fmtInt(Number(row?.rollup))} for its ${fmtInt(Number(row?.events))} events (on disk, all clients: rollup ${mb('quarter_hour_rollup')} MB, events ${mb('events')} MB)`;
}

/**
 * Issue 16's query targets, checked in one run: the four dashboard questions over 10 million
 * events of one client and 1 million of each of 9 others (the same seeded rows in DuckDB and in
 * ClickHouse through chDB), answered exactly by the DuckDB engine and by the ClickHouse engine
 * through QueryService, and approximately by the baseline (raw ClickHouse SQL, Plausible's way).
 * The three sides alternate their order run by run so drift in the machine's load hits all
 * alike; p50 and p90 per side, the ratios engine ÷ baseline against the targets (WARNING when
 * missed), the engines' answers compared (a difference fails the run), uniq's error against the
 * exact answer, and the peak RSS. BENCH_QUERY_SCALE_PERCENT shrinks the data (100 = full size).
 */
export async function queryBenchmark(_config: BenchConfig): Promise<{ met: boolean }> {
  const scalePercent = intFromEnv('BENCH_QUERY_SCALE_PERCENT', 100, 1);
  const runs = intFromEnv('BENCH_QUERY_RUNS', 15, 1);
  const extraRuns = intFromEnv('BENCH_QUERY_EXTRA_RUNS', 5, 0);
  const warmups = intFromEnv('BENCH_QUERY_WARMUP', 2, 1);
  const seed = intFromEnv('BENCH_QUERY_SEED', 1, 0);
  const load: SyntheticLoad = {
    bigClient: { id: BIG_CLIENT, events: 100_000 * scalePercent },
    smallClients: SMALL_CLIENTS,
    smallEvents: 10_000 * scalePercent,
    end: DATA_END,
    days: DAYS,
    seed,
  };
  const total = load.bigClient.events + load.smallClients.length * load.smallEvents;
  const dir = await mkdtemp(join(tmpdir(), 'mythic-bench-query-'));
  const store = new SqliteMetaStore(join(dir, 'meta.db'));
  let duckdb: DuckDbEventStore | undefined;
  let clickhouse: EventStore | undefined;
  let baselineConnection: ClickHouseConnection | undefined;
  try {
    await store.migrate();
    await createClients(store);
    // BENCH_QUERY_EVENTS_FILE (and BENCH_QUERY_CHDB_DIR): time the queries on data an earlier run
    // loaded (loading takes minutes). The file is opened read-write: pass a copy.
    const reused = process.env.BENCH_QUERY_EVENTS_FILE;
    const eventsPath = reused ?? join(dir, 'events.duckdb');
    let loadText: string;
    if (reused === undefined) {
      process.stderr.write(`  loading ${fmtInt(total)} events (seed ${seed}; ${fmtInt(load.bigClient.events)} for ${BIG_CLIENT}, ${fmtInt(load.smallEvents)} for each of ${SMALL_CLIENTS.length} others) over ${DAYS} days…\n`);
      const loadMs = await loadEvents(eventsPath, load);
      loadText = `loaded in ${(loadMs / 1000).toFixed(1)} s by INSERT … SELECT inside DuckDB (seed ${seed})`;
      process.stderr.write(`  ${loadText} (${fmtInt(total / (loadMs / 1000))} rows/s)\n`);
    } else {
      loadText = `events reused from ${reused}`;
      process.stderr.write(`  reusing the events in ${reused} (not loaded by this run)\n`);
    }
    process.stderr.write(`  events file: ${fmtInt((await stat(eventsPath)).size / 1024 / 1024)} MB\n`);

    // The ClickHouse engine gets the same rows before DuckDB opens the file for the queries.
    const missing = await chdbMissing();
    let copyText = `ClickHouse not measured: ${missing ?? ''}`;
    if (missing === undefined) {
      const reusedChdb = process.env.BENCH_QUERY_CHDB_DIR;
      const url = `chdb:${reusedChdb ?? join(dir, 'chdb')}?database=${CHDB_DATABASE}`;
      clickhouse = await openClickHouseEventStore(url);
      if (reusedChdb === undefined) {
        process.stderr.write(`  copying the same rows into ClickHouse (chDB)…\n`);
        const copyMs = await copyIntoClickHouse(eventsPath, url, dir);
        copyText = `copied into ClickHouse (chDB) through Parquet in ${(copyMs / 1000).toFixed(1)} s`;
      } else copyText = `ClickHouse rows reused from ${reusedChdb}`;
      process.stderr.write(`  ${copyText}\n`);
      // The baseline's own connection shares the engine's chDB session: the same instance and rows.
      baselineConnection = await openConnection(parseClickHouseUrl(url));
      copyText += `; ${await rollupRows(baselineConnection)}`;
    } else process.stderr.write(`  ${copyText}\n`);

    const opened = await DuckDbEventStore.open(eventsPath);
    duckdb = opened;
    // A reused file may be an older release's (its rollups and counts are then made as this run reads).
    await opened.migrate();
    const now = await lastEventPlusOne(opened);
    const clock: Clock = () => now;
    // Days are finished by the data's clock too: the day of "now" stays unrolled, read from events, as it would be live.
    opened.rollupClock = clock;
    const service = (events: EventStore): QueryService => new QueryService(store, events, new KeysService(store, clock), clock);
    const sides: Side[] = [engineSide('DuckDB', service(opened))];
    if (clickhouse !== undefined) sides.push(engineSide('ClickHouse', service(clickhouse)));
    if (baselineConnection !== undefined) sides.push(baselineSide(baselineConnection));
    const baselineIndex = baselineConnection === undefined ? -1 : sides.length - 1;

    const queries = [...TARGET_QUERIES, ...(extraRuns > 0 ? EXTRA_QUERIES : [])];
    // The resident set while the queries run: the process's own peak includes the load before them.
    const { result: timed, peakRssMb: queryPeakMb } = await withPeakRss(async () => {
      const timed: Timed[] = [];
      for (const query of queries) {
        const isTarget = query.baseline !== undefined;
        const queryRuns = isTarget ? runs : extraRuns;
        const statements: BuiltQuery[] = [];
        // The period the engines answered for; the baseline is asked about the same instants.
        let period: BaselinePeriod = { clientId: BIG_CLIENT, timezone: BIG_CLIENT_ZONE, from: 0, to: 0 };
        const answers: ({ view?: View; answer: Answer } | undefined)[] = [];
        for (const [i, side] of sides.entries()) {
          const answered = await side.answer(query, period);
          if (i === 0 && answered?.view !== undefined) {
            period = { ...period, from: Date.parse(answered.view.period.from), to: Date.parse(answered.view.period.to) };
          }
          answers.push(answered);
          for (let w = 1; w < warmups; w++) await side.answer(query, period);
        }
        // The exact engines must agree to the last digit, or their timings are of different work.
        const exact = answers.slice(0, baselineIndex < 0 ? sides.length : baselineIndex);
        const reference = JSON.stringify(exact[0]?.view);
        for (const [i, other] of exact.entries()) {
          if (JSON.stringify(other?.view) !== reference) {
            throw new Error(`${query.label}: the ${sides[i]?.name} engine's answer differs from DuckDB's:\n  DuckDB: ${reference}\n  ${sides[i]?.name}: ${JSON.stringify(other?.view)}`);
          }
        }
        // The DuckDB engine rolls the period's finished days on its first reads (dayRollup.ts), and
        // counts a series by day on its first read of the rollup (dayCounts.ts), in the background:
        // waited for here, untimed, and its answers read from them must be the same.
        let rollMs = 0;
        for (const step of ['rolled', 'counted']) {
          const started = performance.now();
          await opened.settleRollups();
          rollMs += performance.now() - started;
          if (step === 'counted') opened.statementLog = statements;
          const again = await (sides[0] as Side).answer(query, period);
          opened.statementLog = undefined;
          if (JSON.stringify(again?.view) !== reference) throw new Error(`${query.label}: DuckDB's answer once its days are ${step} differs:\n  before: ${reference}\n  after: ${JSON.stringify(again?.view)}`);
        }
        if (rollMs >= 1) process.stderr.write(`  ${query.label}: waited ${fmtInt(rollMs)} ms for DuckDB to roll (and count) the period's finished days\n`);
        const first = exact[0]?.answer;
        process.stderr.write(`  ${query.label}: ${first?.kind === 'funnel' ? first.reached.map(fmtInt).join(' → ') : `${first?.rows.length ?? 0} rows, first ${JSON.stringify(first?.rows[0])}`} (engines agree)\n`);

        let error: ApproximationError | undefined;
        let sameRows: boolean | undefined;
        if (isTarget && baselineIndex >= 0 && first !== undefined && query.baseline !== undefined) {
          const approx = answers[baselineIndex]?.answer;
          // uniq's error over the exact top rows: the baseline's answer for all groups (untimed), not only its own top 10.
          const all = query.baseline.kind === 'top' ? await runBaseline(baselineConnection as ClickHouseConnection, CHDB_DATABASE, { ...query.baseline, limit: undefined }, period) : approx;
          if (all !== undefined) error = approximationError(first, all);
          process.stderr.write(`    baseline: ${approx?.kind === 'funnel' ? approx.reached.map(fmtInt).join(' → ') : `${approx?.rows.length ?? 0} rows, first ${JSON.stringify(approx?.rows[0])}`}\n`);
          if (approx?.kind === 'rows' && first.kind === 'rows') sameRows = JSON.stringify(approx.rows.map((r) => r.key)) === JSON.stringify(first.rows.filter((r) => r.visitors > 0).map((r) => r.key));
        }

        const samples: number[][] = sides.map(() => []);
        for (let run = 0; run < queryRuns; run++) {
          for (const i of rotatedOrder(sides.length, run)) {
            const started = performance.now();
            const answered = await (sides[i] as Side).answer(query, period);
            if (answered !== undefined) samples[i]?.push(performance.now() - started);
          }
        }
        timed.push({ query, samples: samples.map((s) => s.sort((a, b) => a - b)), statements, ...(error === undefined ? {} : { error }), ...(sameRows === undefined ? {} : { sameRows }) });
      }
      return timed;
    }, 25);

    const names = sides.map((s) => (s.name === 'baseline' ? 'CH uniq baseline' : `${s.name} engine`));
    const p = (t: Timed, i: number, at: number): number => percentile(t.samples[i] ?? [], at);
    const cell = (n: number): string => (Number.isNaN(n) ? '–' : fmtMs(n));
    const ratioOf = (t: Timed, i: number): number => (baselineIndex < 0 ? NaN : p(t, i, 50) / p(t, baselineIndex, 50));
    const engineCount = baselineIndex < 0 ? sides.length : baselineIndex;
    const ratioHeaders = baselineIndex < 0 ? [] : sides.slice(0, engineCount).map((s) => `${s.name}/baseline (≤ ${fmtRatio(TARGETS[s.name as EngineName])})`);
    const rows = timed.map((t) => [
      t.query.label,
      ...sides.flatMap((_, i) => [cell(p(t, i, 50)), cell(p(t, i, 90))]),
      ...sides.slice(0, ratioHeaders.length).map((_, i) => (t.query.baseline === undefined ? '–' : fmtRatio(ratioOf(t, i)))),
    ]);
    const missed: string[] = [];
    for (const t of timed) {
      if (t.query.baseline === undefined || baselineIndex < 0) continue;
      for (const [i, side] of sides.slice(0, engineCount).entries()) {
        const target = TARGETS[side.name as EngineName];
        const ratio = ratioOf(t, i);
        if (!(ratio <= target)) missed.push(`WARNING: ${t.query.label}: the ${side.name} engine takes ${fmtRatio(ratio)}× the baseline's p50 (${fmtMs(p(t, i, 50))} against ${fmtMs(p(t, baselineIndex, 50))} ms); the target is at most ${fmtRatio(target)}×.`);
      }
    }
    // Issue 16 asks for at least 10 timings per query: fewer make a quick check, not a measurement.
    if (runs < 10) missed.push(`WARNING: ${runs} timed runs per query (BENCH_QUERY_RUNS); the targets are checked on at least 10.`);
    if (baselineIndex < 0) missed.push('WARNING: no ClickHouse (chDB missing): the targets, ratios to the ClickHouse uniq baseline, were not checked.');
    const processPeakMb = peakRssMb();
    const sizes = `${fmtInt(total)} events (${fmtInt(load.bigClient.events)} of the queried client, ${fmtInt(load.smallEvents)} of each of ${SMALL_CLIENTS.length} others, ${DAYS} days)`;
    const how = `through QueryService (the service the HTTP routes call: planning and the engines' own lookups counted, no HTTP framing on any side), the baseline as raw SQL on the same chDB instance; DuckDB reads finished days from its day rollups and day counts, made during the warm-up; ${runs} timed runs per target query and side (${extraRuns} for the extra rows) after ${warmups} warm-up run(s), the sides' order rotating run by run`;
    const out = [
      '',
      `== Dashboard queries: ${names.join(', ')} (${sizes}) ==`,
      `Data: ${loadText}; ${copyText}. Period: the client's last 30 days (${BIG_CLIENT_ZONE}) before the data's end; ${how}; Node ${process.version}.`,
      '',
      textTable(['query', ...names.flatMap((n) => [`${n} p50 ms`, `p90`]), ...ratioHeaders], rows),
      '',
    ];
    if (baselineIndex >= 0) {
      out.push(
        `uniq(distinct_id) (and windowFunnel by id) against the exact answer, over the exact answer's rows:`,
        '',
        textTable(
          ['query', 'rows compared', 'max rel. error', 'mean rel. error', 'same top rows'],
          timed.filter((t) => t.error !== undefined).map((t) => [t.query.label, String(t.error?.compared ?? 0), pct(t.error?.maxRelative ?? 0), pct(t.error?.meanRelative ?? 0), t.sameRows === undefined ? '–' : t.sameRows ? 'yes' : 'no']),
        ),
        '',
        'Both engines gave identical exact answers to every query.',
      );
    }
    out.push(
      `Peak RSS: ${fmtInt(queryPeakMb)} MB while the queries ran (sampled every 25 ms); ${fmtInt(processPeakMb)} MB for the whole process, loading included (DuckDB and chDB both run in this process).`,
      '',
      'Markdown for the README:',
      '',
      markdownTable(
        ['Query (30 days, client\'s zone)', ...names.map((n) => `${n} p50 (ms)`), ...sides.slice(0, ratioHeaders.length).map((s) => `${s.name} ÷ baseline`)],
        timed
          .filter((t) => t.query.baseline !== undefined)
          .map((t) => [
            t.query.label,
            ...sides.map((_, i) => cell(p(t, i, 50))),
            ...sides.slice(0, ratioHeaders.length).map((s, i) => `${fmtRatio(ratioOf(t, i))} ${ratioOf(t, i) <= TARGETS[s.name as EngineName] ? '✅' : '❌'} (≤ ${fmtRatio(TARGETS[s.name as EngineName])})`),
          ]),
      ),
      '',
      `_${sizes}; ${runs} runs per query and side, order rotating, after warm-up, ${how.split(';')[0]}; peak RSS ${fmtInt(queryPeakMb)} MB; Node ${process.version}, \`npm run bench -- query\`._`,
      '',
      ...missed,
    );
    process.stdout.write(out.join('\n') + '\n');

    // Where DuckDB's time goes (BENCH_QUERY_EXPLAIN=1): the plans of its statements, to stderr.
    if (process.env.BENCH_QUERY_EXPLAIN === '1') {
      for (const t of timed) {
        for (const statement of t.statements) {
          const plan = await opened.inspect({ sql: `EXPLAIN ANALYZE ${statement.sql}`, params: statement.params });
          process.stderr.write(`\n-- EXPLAIN ANALYZE: ${t.query.label}\n${statement.sql}\n${plan.map((row) => String(row[1])).join('\n')}\n`);
        }
      }
    }
    return { met: missed.length === 0 };
  } finally {
    await baselineConnection?.close().catch(() => undefined);
    await clickhouse?.close().catch(() => undefined);
    await duckdb?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    // BENCH_QUERY_KEEP=1 leaves the loaded files for BENCH_QUERY_EVENTS_FILE / BENCH_QUERY_CHDB_DIR.
    if (process.env.BENCH_QUERY_KEEP === '1') process.stderr.write(`  kept this run's files in ${dir} (events.duckdb, chdb)\n`);
    else await rm(dir, { recursive: true, force: true });
  }
}
