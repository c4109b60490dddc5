import type { FastifyInstance } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { DuckDbEventStore } from '../src/engines/duckdb/duckdbEventStore.js';
import { sha256Hex } from '../src/keys/secrets.js';
import { SqliteMetaStore } from '../src/store/sqlite/sqliteMetaStore.js';
import { buildBareApp } from './lib/bareApp.js';
import { measureAlternately, type Target } from './lib/compare.js';
import type { BenchConfig } from './lib/config.js';
import { listenOnLoopback, preflight } from './lib/http.js';
import { printComparison, type ComparisonOutcome } from './lib/report.js';

/** Throwaway key: the server only listens on loopback and lives for this run. */
const ADMIN_KEY = 'mk_bench_0123456789abcdef0123456789abcdef';
const AUTH = { authorization: `Bearer ${ADMIN_KEY}` };
const CLIENT_COUNT = 1_000;
/** Ids the load cycles over: spread across the table so no single row is all that gets read. */
const CYCLED_IDS = 50;
const MIN_RATIO = 0.5;

const clientId = (i: number): string => `bench-client-${String(i).padStart(4, '0')}`;

/** Every optional field filled, so the stored row and the response are as large as a real client's. */
function clientBody(i: number): Record<string, unknown> {
  const id = clientId(i);
  return {
    id,
    name: `Bench Client ${i}`,
    domain: `${id}.bench.example.com`,
    email: `ops+${i}@bench.example.com`,
    phone: '+1-415-555-0198',
    website: `https://${id}.bench.example.com`,
    timezone: 'America/Los_Angeles',
    global_name: `benchClient${i}`,
    company_id: `cmp_${i}`,
    agency_id: `agency_${i % 10}`,
    api_metadata: { plan: 'enterprise', region: 'us-west' },
    ghl_location_id: `ghl_${i}`,
    proxy_api_key: `proxy_${i}_secret`,
  };
}

/** Through the real POST route (in-process inject), so the rows are exactly what the API writes. */
async function seedClients(app: FastifyInstance): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= CLIENT_COUNT; i++) {
    const response = await app.inject({ method: 'POST', url: '/api/v1/clients', headers: AUTH, payload: clientBody(i) });
    if (response.statusCode !== 201) throw new Error(`seeding client ${i}: ${response.statusCode} ${response.body}`);
    ids.push(clientId(i));
  }
  return ids;
}

function cycledIds(ids: string[]): string[] {
  const step = Math.max(1, Math.floor(ids.length / CYCLED_IDS));
  return ids.filter((_, i) => i % step === 0).slice(0, CYCLED_IDS);
}

/**
 * GET /api/v1/clients/{id} on the real app over SQLite, against a bare Fastify route returning a
 * payload of the same size. Target: at least half the bare route's throughput.
 */
export async function adminApiBenchmark(config: BenchConfig): Promise<ComparisonOutcome> {
  const dir = await mkdtemp(join(tmpdir(), 'mythic-bench-'));
  const store = new SqliteMetaStore(join(dir, 'meta.db'));
  let bare: FastifyInstance | undefined;
  let app: FastifyInstance | undefined;
  try {
    await store.migrate();
    const events = await DuckDbEventStore.open(':memory:');
    await events.migrate();
    app = await buildApp({ store, events, journalDir: join(dir, 'journal'), adminKeyHash: sha256Hex(ADMIN_KEY), logLevel: false });
    app.addHook('onClose', () => events.close());
    await app.ready();
    const started = Date.now();
    const ids = cycledIds(await seedClients(app));
    process.stderr.write(`  seeded ${CLIENT_COUNT} clients in ${Date.now() - started} ms; cycling over ${ids.length} ids\n`);
    bare = await buildBareApp();

    const bareOrigin = await listenOnLoopback(bare);
    const appOrigin = await listenOnLoopback(app);

    const barePaths = ids.map((id) => `/bare/${id}`);
    const adminPaths = ids.map((id) => `/api/v1/clients/${id}`);
    const bareCheck = await preflight(bareOrigin, barePaths[0] ?? '/bare/x');
    const adminCheck = await preflight(appOrigin, adminPaths[0] ?? '', AUTH);
    const adminData = (adminCheck.body as { data?: { id?: unknown } }).data;
    if (adminData?.id !== ids[0]) throw new Error(`preflight: expected client ${ids[0]}, got ${JSON.stringify(adminCheck.body)}`);

    const baseline: Target = {
      label: 'GET /bare/:id',
      origin: bareOrigin,
      requests: barePaths.map((path) => ({ path })),
      bodyBytes: bareCheck.bodyBytes,
    };
    const subject: Target = {
      label: 'GET /api/v1/clients/:id',
      origin: appOrigin,
      requests: adminPaths.map((path) => ({ path, headers: AUTH })),
      bodyBytes: adminCheck.bodyBytes,
    };
    const [baselineMeasured, subjectMeasured] = await measureAlternately([baseline, subject], config);
    if (!baselineMeasured || !subjectMeasured) throw new Error('measureAlternately returned fewer results than targets');

    return printComparison(
      {
        title: `Admin API read vs bare Fastify (SQLite, ${CLIENT_COUNT.toLocaleString('en-US')} clients)`,
        baseline: baselineMeasured,
        subject: subjectMeasured,
        minRatio: MIN_RATIO,
        targetText: `at least ${MIN_RATIO} on SQLite`,
        engine: 'SQLite',
      },
      config,
    );
  } finally {
    // Each step on its own so one failure does not leave the temp dir or a listening socket behind.
    await bare?.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
