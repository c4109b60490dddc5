import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ClickHouseEventStore, openClickHouseEventStore } from '../../src/engines/clickhouse/clickhouseEventStore.js';
import { openConnection, type ClickHouseConnection } from '../../src/engines/clickhouse/connection.js';
import { parseClickHouseUrl } from '../../src/engines/clickhouse/url.js';
import { clickhouseReport } from '../../src/engines/clickhouse/report.js';
import { tablesOf } from '../../src/engines/clickhouse/schema.js';
import { MAP_MAX_LINKS } from '../../src/engines/clickhouse/scope.js';
import { chTime } from '../../src/engines/clickhouse/values.js';
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
  let url: string;
  let dispose: () => Promise<void>;
  before(async () => {
    duck = await DuckDbEventStore.open(':memory:');
    await duck.migrate();
    const opened = await openClickHouseTestStore();
    materialized = opened.store;
    url = opened.url;
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

  it('takes the lower person_id of two links of one id stored at one seq (two nodes), in reports and in the links read back', async () => {
    const clientId = 'seq-tie';
    // `a` with `bob` is one visitor of /x; with `zed`, /x has two.
    const events = [
      { distinct_id: 'a', path: '/x' },
      { distinct_id: 'bob', path: '/x' },
      { distinct_id: 'zed', path: '/y' },
    ].map((x, i) => storedEvent({ ...x, event: '$pageview', client_id: clientId, uuid: `${clientId}-${i}`, session_id: null, timestamp: BASE + i * 60_000, received_at: BASE + i }));
    await materialized.append(events, []);
    // As two nodes could store them: one seq each, `zed` first in the table's order.
    const database = parseClickHouseUrl(url).database;
    const raw = await openConnection(parseClickHouseUrl(url));
    const at = chTime(BASE);
    await raw.insert(`${database}.identities`, [
      { client_id: clientId, distinct_id: 'a', person_id: 'zed', created_at: at, seq: 7 },
      { client_id: clientId, distinct_id: 'a', person_id: 'bob', created_at: at, seq: 7 },
    ]);
    const from = BASE;
    const to = BASE + HOUR;
    const plan: ReportPlan = { clientId, from, to, filters: {}, metrics: ['unique_visitors'], dimensions: ['path'], offsets: offsetSegments('UTC', from, to) };
    const expected = { '/x': 1, '/y': 1 };
    const byPath = (result: ReportResult): Record<string, unknown> => Object.fromEntries(result.rows.map((row) => [row.dimensions.path, row.metrics.unique_visitors]));
    assert.deepEqual(byPath(await materialized.report(plan)), expected, 'materialized report');
    assert.deepEqual(byPath(await plain.report(plan)), expected, 'plain report');
    // Each statement shape run as built, so a store falling back to plain CTEs cannot hide a
    // materialized one the server refuses.
    for (const materialize of [true, false]) {
      for (const fewLinks of [true, false]) {
        const built = clickhouseReport(plan, tablesOf(database), { links: true, materialize, fewLinks });
        const rows = await raw.query<{ d0: string; m_unique_visitors: number }>(built.sql, built.params);
        assert.deepEqual(Object.fromEntries(rows.map((row) => [row.d0, Number(row.m_unique_visitors)])), expected, `statement: ${JSON.stringify({ materialize, fewLinks })}`);
      }
    }
    await raw.close();
    assert.deepEqual(
      (await materialized.identityLinks(clientId)).map((link) => [link.distinct_id, link.person_id]),
      [['a', 'bob']],
    );
  });

  it('gives the same answers when a client has more links than rows may look up in arrays (joined instead)', async () => {
    const clientId = 'many-links';
    // d1 and d3 are one person through d2, as are d6 and d7 through x8: merged visitors and a funnel walked across ids.
    const merged = [
      { event: '$pageview', distinct_id: 'd1', minute: 10, path: '/', referrer_host: null },
      { event: 'signup', distinct_id: 'd3', minute: 20, path: '/a', referrer_host: null },
      { event: 'buy', distinct_id: 'd2', minute: 30, path: '/a', referrer_host: null },
      { event: '$pageview', distinct_id: 'd6', minute: 40, path: '/', referrer_host: null },
    ];
    const events = [...FIXED_EVENTS, ...merged].map((x, i) =>
      storedEvent({ ...x, client_id: clientId, uuid: `${clientId}-${i}`, session_id: `s-${x.distinct_id}`, timestamp: BASE + x.minute * 60_000, received_at: BASE + i }),
    );
    const links: IdentityLink[] = FIXED_LINKS.map(([d, p], i) => ({ client_id: clientId, distinct_id: d as string, person_id: p as string, created_at: BASE + i }));
    await duck.append(events, links);
    await materialized.append(events, links);
    const from = BASE;
    const to = BASE + 5 * 24 * HOUR;
    const plans: ReportPlan[] = [
      { clientId, from, to, filters: {}, metrics: ['unique_visitors', 'page_views'], dimensions: ['path'], offsets: offsetSegments('UTC', from, to) },
      { clientId, from, to, filters: {}, metrics: ['unique_visitors', 'bounce_rate'], dimensions: ['day'], offsets: offsetSegments('Asia/Kolkata', from, to) },
    ];
    const funnels: FunnelPlan[] = [
      { clientId, from, to, filters: {}, steps: [{ path: '/' }, { event: 'signup' }, { event: 'buy' }], windowMs: 24 * HOUR },
      { clientId, from, to, filters: {}, steps: [{ event: '$pageview' }, { path: '/' }, { event: 'signup' }], windowMs: 24 * HOUR },
    ];
    const byDay = (result: ReportResult): ReportResult => ({ ...result, rows: [...result.rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) });
    const answers = async (store: ClickHouseEventStore | DuckDbEventStore): Promise<unknown[]> => [
      ...(await Promise.all(plans.map(async (plan) => byDay(await store.report(plan))))),
      ...(await Promise.all(funnels.map((plan) => store.funnel(plan)))),
    ];
    // The statements the store sends, seen on their way to the same chDB session.
    const real = await openConnection(parseClickHouseUrl(url));
    const sent: string[] = [];
    const recording: ClickHouseConnection = {
      description: real.description,
      query: (sql, params) => {
        sent.push(sql);
        return real.query(sql, params);
      },
      command: (sql, params) => real.command(sql, params),
      insert: (table, rows) => real.insert(table, rows),
      close: () => real.close(),
    };
    const observed = new ClickHouseEventStore(recording, { database: parseClickHouseUrl(url).database }, undefined, true);
    const topPagesStatement = async (): Promise<string> => {
      sent.length = 0;
      await observed.report(plans[0] as ReportPlan);
      return sent.at(-1) ?? '';
    };
    const expected = await answers(duck);
    const unlinked = await unlinkedCopy(events);
    assert.notDeepEqual(await answers(unlinked), expected, 'the links change the answers');
    await unlinked.close();
    assert.deepEqual(await answers(materialized), expected, 'few links');
    assert.match(await topPagesStatement(), /transform\(r\.person_key, person_map/, 'few links: rows look their persons up');
    // Links of ids that have no events: the answers stay, and the statements join persons now.
    const filler = Array.from({ length: MAP_MAX_LINKS }, (_, i) => ({ client_id: clientId, distinct_id: `filler-${i}`, person_id: `filler-person-${i}`, created_at: BASE + 100 + i }));
    await materialized.append([], filler);
    assert.deepEqual(await answers(materialized), expected, 'many links');
    assert.deepEqual(await answers(plain), expected, 'many links, plain CTEs');
    const joined = await topPagesStatement();
    assert.match(joined, /LEFT JOIN persons AS i/, 'many links: rows join their persons');
    assert.doesNotMatch(joined, /person_map/);
    await observed.close();
  });
});

/** The events alone in a DuckDB store of their own: what the reports say without any link. */
async function unlinkedCopy(events: StoredEvent[]): Promise<DuckDbEventStore> {
  const store = await DuckDbEventStore.open(':memory:');
  await store.migrate();
  await store.append(events, []);
  return store;
}
