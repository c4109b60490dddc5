import { DuckDbEventStore } from '../src/engines/duckdb/duckdbEventStore.js';
import type { StoredEvent } from '../src/events/eventStore.js';
import { enrich, identityLinks, type RequestFacts } from '../src/ingest/enrich.js';
import { shippedGeoLookup } from '../src/ingest/geo/openGeoLookup.js';
import { acceptEvents, DEFAULT_LIMITS, unpackBody } from '../src/ingest/events.js';
import { CHROME_UA, pageView } from './lib/ingestPayloads.js';
import { rawAppenderRate } from './lib/rawAppender.js';
import { fmtInt, markdownTable, textTable } from './lib/report.js';

const BATCH_SIZE = 100;
const TARGET_EVENTS_PER_SEC = 150_000;
/** Events per DuckDB transaction, as the writer groups them under load. */
const APPLY_GROUP = 20_000;

/** Mean microseconds per event of `stage`, run over the same 100-event body until about `ms` have passed. */
function microsPerEvent(ms: number, stage: () => void): number {
  for (let i = 0; i < 50; i += 1) stage();
  let runs = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    stage();
    runs += 1;
  }
  return ((performance.now() - started) * 1000) / (runs * BATCH_SIZE);
}

/**
 * Where a batched event's CPU goes, stage by stage, in this process with no HTTP and no disk:
 * the ceiling any ingestion route built from these stages can reach on one JavaScript thread.
 * JSON.parse alone is what the bare Fastify baseline does per event besides HTTP.
 */
export async function ingestStagesBenchmark(): Promise<{ met: boolean }> {
  const text = JSON.stringify({ batch: Array.from({ length: BATCH_SIZE }, (_, i) => pageView(i)) });
  const now = Date.now();
  const facts: RequestFacts = {
    clientId: 'bench',
    receivedAt: now,
    // A public address, so enrichment includes its location lookup (a documentation one skips it).
    ip: '80.128.0.7',
    userAgent: CHROME_UA,
    ipStorage: 'truncated',
    ipHashSecret: Buffer.alloc(32, 1),
    geo: shippedGeoLookup(),
  };
  const accept = () => acceptEvents(unpackBody(JSON.parse(text), DEFAULT_LIMITS), { trusted: true, now, limits: DEFAULT_LIMITS });
  const accepted = accept();
  const rows = accepted.map((event) => enrich(event, facts));

  const parse = microsPerEvent(1000, () => JSON.parse(text));
  // acceptEvents edits the parsed objects in place, so each run parses afresh; parse is subtracted.
  const validate = microsPerEvent(1000, accept) - parse;
  const enrichment = microsPerEvent(1000, () => accepted.map((event) => enrich(event, facts)));
  const journalLine = microsPerEvent(1000, () => JSON.stringify({ events: rows, links: identityLinks(accepted, 'bench') }));

  // DuckDB in memory: the transaction the writer runs for a large group, wall time per event.
  const store = await DuckDbEventStore.open(':memory:');
  let apply = 0;
  try {
    await store.migrate();
    const groups = 5;
    // Made before the clock starts: building 20,000 rows with fresh uuids is not the store's work
    // (timed inside, it added about 4–5 µs per event to this stage).
    const made: StoredEvent[][] = Array.from({ length: groups }, () =>
      Array.from({ length: APPLY_GROUP }, (_, i) => ({ ...(rows[i % BATCH_SIZE] as StoredEvent), uuid: crypto.randomUUID() })),
    );
    const started = performance.now();
    for (const group of made) await store.append(group, []);
    apply = ((performance.now() - started) * 1000) / (groups * APPLY_GROUP);
  } finally {
    await store.close();
  }

  // The floor of the last stage: the same rows through the appender alone, to a file, no duplicate check.
  const raw = 1e6 / (await rawAppenderRate(rows, 3, APPLY_GROUP)).rowsPerSec;

  const stages: [string, number][] = [
    ['JSON.parse of the body (all the bare route does)', parse],
    ['validation (shape, limits, normalising)', validate],
    ['enrichment (page, referrer, UTM, browser, address, location)', enrichment],
    ['journal record (JSON of the stored rows)', journalLine],
    [`into DuckDB, ${fmtInt(APPLY_GROUP)} per transaction (wall, DuckDB's threads included)`, apply],
  ];
  const total = stages.reduce((sum, [, micros]) => sum + micros, 0);
  const ceiling = 1e6 / total;
  const table = stages.map(([name, micros]) => [name, micros.toFixed(2), fmtInt(1e6 / micros)]);
  table.push(['all of them, one after another', total.toFixed(2), fmtInt(ceiling)]);
  table.push([`for comparison: the raw appender alone, same rows to a file, ${fmtInt(APPLY_GROUP)} per commit (wall)`, raw.toFixed(2), fmtInt(1e6 / raw)]);
  process.stdout.write(
    [
      '',
      `== Ingestion stages: CPU per event of a ${BATCH_SIZE}-event batch, no HTTP, no disk ==`,
      textTable(['stage', 'µs per event', 'events/s if alone'], table),
      `Ceiling of these stages on one thread: ${fmtInt(ceiling)} events/s (target of batched ingestion: ${fmtInt(TARGET_EVENTS_PER_SEC)}), before HTTP, the journal's disk writes and the load generator's share of the 2 cores`,
      '',
      'Markdown for the README:',
      '',
      markdownTable(['Stage (100-event batch)', 'µs per event', 'events/s if alone'], table),
      '',
    ].join('\n') + '\n',
  );
  return { met: ceiling >= TARGET_EVENTS_PER_SEC };
}
