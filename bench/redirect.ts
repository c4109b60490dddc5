/**
 * The public redirect, `GET /l/<slug>` on the real app (SQLite links, DuckDB clicks: each request
 * looks its link up through the slug cache, writes a `$link_click` to the journal without waiting,
 * and answers 302), against a bare Fastify route answering the same 302 with the same headers, in
 * the same run, sides alternated. Then the latency each adds at a fixed 200 req/s: the p99 the
 * redirect adds over the bare route must stay under 5 ms (the target), and its throughput
 * at least half the bare route's.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { DuckDbEventStore } from '../src/engines/duckdb/duckdbEventStore.js';
import { sha256Hex } from '../src/keys/secrets.js';
import type { LinkRow } from '../src/links/linkRow.js';
import { SqliteMetaStore } from '../src/store/sqlite/sqliteMetaStore.js';
import { assertAllOk, runLoad, type LoadResult } from './lib/autocannon.js';
import { measureAlternately, type Target } from './lib/compare.js';
import type { BenchConfig } from './lib/config.js';
import { listenOnLoopback } from './lib/http.js';
import { fmtMs, markdownTable, printComparison } from './lib/report.js';

const ADMIN_KEY = 'mk_bench_0123456789abcdef0123456789abcdef';
const AUTH = { authorization: `Bearer ${ADMIN_KEY}` };
const LINK_COUNT = 50;
const MIN_RATIO = 0.5;
const FIXED_RATE = 200;
const MAX_ADDED_P99_MS = 5;
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const HEADERS = { 'user-agent': USER_AGENT, referer: 'https://news.example.com/story' };
const DESTINATION = 'https://shop.example.com/summer-sale?utm_source=newsletter';

const slugOf = (i: number): string => `bench-${String(i).padStart(3, '0')}`;

function linkRow(i: number, now: number): LinkRow {
  return {
    id: `lnk_bench${String(i).padStart(7, '0')}`,
    client_id: 'bench-client',
    slug: slugOf(i),
    slug_key: slugOf(i),
    destination_url: `${DESTINATION}&n=${i}`,
    title: null,
    tags: [],
    metadata: {},
    password_hash: null,
    expires_at: null,
    created_at: now,
    updated_at: now,
  };
}

/** The same answer without the app: a 302 of the same length and headers, from a route that knows nothing. */
async function buildBareRedirect(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get<{ Params: { slug: string } }>('/bare/:slug', (request, reply) =>
    reply.header('cache-control', 'private, no-store').redirect(`${DESTINATION}&n=${request.params.slug}&mlc=AbCdEfGhIjKl.AbCdEfGh.AbCdEfGh`, 302),
  );
  await app.ready();
  return app;
}

async function preflightRedirect(origin: string, path: string): Promise<void> {
  const response = await fetch(origin + path, { redirect: 'manual', headers: HEADERS });
  await response.arrayBuffer();
  if (response.status !== 302 || !response.headers.get('location')?.startsWith(DESTINATION)) {
    throw new Error(`preflight GET ${path}: expected a 302 to ${DESTINATION}…, got ${response.status} ${response.headers.get('location')}`);
  }
}

async function atFixedRate(target: Target, config: BenchConfig): Promise<LoadResult> {
  const result = await runLoad({
    url: target.origin,
    requests: target.requests,
    durationSec: config.durationSec,
    connections: config.connections,
    workers: config.workers,
    overallRate: FIXED_RATE,
  });
  assertAllOk(`${target.label} at ${FIXED_RATE} req/s`, result, 302);
  process.stderr.write(`  ${target.label} at ${FIXED_RATE} req/s: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.totalRequests} requests\n`);
  return result;
}

export async function redirectBenchmark(config: BenchConfig): Promise<{ met: boolean }> {
  const dir = await mkdtemp(join(tmpdir(), 'mythic-bench-redirect-'));
  const store = new SqliteMetaStore(join(dir, 'meta.db'));
  let bare: FastifyInstance | undefined;
  let app: FastifyInstance | undefined;
  try {
    await store.migrate();
    const events = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
    await events.migrate();
    app = await buildApp({ store, events, journalDir: join(dir, 'journal'), adminKeyHash: sha256Hex(ADMIN_KEY), logLevel: false });
    app.addHook('onClose', () => events.close());
    await app.ready();
    const created = await app.inject({ method: 'POST', url: '/api/v1/clients', headers: AUTH, payload: { id: 'bench-client', name: 'Bench client' } });
    if (created.statusCode !== 201) throw new Error(`creating the client: ${created.statusCode} ${created.body}`);
    for (let i = 0; i < LINK_COUNT; i++) {
      if ((await store.insertLink(linkRow(i, Date.now()))) !== 'inserted') throw new Error(`link ${i} not inserted`);
    }
    bare = await buildBareRedirect();
    const bareOrigin = await listenOnLoopback(bare);
    const appOrigin = await listenOnLoopback(app);
    const slugs = Array.from({ length: LINK_COUNT }, (_, i) => slugOf(i));
    await preflightRedirect(bareOrigin, `/bare/${slugs[0]}`);
    await preflightRedirect(appOrigin, `/l/${slugs[0]}`);

    const baseline: Target = { label: 'GET /bare/:slug (302)', origin: bareOrigin, requests: slugs.map((s) => ({ path: `/bare/${s}`, headers: HEADERS })), bodyBytes: 0, expectedStatus: 302 };
    const subject: Target = { label: 'GET /l/:slug', origin: appOrigin, requests: slugs.map((s) => ({ path: `/l/${s}?utm_campaign=june`, headers: HEADERS })), bodyBytes: 0, expectedStatus: 302 };
    const [baselineMeasured, subjectMeasured] = await measureAlternately([baseline, subject], config);
    if (!baselineMeasured || !subjectMeasured) throw new Error('measureAlternately returned fewer results than targets');
    const throughput = printComparison(
      {
        title: 'Redirect vs a bare Fastify 302 (SQLite links, DuckDB clicks)',
        baseline: baselineMeasured,
        subject: subjectMeasured,
        minRatio: MIN_RATIO,
        targetText: `at least ${MIN_RATIO}`,
        engine: 'SQLite + DuckDB',
      },
      config,
    );

    // Latency at a fixed, ordinary load: alternated as well, the better run of each side kept.
    const fixed = { bare: [] as LoadResult[], app: [] as LoadResult[] };
    for (let round = 0; round < config.rounds; round++) {
      fixed.bare.push(await atFixedRate(baseline, config));
      fixed.app.push(await atFixedRate(subject, config));
    }
    const best = (runs: LoadResult[]): LoadResult => runs.reduce((a, b) => (b.p99Ms < a.p99Ms ? b : a));
    const bareBest = best(fixed.bare);
    const appBest = best(fixed.app);
    const added = appBest.p99Ms - bareBest.p99Ms;
    const latencyMet = added < MAX_ADDED_P99_MS;
    process.stdout.write(
      [
        '',
        `== Redirect latency at a fixed ${FIXED_RATE} req/s (${config.connections} connections, ${config.durationSec} s, best of ${config.rounds}) ==`,
        markdownTable(
          ['Route', 'p50 (ms)', 'p99 (ms)'],
          [
            [`\`${baseline.label}\``, fmtMs(bareBest.p50Ms), fmtMs(bareBest.p99Ms)],
            [`\`${subject.label}\``, fmtMs(appBest.p50Ms), fmtMs(appBest.p99Ms)],
          ],
        ),
        `p99 added by the redirect: ${fmtMs(added)} ms; target under ${MAX_ADDED_P99_MS} ms -> ${latencyMet ? 'MET' : 'NOT MET'}`,
        '',
      ].join('\n') + '\n',
    );
    if (!latencyMet) process.stdout.write(`WARNING: the redirect adds ${fmtMs(added)} ms at p99 at ${FIXED_RATE} req/s; the target is under ${MAX_ADDED_P99_MS} ms.\n`);
    return { met: throughput.met && latencyMet };
  } finally {
    await bare?.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
