/**
 * Entry point of `npm run bench [-- name ...]`. Runs the named benchmarks (all when none is
 * named) in the order listed below. Benchmarks report rather than assert: a missed target prints
 * a WARNING and still exits 0; only an invalid run (errors, non-2xx responses) exits 1.
 */
import { adminApiBenchmark } from './adminApi.js';
import { ingestionBenchmark } from './ingestApi.js';
import { ingestStagesBenchmark } from './ingestStages.js';
import { pubsubPullBenchmark } from './pubsubPull.js';
import { describeConfig, readConfig, type BenchConfig } from './lib/config.js';
import { queryBenchmark } from './queryApi.js';
import { redirectBenchmark } from './redirect.js';

interface Benchmark {
  description: string;
  run(config: BenchConfig): Promise<{ met: boolean }>;
}

// New benchmarks (ingestion, queries) register here; the order is the run order.
const BENCHMARKS: Record<string, Benchmark> = {
  admin: { description: 'GET /api/v1/clients/:id (SQLite) vs a bare Fastify route', run: adminApiBenchmark },
  ingest: { description: 'POST /e, POST /batch and an overload run (DuckDB) vs a bare Fastify route', run: ingestionBenchmark },
  query: {
    description: 'the 4 dashboard queries over 10M + 9 × 1M seeded events: DuckDB and ClickHouse engines (exact, through QueryService) against ClickHouse uniq (Plausible\'s way), alternating: p50/p90, ratios to the baseline, answers compared, peak RSS',
    run: queryBenchmark,
  },
  redirect: { description: 'GET /l/<slug> (SQLite links, DuckDB clicks) vs a bare Fastify 302: req/s, and the p99 added at 200 req/s', run: redirectBenchmark },
  pubsub: { description: 'Pub/Sub pull + acknowledge, batches of 100 (SQLite, DuckDB) vs POST /batch ingestion in the same run, alternating: messages/s against events/s', run: pubsubPullBenchmark },
  'ingest-stages': { description: 'CPU per batched event, stage by stage (no HTTP, no disk): the ceiling of the ingestion pipeline', run: ingestStagesBenchmark },
};

function selected(names: string[]): [string, Benchmark][] {
  if (names.length === 0) return Object.entries(BENCHMARKS);
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(BENCHMARKS).join(', ')}`);
  }
  return names.map((n) => [n, BENCHMARKS[n] as Benchmark]);
}

async function main(): Promise<void> {
  const config = readConfig();
  const chosen = selected(process.argv.slice(2));
  process.stderr.write(`Benchmarks: ${chosen.map(([n]) => n).join(', ')}; ${describeConfig(config)}\n`);
  const missed: string[] = [];
  for (const [name, benchmark] of chosen) {
    process.stderr.write(`\n[${name}] ${benchmark.description}\n`);
    const outcome = await benchmark.run(config);
    if (!outcome.met) missed.push(name);
  }
  if (missed.length > 0) process.stdout.write(`WARNING: target missed by: ${missed.join(', ')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`\nBENCHMARK FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  // exitCode, not exit(): let the finally blocks finish closing servers and removing temp dirs.
  process.exitCode = 1;
});
