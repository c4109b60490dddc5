import type { FastifyInstance } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { loadChdb } from '../src/engines/clickhouse/chdbConnection.js';
import { openClickHouseEventStore } from '../src/engines/clickhouse/clickhouseEventStore.js';
import { DuckDbEventStore } from '../src/engines/duckdb/duckdbEventStore.js';
import type { EventStore } from '../src/events/eventStore.js';
import { sha256Hex } from '../src/keys/secrets.js';
import { SqliteMetaStore } from '../src/store/sqlite/sqliteMetaStore.js';
import { runLoad } from './lib/autocannon.js';
import type { BenchConfig } from './lib/config.js';
import { listenOnLoopback, preflight } from './lib/http.js';
import { CHROME_UA, pageView } from './lib/ingestPayloads.js';
import { fmtInt, fmtMs, markdownTable, textTable } from './lib/report.js';

/**
 * Batched ingestion into each event engine: the same 100-event `POST /batch` load against an app
 * over DuckDB and one over ClickHouse through chDB, round by round, alternating which goes first.
 * A 2xx means the events are in the node's journal whatever the engine, so the acknowledged rate
 * differs only where the engine cannot keep up (the queue fills and sheds 503s); what the engine
 * itself costs shows in the rate at which the acknowledged events are stored, timed until the
 * last of them is readable.
 */

const ADMIN_KEY = 'bench-admin-key-engines-0123456789abcdef';
const BATCH_SIZE = 100;

interface Round {
  acknowledgedPerSec: number;
  storedPerSec: number;
  p99Ms: number;
  shed: number;
}

interface Subject {
  name: string;
  app: FastifyInstance;
  events: EventStore;
  origin: string;
  rounds: Round[];
}

async function measure(subject: Subject, bodies: string[], headers: Record<string, string>, config: BenchConfig): Promise<Round> {
  const started = performance.now();
  const run = await runLoad({
    url: subject.origin,
    requests: bodies.map((body) => ({ method: 'POST', path: '/batch', headers, body })),
    durationSec: config.durationSec,
    connections: config.connections,
    workers: config.workers,
  });
  const acceptedSec = (performance.now() - started) / 1000;
  await subject.app.eventsSettled();
  const storedSec = (performance.now() - started) / 1000;
  const unexpected = Object.entries(run.statusCounts).filter(([code, n]) => code !== '200' && code !== '503' && n > 0);
  if (unexpected.length > 0 || run.errors > 0) throw new Error(`${subject.name}: unexpected answers ${JSON.stringify(run.statusCounts)}, ${run.errors} errors`);
  const accepted = (run.statusCounts['200'] ?? 0) * BATCH_SIZE;
  return { acknowledgedPerSec: accepted / acceptedSec, storedPerSec: accepted / storedSec, p99Ms: run.p99Ms, shed: run.statusCounts['503'] ?? 0 };
}

export async function engineIngestComparison(config: BenchConfig): Promise<void> {
  try {
    await loadChdb();
  } catch (error) {
    process.stdout.write(`\n== Batched ingestion per engine: ClickHouse not measured: ${(error as Error).message} ==\n`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'mythic-bench-ingest-engines-'));
  const store = new SqliteMetaStore(join(dir, 'meta.db'));
  const subjects: Subject[] = [];
  try {
    await store.migrate();
    const duckdb = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
    await duckdb.migrate();
    const clickhouse = await openClickHouseEventStore(`chdb:${join(dir, 'chdb')}?database=bench`);
    const noLimits = { rateLimits: { perIp: { perSecond: 0 }, perKey: { perSecond: 0 } } };
    for (const [name, events] of [['DuckDB', duckdb], ['ClickHouse (chDB)', clickhouse]] as const) {
      const app = await buildApp({ store, events, journalDir: join(dir, `journal-${subjects.length}`), adminKeyHash: sha256Hex(ADMIN_KEY), logLevel: false, ingest: noLimits });
      subjects.push({ name, app, events, origin: await listenOnLoopback(app), rounds: [] });
    }
    const created = await subjects[0]!.app.inject({
      method: 'POST',
      url: '/api/v1/clients',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      payload: { id: 'bench-engines', name: 'Bench engines', domain: 'bench-engines.example.com' },
    });
    const secretKey = (created.json() as { data: { secret_key: string } }).data.secret_key;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${secretKey}`, 'user-agent': CHROME_UA };
    const bodies = Array.from({ length: 20 }, (_, k) => JSON.stringify({ batch: Array.from({ length: BATCH_SIZE }, (_, i) => pageView(k * BATCH_SIZE + i)) }));
    for (const subject of subjects) await preflight(subject.origin, '/batch', headers, 200, { body: bodies[0]! });
    for (let round = 0; round < config.rounds; round++) {
      const order = round % 2 === 0 ? subjects : [...subjects].reverse();
      for (const subject of order) {
        process.stderr.write(`  ${subject.name}, round ${round + 1} of ${config.rounds}…\n`);
        subject.rounds.push(await measure(subject, bodies, headers, config));
      }
    }
    const best = (s: Subject, key: 'acknowledgedPerSec' | 'storedPerSec'): number => Math.max(...s.rounds.map((r) => r[key]));
    const [duck, ch] = subjects as [Subject, Subject];
    const rows = subjects.map((s) => [
      s.name,
      fmtInt(best(s, 'acknowledgedPerSec')),
      fmtInt(best(s, 'storedPerSec')),
      fmtMs(Math.min(...s.rounds.map((r) => r.p99Ms))),
      fmtInt(s.rounds.reduce((n, r) => n + r.shed, 0)),
    ]);
    const ratio = (key: 'acknowledgedPerSec' | 'storedPerSec'): string => (best(ch, key) / best(duck, key)).toFixed(2);
    process.stdout.write(
      [
        '',
        `== Batched ingestion per engine: ${BATCH_SIZE} events per request, ${config.rounds} alternating rounds of ${config.durationSec} s ==`,
        textTable(['engine', 'acknowledged events/s (best)', 'stored events/s (best)', 'p99 ms (best)', '503 answers'], rows),
        `ClickHouse / DuckDB: acknowledged ${ratio('acknowledgedPerSec')}, stored ${ratio('storedPerSec')}`,
        '',
        'Markdown for the README:',
        '',
        markdownTable(['Engine', 'acknowledged events/s', 'stored events/s', 'p99 (ms)', '503 answers'], rows),
        '',
      ].join('\n') + '\n',
    );
  } finally {
    for (const subject of subjects) await subject.app.close().catch(() => undefined);
    for (const subject of subjects) await subject.events.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
