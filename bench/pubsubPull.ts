/**
 * Pub/Sub pull throughput on the real app (SQLite MetaStore, DuckDB on disk): messages pulled and
 * acknowledged per second, in batches of 100 (`POST …/pull` with max_messages 100, then
 * `POST …/acknowledge` with the batch's ack ids), against what ingestion accepts per second
 * (`POST /batch`, 100 events per request) measured in the same run on the same machine, the two
 * sides alternated round after round. The ratio says whether one subscriber keeps up with the
 * traffic: below 1, a subscription's backlog grows while ingestion runs flat out (it is then drained
 * in the quieter hours, up to the retention limits).
 *
 * Ingestion rounds also make the backlog the pull rounds drain. Events come from ten clients, each
 * request from one client, so a batch of 100 messages is mostly one client's: pullers hold different
 * clients and work side by side, as the per-client order allows. The pullers run in a worker thread
 * (as autocannon's connections do), keeping the load generator off the server's event loop.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { DuckDbEventStore } from '../src/engines/duckdb/duckdbEventStore.js';
import { sha256Hex } from '../src/keys/secrets.js';
import { SqliteMetaStore } from '../src/store/sqlite/sqliteMetaStore.js';
import { runLoad, type LoadRequest } from './lib/autocannon.js';
import type { BenchConfig } from './lib/config.js';
import { listenOnLoopback, preflight } from './lib/http.js';
import { CHROME_UA, pageView } from './lib/ingestPayloads.js';
import { fmtInt, fmtRatio, markdownTable, textTable } from './lib/report.js';

const ADMIN_KEY = 'mk_bench_0123456789abcdef0123456789abcdef';
const ADMIN = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
const CLIENTS = 10;
const BATCH_SIZE = 100;
/** Pullers side by side (BENCH_PULLERS): one client's messages go to one holder at a time, so more pullers than clients with messages staged mostly get empty answers. */
const PULLERS = Number(process.env.BENCH_PULLERS ?? 4);

interface PullRound {
  acknowledged: number;
  pulls: number;
  empty: number;
  seconds: number;
}

/** The pullers, as plain JavaScript for a worker thread: pull 100, acknowledge them, again, until the time is up. */
const PULLER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { origin, subscription, authorization, durationSec, pullers } = workerData;
const headers = { authorization, 'content-type': 'application/json' };
const post = async (path, body) => {
  const response = await fetch(origin + '/api/v1/admin/pubsub/subscriptions/' + subscription + path, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== 200) throw new Error('POST ' + path + ': ' + response.status + ' ' + text.slice(0, 300));
  return JSON.parse(text).data;
};
(async () => {
  const started = performance.now();
  const deadline = started + durationSec * 1000;
  let acknowledged = 0, pulls = 0, empty = 0;
  await Promise.all(Array.from({ length: pullers }, async () => {
    while (performance.now() < deadline) {
      const { received_messages: messages } = await post('/pull', { max_messages: 100 });
      pulls += 1;
      if (messages.length === 0) { empty += 1; continue; }
      const { acknowledged: n } = await post('/acknowledge', { ack_ids: messages.map((m) => m.ack_id) });
      acknowledged += n;
    }
  }));
  parentPort.postMessage({ acknowledged, pulls, empty, seconds: (performance.now() - started) / 1000 });
})().catch((error) => parentPort.postMessage({ error: String(error && error.stack || error) }));
`;

function pullRound(origin: string, subscription: string, durationSec: number, pullers: number): Promise<PullRound> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(PULLER_SOURCE, { eval: true, workerData: { origin, subscription, authorization: ADMIN.authorization, durationSec, pullers } });
    worker.once('message', (result: PullRound | { error: string }) => {
      void worker.terminate();
      if ('error' in result) reject(new Error(`pullers failed: ${result.error}`));
      else resolve(result);
    });
    worker.once('error', reject);
  });
}

async function ingestRound(app: FastifyInstance, origin: string, requests: LoadRequest[], config: BenchConfig, durationSec: number): Promise<number> {
  const run = await runLoad({ url: origin, requests, durationSec, connections: config.connections, workers: config.workers });
  const unexpected = Object.entries(run.statusCounts).filter(([code, n]) => code !== '200' && code !== '503' && n > 0);
  if (unexpected.length > 0 || run.errors > 0) throw new Error(`ingestion: unexpected answers ${JSON.stringify(run.statusCounts)}, ${run.errors} errors`);
  // The pull round that follows drains a backlog that is in DuckDB, not still in the journal.
  await app.eventsSettled();
  return ((run.statusCounts['200'] ?? 0) * BATCH_SIZE) / durationSec;
}

export async function pubsubPullBenchmark(config: BenchConfig): Promise<{ met: boolean }> {
  const dir = await mkdtemp(join(tmpdir(), 'mythic-bench-pubsub-'));
  const store = new SqliteMetaStore(join(dir, 'meta.db'));
  const events = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
  let app: FastifyInstance | null = null;
  try {
    await store.migrate();
    await events.migrate();
    const noLimits = { rateLimits: { perIp: { perSecond: 0 }, perKey: { perSecond: 0 } } };
    app = await buildApp({ store, events, journalDir: join(dir, 'journal'), adminKeyHash: sha256Hex(ADMIN_KEY), logLevel: false, ingest: noLimits });
    const origin = await listenOnLoopback(app);
    const secretKeys: string[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const created = await preflight(origin, '/api/v1/clients', ADMIN, 201, { body: JSON.stringify({ id: `bench-${i}`, name: `Bench ${i}`, domain: `bench${i}.example.com` }) });
      secretKeys.push((created.body as { data: { secret_key: string } }).data.secret_key);
    }
    const subscribed = await preflight(origin, '/api/v1/admin/pubsub/subscriptions', ADMIN, 201, { body: JSON.stringify({ name: 'bench', type: 'pull' }) });
    const subscription = (subscribed.body as { data: { id: string } }).data.id;
    const bodies = Array.from({ length: 20 }, (_, k) => JSON.stringify({ batch: Array.from({ length: BATCH_SIZE }, (_, i) => pageView(k * BATCH_SIZE + i)) }));
    const requests: LoadRequest[] = bodies.flatMap((body) =>
      secretKeys.map((key) => ({ method: 'POST' as const, path: '/batch', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'user-agent': CHROME_UA }, body })),
    );

    const ingested: number[] = [];
    const pulled: PullRound[] = [];
    const log = (line: string): void => void process.stderr.write(`  ${line}\n`);
    // The first ingestion round is also the warm-up of both sides' backlog: nothing to pull before it.
    for (let round = 1; round <= config.rounds; round++) {
      if (config.warmupSec > 0 && round === 1) {
        await ingestRound(app, origin, requests, config, config.warmupSec);
        await pullRound(origin, subscription, config.warmupSec, PULLERS);
      }
      const perSec = await ingestRound(app, origin, requests, config, config.durationSec);
      ingested.push(perSec);
      log(`ingestion run ${round}/${config.rounds}: ${fmtInt(perSec)} events/s accepted`);
      const pull = await pullRound(origin, subscription, config.durationSec, PULLERS);
      pulled.push(pull);
      log(`pull run ${round}/${config.rounds}: ${fmtInt(pull.acknowledged / pull.seconds)} messages/s acknowledged (${fmtInt(pull.pulls)} pulls, ${fmtInt(pull.empty)} empty)`);
    }
    const remaining = await preflight(origin, `/api/v1/admin/pubsub/subscriptions/${subscription}`, { authorization: ADMIN.authorization }, 200);
    const backlog = (remaining.body as { data: { backlog: { messages: number } } }).data.backlog.messages;

    const pullRates = pulled.map((p) => p.acknowledged / p.seconds);
    const bestPull = Math.max(...pullRates);
    const bestIngest = Math.max(...ingested);
    const meanPull = pullRates.reduce((a, b) => a + b, 0) / pullRates.length;
    const meanIngest = ingested.reduce((a, b) => a + b, 0) / ingested.length;
    const ranDry = backlog === 0;
    process.stdout.write(
      [
        '',
        `== Pub/Sub pull: messages pulled and acknowledged (batches of ${BATCH_SIZE}, ${PULLERS} pullers) vs ingestion (POST /batch, ${BATCH_SIZE} events), SQLite + DuckDB on disk ==`,
        textTable(
          ['side', 'per s (best)', 'per s (mean)', 'per run'],
          [
            ['ingestion, events accepted', fmtInt(bestIngest), fmtInt(meanIngest), ingested.map(fmtInt).join(' / ')],
            ['pull + acknowledge, messages', fmtInt(bestPull), fmtInt(meanPull), pullRates.map(fmtInt).join(' / ')],
          ],
        ),
        `Ratio (pulled ÷ ingested): ${fmtRatio(bestPull / bestIngest)} (best runs), ${fmtRatio(meanPull / meanIngest)} (means); ${fmtInt(backlog)} messages left in the backlog${ranDry ? ' — WARNING: the backlog ran dry, the pull rate is a lower bound' : ''}`,
        '',
        'Markdown for the README:',
        '',
        markdownTable(
          ['Pub/Sub pull', 'per second', 'vs ingestion'],
          [
            [`\`POST /batch\`, ${BATCH_SIZE} events per request (the baseline)`, `${fmtInt(bestIngest)} events`, '1.00'],
            [`\`pull\` ${BATCH_SIZE} + \`acknowledge\`, ${PULLERS} pullers`, `${fmtInt(bestPull)} messages`, fmtRatio(bestPull / bestIngest)],
          ],
        ),
        '',
      ].join('\n'),
    );
    return { met: true };
  } finally {
    await app?.close().catch(() => undefined);
    await events.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
