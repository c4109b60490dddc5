import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { openClickHouseEventStore, type ClickHouseEventStore } from '../../src/engines/clickhouse/clickhouseEventStore.js';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import type { IdentityLink, ReportResult, StoredEvent } from '../../src/events/eventStore.js';
import type { FunnelPlan, ReportPlan } from '../../src/query/plan.js';
import type { Dimension } from '../../src/query/schemas.js';
import { offsetSegments } from '../../src/query/zone.js';
import { storedEvent } from '../helpers/events.js';
import { CLICKHOUSE_SKIP_REASON, openClickHouseTestStore } from '../helpers/clickhouseEngine.js';

/*
 * The funnel's windowFunnel statement (steps that cannot share rows) must give the walk's answer:
 * rows of one millisecond, rows exactly a window apart and starts around the period's end.
 * Identity resolution in the ClickHouse engine has two statements: links computed once per
 * statement (`AS MATERIALIZED`, where the server takes it) and plain CTEs (older servers). Both
 * must give DuckDB's answer on data whose links make chains, a loop, a distinct_id linked twice
 * and links stored after the events they merge, in several zones. (clickhouseParity.test.ts
 * covers every metric and filter, through whichever statement the server allows.)
 */

const BASE = Date.parse('2026-03-27T00:00:00.000Z');
const HOUR = 3_600_000;
const PEOPLE = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7'];
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'];

const eventArb = fc.record({
  event: fc.constantFrom('$pageview', '$pageview', 'signup', 'buy'),
  distinct_id: fc.constantFrom(...PEOPLE),
  // Whole minutes (rows of one millisecond), some a window (1 day) apart or around the period's end.
  minute: fc.oneof(fc.integer({ min: 0, max: 3 * 24 * 60 }), fc.constantFrom(0, 1, 1440, 1441, 5759, 5760, 7199, 7200, 7201)),
  path: fc.constantFrom('/', '/a', '/b'),
  referrer_host: fc.constantFrom('google.com', null),
});
const linkArb = fc.record({ distinct_id: fc.constantFrom(...PEOPLE), person_id: fc.constantFrom(...PEOPLE, 'p1'), minute: fc.nat(100) });
const caseArb = fc.record({
  before: fc.array(eventArb, { maxLength: 25 }),
  links: fc.array(linkArb, { maxLength: 6 }),
  // Stored after the links: a link also merges the events that came before it.
  later: fc.array(eventArb, { maxLength: 10 }),
  zone: fc.constantFrom(...ZONES),
  dimension: fc.constantFrom<Dimension>('day', 'hour', 'path', 'referrer_host'),
});

/**
 * In every case, besides the random links: a chain d1 → d2 → d3, a loop d4 ⇄ d5, and d7 reaching
 * x8 in exactly the 8 hops allowed (d6 links to x8 directly: one person only if all 8 are followed).
 */
const FIXED_LINKS = [
  ['d1', 'd2'],
  ['d2', 'd3'],
  ['d4', 'd5'],
  ['d5', 'd4'],
  ['d7', 'x1'],
  ...Array.from({ length: 7 }, (_, i) => [`x${i + 1}`, `x${i + 2}`]),
  ['d6', 'x8'],
];

/** In every case: a funnel walked to its end on a window's last millisecond with a tie, and a start on the period's end (not a start). */
const FIXED_EVENTS: (typeof caseArb extends fc.Arbitrary<infer T> ? T : never)['before'] = [
  { event: '$pageview', distinct_id: 'd7', minute: 0, path: '/', referrer_host: null },
  { event: 'signup', distinct_id: 'd7', minute: 1440, path: '/a', referrer_host: null },
  { event: 'buy', distinct_id: 'd7', minute: 1440, path: '/a', referrer_host: null },
  { event: '$pageview', distinct_id: 'd4', minute: 5760, path: '/', referrer_host: null },
  { event: 'signup', distinct_id: 'd4', minute: 5761, path: '/a', referrer_host: null },
];

describe('ClickHouse identity resolution and windowFunnel give DuckDB answers', { skip: CLICKHOUSE_SKIP_REASON }, () => {
  let duck: DuckDbEventStore;
  let materialized: ClickHouseEventStore;
  let plain: ClickHouseEventStore;
  let dispose: () => Promise<void>;
  before(async () => {
    duck = await DuckDbEventStore.open(':memory:');
    await duck.migrate();
    const opened = await openClickHouseTestStore();
    materialized = opened.store;
    dispose = opened.dispose;
    // The same database through the same chDB session, answering with plain CTEs.
    plain = await openClickHouseEventStore(opened.url, { migrate: false, materializedCtes: false });
  });
  after(async () => {
    await plain.close();
    await dispose();
    await duck.close();
  });

  it('on random events and links', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        n += 1;
        const clientId = `c${n}`;
        let e = 0;
        const stored = (list: typeof c.before): StoredEvent[] =>
          list.map((x) => {
            e += 1;
            return storedEvent({ ...x, client_id: clientId, uuid: `${clientId}-${e}`, session_id: null, timestamp: BASE + x.minute * 60_000, received_at: BASE + e });
          });
        const links: IdentityLink[] = [...FIXED_LINKS.map(([d, p]) => ({ distinct_id: d as string, person_id: p as string, minute: 0 })), ...c.links].map((l, i) => ({
          client_id: clientId,
          distinct_id: l.distinct_id,
          person_id: l.person_id,
          created_at: BASE + 5 * 24 * HOUR + i,
        }));
        const batches = [
          { events: stored([...FIXED_EVENTS, ...c.before]), links: [] },
          { events: [], links },
          { events: stored(c.later), links: [] },
        ];
        for (const batch of batches) {
          await duck.append(batch.events, batch.links);
          await materialized.append(batch.events, batch.links);
        }
        const from = BASE;
        const to = BASE + 4 * 24 * HOUR;
        const timed = c.dimension === 'day' || c.dimension === 'hour';
        const report: ReportPlan = {
          clientId,
          from,
          to,
          filters: {},
          metrics: ['unique_visitors', 'page_views'],
          dimensions: [c.dimension],
          offsets: offsetSegments(c.zone, from, to),
          ...(timed ? {} : { sortAndLimit: { orderBy: [{ column: 'unique_visitors', direction: 'desc' }], limit: 2 } }),
        };
        // Time buckets come back in any order (the service sorts and fills them).
        const sorted = (result: ReportResult): ReportResult => (timed ? { ...result, rows: [...result.rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) } : result);
        const expected = sorted(await duck.report(report));
        assert.deepEqual(sorted(await materialized.report(report)), expected, 'materialized report');
        assert.deepEqual(sorted(await plain.report(report)), expected, 'plain report');
        const funnel: FunnelPlan = { clientId, from, to, filters: {}, steps: [{ path: '/' }, { event: 'signup' }, { event: 'buy' }], windowMs: 24 * HOUR };
        const reached = await duck.funnel(funnel);
        assert.deepEqual(await materialized.funnel(funnel), reached, 'materialized funnel');
        assert.deepEqual(await plain.funnel(funnel), reached, 'plain funnel');
      }),
      { seed: 1616, numRuns: 10 },
    );
  });
});
