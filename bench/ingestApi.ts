import type { FastifyInstance } from 'fastify';
import Fastify from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { DuckDbEventStore } from '../src/engines/duckdb/duckdbEventStore.js';
import { sha256Hex } from '../src/keys/secrets.js';
import { SqliteMetaStore } from '../src/store/sqlite/sqliteMetaStore.js';
import { engineIngestComparison } from './ingestEngines.js';
import type { StoredEvent } from '../src/events/eventStore.js';
import { enrich, type RequestFacts } from '../src/ingest/enrich.js';
import { acceptEvents, DEFAULT_LIMITS, unpackBody } from '../src/ingest/events.js';
import { shippedGeoLookup } from '../src/ingest/geo/openGeoLookup.js';
import type { IpStorage } from '../src/store/metaStore.js';
import { assertAllOk, runLoad } from './lib/autocannon.js';
import type { BenchConfig } from './lib/config.js';
import { listenOnLoopback, preflight } from './lib/http.js';
import { CHROME_UA, pageView } from './lib/ingestPayloads.js';
import { rawAppenderRate } from './lib/rawAppender.js';
import { fmtInt, fmtMs, fmtRatio, markdownTable, textTable } from './lib/report.js';
import { withPeakRss } from './lib/peakRss.js';

const ADMIN_KEY = 'bench-admin-key-0123456789abcdef0123456789';
/** Issue 16, target 4: single-event ingestion against the bare route, req/s. */
const SINGLE_MIN_RATIO = 0.45;
/** Issue 16, target 3: batched ingestion, all stored in DuckDB, against the raw appender rate of the same rows. */
const BATCH_MIN_RATIO = 0.5;
const BATCH_SIZE = 100;
/** Queue bound for the overload run: small, so the run reaches it within seconds. */
const OVERLOAD_QUEUE_EVENTS = 5_000;
const OVERLOAD_MAX_HEAP_GROWTH_MB = 256;
/**
 * The baseline: bare Fastify accepting the same bodies (text/plain JSON, parsed) and answering
 * the same envelope, with no auth, validation, enrichment or store.
 */
async function buildBareIngest(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.post('/bare/e', async (request) => {
    const body = request.body as { batch?: unknown[] };
    return { success: true, data: { received: Array.isArray(body.batch) ? body.batch.length : 1 } };
  });
  await app.ready();
  return app;
}

const mb = (bytes: number): number => bytes / 1024 / 1024;

const log = (line: string): void => {
  process.stderr.write(`  ${line}\n`);
};

/** One measured run of a route: rate (req/s for single events, events/s for batches), p99, peak RSS. */
interface RunFigures {
  rate: number;
  p99Ms: number;
  peakRssMb: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const range = (values: number[], fmt: (n: number) => string): string => `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`;

/**
 * The rows the app stores for `bodies`, made by the app's own validation and enrichment with the
 * facts a loopback request with the bench's headers has: what the raw appender is given.
 */
function enrichedRows(bodies: string[], clientId: string, ipStorage: IpStorage): StoredEvent[] {
  const now = Date.now();
  const facts: RequestFacts = { clientId, receivedAt: now, ip: '127.0.0.1', userAgent: CHROME_UA, ipStorage, ipHashSecret: Buffer.alloc(32, 1), geo: shippedGeoLookup() };
  return bodies.flatMap((body) =>
    acceptEvents(unpackBody(JSON.parse(body), DEFAULT_LIMITS), { trusted: true, now, limits: DEFAULT_LIMITS }).map((event) => enrich(event, facts)),
  );
}

/**
 * Ingestion into DuckDB on disk (SQLite MetaStore), rate limits off, each figure measured in this
 * run, targets alternating with their baselines (issue 16):
 *  1. single-event `POST /e?key=pk_…` vs the bare route (target ≥ 0.45 of its req/s);
 *  2. 100-event batches to `POST /batch` with an sk_, sustained until DuckDB holds every accepted
 *     event, vs DuckDB's raw appender taking the same enriched rows (target ≥ 0.5 of its rows/s);
 *  3. an overload run against a small queue: 503s instead of memory growth.
 * Peak RSS is reported per run (one process: the app, DuckDB and the appender baseline share it).
 */
export async function ingestionBenchmark(config: BenchConfig): Promise<{ met: boolean }> {
  const dir = await mkdtemp(join(tmpdir(), 'mythic-bench-ingest-'));
  const store = new SqliteMetaStore(join(dir, 'meta.db'));
  const events = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
  const apps: FastifyInstance[] = [];
  try {
    await store.migrate();
    await events.migrate();
    const noLimits = { rateLimits: { perIp: { perSecond: 0 }, perKey: { perSecond: 0 } } };
    const app = await buildApp({ store, events, journalDir: join(dir, 'journal'), adminKeyHash: sha256Hex(ADMIN_KEY), logLevel: false, ingest: noLimits });
    apps.push(app);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/clients',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      payload: { id: 'bench', name: 'Bench', domain: 'bench.example.com' },
    });
    const client = (created.json() as { data: { publishable_key: string; secret_key: string; ip_storage: IpStorage } }).data;
    const bare = await buildBareIngest();
    apps.push(bare);
    const appOrigin = await listenOnLoopback(app);
    const bareOrigin = await listenOnLoopback(bare);

    // 1. Single events, as the browser SDK sends them without batching.
    const singleBodies = Array.from({ length: 200 }, (_, i) => JSON.stringify(pageView(i)));
    const browserHeaders = { 'content-type': 'text/plain', 'user-agent': CHROME_UA, origin: 'https://bench.example.com' };
    const singlePath = `/e?key=${client.publishable_key}`;
    await preflight(appOrigin, singlePath, browserHeaders, 200, { body: singleBodies[0]! });
    await preflight(bareOrigin, '/bare/e', browserHeaders, 200, { body: singleBodies[0]! });
    const singleTargets = [
      { label: 'POST /bare/e (1 event)', origin: bareOrigin, path: '/bare/e' },
      { label: 'POST /e (1 event)', origin: appOrigin, path: singlePath },
    ];
    const singleRuns: RunFigures[][] = [[], []];
    for (let round = 1; round <= config.rounds; round += 1) {
      for (const [t, target] of singleTargets.entries()) {
        const load = (durationSec: number) =>
          runLoad({
            url: target.origin,
            requests: singleBodies.map((body) => ({ method: 'POST', path: target.path, headers: browserHeaders, body })),
            durationSec,
            connections: config.connections,
            workers: config.workers,
          });
        if (config.warmupSec > 0) assertAllOk(`${target.label} (warm-up)`, await load(config.warmupSec));
        const { result, peakRssMb } = await withPeakRss(() => load(config.durationSec));
        assertAllOk(target.label, result);
        singleRuns[t]!.push({ rate: result.reqPerSec, p99Ms: result.p99Ms, peakRssMb });
        log(`${target.label} run ${round}/${config.rounds}: ${result.reqPerSec.toFixed(0)} req/s, p99 ${result.p99Ms} ms, peak RSS ${peakRssMb.toFixed(0)} MB`);
      }
    }
    const [bareSingle, single] = singleRuns as [RunFigures[], RunFigures[]];
    // Round by round: each ratio compares runs made a few seconds apart.
    const singleRatios = single.map((run, i) => run.rate / (bareSingle[i] as RunFigures).rate);
    const singleRatio = median(singleRatios);

    // 2. Batches of 100, as a server-side integration sends them, alternating with the raw appender.
    const batchBodies = Array.from({ length: 20 }, (_, k) =>
      JSON.stringify({ batch: Array.from({ length: BATCH_SIZE }, (_, i) => pageView(k * BATCH_SIZE + i)) }),
    );
    const serverHeaders = { 'content-type': 'application/json', authorization: `Bearer ${client.secret_key}`, 'user-agent': CHROME_UA };
    await preflight(appOrigin, '/batch', serverHeaders, 200, { body: batchBodies[0]! });
    const rows = enrichedRows(batchBodies, 'bench', client.ip_storage);
    const rawRuns: RunFigures[] = [];
    const batchRuns: (RunFigures & { acknowledged: number; answers: Record<string, number> })[] = [];
    for (let round = 1; round <= config.rounds; round += 1) {
      if (config.warmupSec > 0 && round === 1) await rawAppenderRate(rows, config.warmupSec);
      const raw = await withPeakRss(() => rawAppenderRate(rows, config.durationSec));
      rawRuns.push({ rate: raw.result.rowsPerSec, p99Ms: Number.NaN, peakRssMb: raw.peakRssMb });
      log(`raw DuckDB appender run ${round}/${config.rounds}: ${raw.result.rowsPerSec.toFixed(0)} rows/s, peak RSS ${raw.peakRssMb.toFixed(0)} MB`);

      // Sustained, not burst: when DuckDB falls behind, the bounded queue answers 503 and those
      // events do not count; the clock runs until DuckDB holds every accepted event.
      await app.eventsSettled();
      const load = (durationSec: number) =>
        runLoad({
          url: appOrigin,
          requests: batchBodies.map((body) => ({ method: 'POST', path: '/batch', headers: serverHeaders, body })),
          durationSec,
          connections: config.connections,
          workers: config.workers,
        });
      if (config.warmupSec > 0 && round === 1) {
        await load(config.warmupSec);
        await app.eventsSettled();
      }
      const { result, peakRssMb } = await withPeakRss(async () => {
        const started = performance.now();
        const run = await load(config.durationSec);
        const acceptedSec = (performance.now() - started) / 1000;
        await app.eventsSettled();
        return { run, acceptedSec, storedSec: (performance.now() - started) / 1000 };
      });
      const { run, acceptedSec, storedSec } = result;
      const unexpected = Object.entries(run.statusCounts).filter(([code, n]) => code !== '200' && code !== '503' && n > 0);
      if (unexpected.length > 0 || run.errors > 0) throw new Error(`batch run: unexpected answers ${JSON.stringify(run.statusCounts)}, ${run.errors} errors`);
      const accepted = (run.statusCounts['200'] ?? 0) * BATCH_SIZE;
      batchRuns.push({ rate: accepted / storedSec, acknowledged: accepted / acceptedSec, p99Ms: run.p99Ms, peakRssMb, answers: run.statusCounts });
      log(
        `POST /batch run ${round}/${config.rounds}: ${(accepted / acceptedSec).toFixed(0)} events/s acknowledged, ${(accepted / storedSec).toFixed(0)}/s stored ` +
          `(all in DuckDB after ${storedSec.toFixed(1)} s), p99 ${run.p99Ms} ms, answers ${JSON.stringify(run.statusCounts)}, peak RSS ${peakRssMb.toFixed(0)} MB`,
      );
    }
    const batchRatios = batchRuns.map((run, i) => run.rate / (rawRuns[i] as RunFigures).rate);
    const batchRatio = median(batchRatios);
    const singleMet = singleRatio >= SINGLE_MIN_RATIO;
    const batchMet = batchRatio >= BATCH_MIN_RATIO;

    // 3. Overload: a small queue and many connections; memory must stay flat while 503s shed load.
    const overloaded = await buildApp({
      store,
      events,
      journalDir: join(dir, 'journal-overload'),
      adminKeyHash: sha256Hex(ADMIN_KEY),
      logLevel: false,
      ingest: noLimits,
      writer: { maxQueuedEvents: OVERLOAD_QUEUE_EVENTS },
    });
    apps.push(overloaded);
    const overloadOrigin = await listenOnLoopback(overloaded);
    // The JavaScript heap is where an unbounded queue would grow; RSS also holds DuckDB's buffer
    // cache, which grows with the data stored (bounded by DuckDB's memory_limit), so it is shown only.
    const before = process.memoryUsage();
    let heapPeak = before.heapUsed;
    let rssPeak = before.rss;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      heapPeak = Math.max(heapPeak, now.heapUsed);
      rssPeak = Math.max(rssPeak, now.rss);
    }, 50);
    const overload = await runLoad({
      url: overloadOrigin,
      requests: batchBodies.map((body) => ({ method: 'POST', path: '/batch', headers: serverHeaders, body })),
      durationSec: config.durationSec,
      connections: Math.max(100, config.connections * 10),
      workers: config.workers,
    });
    clearInterval(sampler);
    const shed = overload.statusCounts['503'] ?? 0;
    const unexpected = Object.entries(overload.statusCounts).filter(([code, n]) => code !== '200' && code !== '503' && n > 0);
    if (unexpected.length > 0) throw new Error(`overload run: unexpected answers ${JSON.stringify(overload.statusCounts)}`);
    const growth = mb(heapPeak - before.heapUsed);
    const overloadMet = growth <= OVERLOAD_MAX_HEAP_GROWTH_MB;

    const figures = (label: string, runs: RunFigures[], unit: string): (string | number)[] => [
      label,
      `${fmtInt(median(runs.map((r) => r.rate)))} ${unit}`,
      range(runs.map((r) => r.rate), fmtInt),
      runs.every((r) => Number.isNaN(r.p99Ms)) ? '–' : fmtMs(median(runs.map((r) => r.p99Ms))),
      fmtInt(Math.max(...runs.map((r) => r.peakRssMb))),
    ];
    const table = [
      figures('POST /bare/e, 1 event per request (baseline)', bareSingle, 'req/s'),
      figures('POST /e, 1 event per request', single, 'events/s'),
      figures(`raw DuckDB appender, same enriched rows, 20,000 per commit (baseline)`, rawRuns, 'rows/s'),
      figures(`POST /batch, ${BATCH_SIZE} events per request, until all are in DuckDB`, batchRuns, 'events/s'),
    ];
    const headers = ['run', 'rate (median)', 'range', 'p99 ms (median)', 'peak RSS MB'];
    const verdict = (met: boolean): string => (met ? 'MET' : 'NOT MET');
    process.stdout.write(
      [
        '',
        `== Ingestion (DuckDB on disk, journal group commit), ${config.rounds} rounds alternating with the baselines ==`,
        textTable(headers, table),
        `POST /batch acknowledged (before DuckDB caught up): ${range(batchRuns.map((r) => r.acknowledged), fmtInt)} events/s; answers ${batchRuns.map((r) => JSON.stringify(r.answers)).join(', ')}`,
        `Single / bare, per round: ${singleRatios.map(fmtRatio).join(', ')}; median ${fmtRatio(singleRatio)} (target >= ${SINGLE_MIN_RATIO}) -> ${verdict(singleMet)}`,
        `Batched / raw appender, per round: ${batchRatios.map(fmtRatio).join(', ')}; median ${fmtRatio(batchRatio)} (target >= ${BATCH_MIN_RATIO}) -> ${verdict(batchMet)}`,
        '',
        `== Overload: queue bound ${fmtInt(OVERLOAD_QUEUE_EVENTS)} events, ${Math.max(100, config.connections * 10)} connections ==`,
        `answers: ${JSON.stringify(overload.statusCounts)}, ${overload.errors} connection errors (${overload.timeouts} timeouts); accepted ${fmtInt((overload.statusCounts['200'] ?? 0) * BATCH_SIZE)} events, shed ${fmtInt(shed)} requests with 503`,
        `JS heap before ${fmtInt(mb(before.heapUsed))} MB, peak ${fmtInt(mb(heapPeak))} MB (growth ${fmtInt(growth)} MB; bound ${OVERLOAD_MAX_HEAP_GROWTH_MB} MB) -> ${verdict(overloadMet)}; RSS ${fmtInt(mb(before.rss))} -> ${fmtInt(mb(rssPeak))} MB`,
        '',
        'Markdown for the README:',
        '',
        markdownTable(
          ['Ingestion', 'rate (median)', 'range', 'p99 (ms)', 'peak RSS (MB)'],
          table,
        ),
        '',
        markdownTable(
          ['Ratio (same run, round by round)', 'median', 'range', 'Target'],
          [
            ['`POST /e` ÷ bare Fastify', fmtRatio(singleRatio), range(singleRatios, fmtRatio), `≥ ${SINGLE_MIN_RATIO} ${singleMet ? '✅' : '❌'}`],
            ['`POST /batch` (stored) ÷ raw appender', fmtRatio(batchRatio), range(batchRatios, fmtRatio), `≥ ${BATCH_MIN_RATIO} ${batchMet ? '✅' : '❌'}`],
            [`Overload (queue ${fmtInt(OVERLOAD_QUEUE_EVENTS)} events): ${fmtInt(shed)} × 503`, '–', '–', `JS heap +${fmtInt(growth)} MB ≤ ${OVERLOAD_MAX_HEAP_GROWTH_MB} ${overloadMet ? '✅' : '❌'}`],
          ],
        ),
        '',
      ].join('\n') + '\n',
    );
    // The same batched load per engine, DuckDB and ClickHouse (chDB) alternating: no target, the
    // figures. BENCH_INGEST_ENGINES=0 leaves it out (a quicker run of the targets alone).
    if (process.env.BENCH_INGEST_ENGINES !== '0') await engineIngestComparison(config);
    return { met: singleMet && batchMet && overloadMet };
  } finally {
    for (const app of apps) await app.close().catch(() => undefined);
    await events.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
