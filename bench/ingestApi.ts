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
import { runLoad } from './lib/autocannon.js';
import { measureAlternately, type Target } from './lib/compare.js';
import type { BenchConfig } from './lib/config.js';
import { listenOnLoopback, preflight } from './lib/http.js';
import { CHROME_UA, pageView } from './lib/ingestPayloads.js';
import { fmtInt, fmtMs, fmtRatio, markdownTable, printComparison, textTable } from './lib/report.js';

const ADMIN_KEY = 'bench-admin-key-0123456789abcdef0123456789';
const SINGLE_MIN_RATIO = 0.4;
const BATCH_MIN_EVENTS_PER_SEC = 150_000;
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

/**
 * Ingestion into DuckDB on disk (SQLite MetaStore), rate limits off:
 *  1. single-event `POST /e?key=pk_…` vs the bare route (target ≥ 0.4 of its req/s);
 *  2. 100-event batches to `POST /batch` with an sk_ (target ≥ 150,000 events/s);
 *  3. an overload run against a small queue: 503s instead of memory growth.
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
    const client = (created.json() as { data: { publishable_key: string; secret_key: string } }).data;
    const bare = await buildBareIngest();
    apps.push(bare);
    const appOrigin = await listenOnLoopback(app);
    const bareOrigin = await listenOnLoopback(bare);

    // 1. Single events, as the browser SDK sends them without batching.
    const singleBodies = Array.from({ length: 200 }, (_, i) => JSON.stringify(pageView(i)));
    const browserHeaders = { 'content-type': 'text/plain', 'user-agent': CHROME_UA, origin: 'https://bench.example.com' };
    const singlePath = `/e?key=${client.publishable_key}`;
    const subjectCheck = await preflight(appOrigin, singlePath, browserHeaders, 200, { body: singleBodies[0]! });
    const bareCheck = await preflight(bareOrigin, '/bare/e', browserHeaders, 200, { body: singleBodies[0]! });
    const [bareSingle, single] = await measureAlternately(
      [
        { label: 'POST /bare/e', origin: bareOrigin, requests: singleBodies.map((body) => ({ method: 'POST', path: '/bare/e', headers: browserHeaders, body })), bodyBytes: bareCheck.bodyBytes },
        { label: 'POST /e (1 event)', origin: appOrigin, requests: singleBodies.map((body) => ({ method: 'POST', path: singlePath, headers: browserHeaders, body })), bodyBytes: subjectCheck.bodyBytes },
      ] satisfies Target[],
      config,
    );
    if (!bareSingle || !single) throw new Error('measureAlternately returned fewer results than targets');
    const singleOutcome = printComparison(
      {
        title: 'Ingestion, one event per request: POST /e vs bare Fastify (DuckDB on disk, group commit)',
        baseline: bareSingle,
        subject: single,
        minRatio: SINGLE_MIN_RATIO,
        targetText: `at least ${SINGLE_MIN_RATIO} of the bare route`,
        engine: 'DuckDB',
      },
      config,
    );

    // 2. Batches of 100, as a server-side integration sends them.
    const batchBodies = Array.from({ length: 20 }, (_, k) =>
      JSON.stringify({ batch: Array.from({ length: BATCH_SIZE }, (_, i) => pageView(k * BATCH_SIZE + i)) }),
    );
    const serverHeaders = { 'content-type': 'application/json', authorization: `Bearer ${client.secret_key}`, 'user-agent': CHROME_UA };
    await preflight(appOrigin, '/batch', serverHeaders, 200, { body: batchBodies[0]! });
    const [bareBatch] = await measureAlternately(
      [
        { label: `POST /bare/e (${BATCH_SIZE} events)`, origin: bareOrigin, requests: batchBodies.map((body) => ({ method: 'POST', path: '/bare/e', headers: serverHeaders, body })), bodyBytes: 0 },
      ] satisfies Target[],
      config,
    );
    if (!bareBatch) throw new Error('measureAlternately returned fewer results than targets');
    // Sustained, not burst: when DuckDB falls behind, the bounded queue answers 503 and those
    // events do not count; the clock also runs until DuckDB holds every accepted event.
    await app.eventsSettled();
    const batchStarted = performance.now();
    const batchRun = await runLoad({
      url: appOrigin,
      requests: batchBodies.map((body) => ({ method: 'POST', path: '/batch', headers: serverHeaders, body })),
      durationSec: config.durationSec,
      connections: config.connections,
      workers: config.workers,
    });
    const acceptedSec = (performance.now() - batchStarted) / 1000;
    await app.eventsSettled();
    const storedSec = (performance.now() - batchStarted) / 1000;
    const unexpectedBatch = Object.entries(batchRun.statusCounts).filter(([code, n]) => code !== '200' && code !== '503' && n > 0);
    if (unexpectedBatch.length > 0 || batchRun.errors > 0) {
      throw new Error(`batch run: unexpected answers ${JSON.stringify(batchRun.statusCounts)}, ${batchRun.errors} errors`);
    }
    const acceptedEvents = (batchRun.statusCounts['200'] ?? 0) * BATCH_SIZE;
    const eventsPerSec = acceptedEvents / acceptedSec;
    const storedPerSec = acceptedEvents / storedSec;
    const batchMet = eventsPerSec >= BATCH_MIN_EVENTS_PER_SEC;

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

    const rows = [
      [bareBatch.target.label, fmtInt(bareBatch.best.reqPerSec * BATCH_SIZE), fmtMs(bareBatch.best.p99Ms)],
      [`POST /batch (${BATCH_SIZE} events), acknowledged`, fmtInt(eventsPerSec), fmtMs(batchRun.p99Ms)],
      [`  of which in DuckDB, until the last is stored`, fmtInt(storedPerSec), '–'],
    ];
    process.stdout.write(
      [
        '',
        `== Batched ingestion: ${BATCH_SIZE} events per request (DuckDB on disk) ==`,
        textTable(['route', 'events/s (best)', 'p99 ms'], rows),
        `answers: ${JSON.stringify(batchRun.statusCounts)}; ${fmtInt(acceptedEvents)} events acknowledged in ${acceptedSec.toFixed(1)} s, all in DuckDB after ${storedSec.toFixed(1)} s`,
        `Target: at least ${fmtInt(BATCH_MIN_EVENTS_PER_SEC)} events/s -> ${batchMet ? 'MET' : 'NOT MET'}`,
        '',
        `== Overload: queue bound ${fmtInt(OVERLOAD_QUEUE_EVENTS)} events, ${Math.max(100, config.connections * 10)} connections ==`,
        `answers: ${JSON.stringify(overload.statusCounts)}, ${overload.errors} connection errors (${overload.timeouts} timeouts); accepted ${fmtInt((overload.statusCounts['200'] ?? 0) * BATCH_SIZE)} events, shed ${fmtInt(shed)} requests with 503`,
        `JS heap before ${fmtInt(mb(before.heapUsed))} MB, peak ${fmtInt(mb(heapPeak))} MB (growth ${fmtInt(growth)} MB; bound ${OVERLOAD_MAX_HEAP_GROWTH_MB} MB) -> ${overloadMet ? 'MET' : 'NOT MET'}; RSS ${fmtInt(mb(before.rss))} -> ${fmtInt(mb(rssPeak))} MB`,
        '',
        'Markdown for the README:',
        '',
        markdownTable(
          ['Ingestion', 'events/s', 'p99 (ms)', 'vs bare Fastify', 'Target'],
          [
            ['`POST /e`, 1 event per request', fmtInt(single.best.reqPerSec), fmtMs(single.best.p99Ms), fmtRatio(singleOutcome.ratio), `≥ ${SINGLE_MIN_RATIO} ${singleOutcome.met ? '✅' : '❌'}`],
            [`\`POST /batch\`, ${BATCH_SIZE} events per request (stored in DuckDB: ${fmtInt(storedPerSec)}/s)`, fmtInt(eventsPerSec), fmtMs(batchRun.p99Ms), fmtRatio(eventsPerSec / (bareBatch.best.reqPerSec * BATCH_SIZE)), `≥ ${fmtInt(BATCH_MIN_EVENTS_PER_SEC)} events/s ${batchMet ? '✅' : '❌'}`],
            ['Overload (queue 5,000 events)', `${fmtInt(shed)} × 503`, fmtMs(overload.p99Ms), '–', `JS heap +${fmtInt(growth)} MB ≤ ${OVERLOAD_MAX_HEAP_GROWTH_MB} ${overloadMet ? '✅' : '❌'}`],
          ],
        ),
        '',
      ].join('\n') + '\n',
    );
    // The same batched load per engine, DuckDB and ClickHouse (chDB) alternating: no target, the figures.
    await engineIngestComparison(config);
    return { met: singleOutcome.met && batchMet && overloadMet };
  } finally {
    for (const app of apps) await app.close().catch(() => undefined);
    await events.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
