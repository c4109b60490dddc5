import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DuckDbEventStore } from '../../../src/engines/duckdb/duckdbEventStore.js';
import { ALL_FAST_PATHS, type FastPaths } from '../../../src/engines/duckdb/scope.js';
import type { IdentityLink, StoredEvent } from '../../../src/events/eventStore.js';
import type { FunnelPlan, ReportPlan } from '../../../src/query/plan.js';
import { planFilters } from '../../../src/query/filters.js';
import type { Dimension, Metric, QueryFiltersInput } from '../../../src/query/schemas.js';
import { offsetSegments } from '../../../src/query/zone.js';
import { storedEvent } from '../../helpers/events.js';

// The DuckDB builders' fast paths (identity links resolved at write time, top-k pruning by
// visitors) must give exactly the plain statements' answers: random small data with identity
// links (chains, loops, links that arrive after the events), zones, filters and limits.

const PLAIN: FastPaths = { resolvedPersons: false, topK: false, dayRollup: false };
const DAY = 86_400_000;
const START = Date.parse('2026-03-27T00:00:00Z');
const IDS = ['a', 'b', 'c', 'd', 'e', 'f'];
const PATHS = ['/', '/x', '/y', '/z', null];
const REFERRERS = ['news.test', 'search.test', null];
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'];

const eventArb = fc.record({
  id: fc.constantFrom(...IDS),
  at: fc.integer({ min: 0, max: 4 * DAY }),
  event: fc.constantFrom('$pageview', '$pageview', 'signup', 'buy'),
  path: fc.constantFrom(...PATHS),
  referrer: fc.constantFrom(...REFERRERS),
  session: fc.constantFrom('s1', 's2', 's3', null),
});
const linkArb = fc.record({ from: fc.constantFrom(...IDS), to: fc.constantFrom(...IDS, 'p1', 'p2') });

const caseArb = fc.record({
  events: fc.array(eventArb, { minLength: 1, maxLength: 40 }),
  // Links stored with the events, and links that arrive after them (re-homing counted rows).
  early: fc.array(linkArb, { maxLength: 4 }),
  late: fc.array(linkArb, { maxLength: 4 }),
  zone: fc.constantFrom(...ZONES),
  dimensions: fc.constantFrom<Dimension[]>(['path'], ['referrer_host'], ['path', 'referrer_host'], ['day'], ['entry_path']),
  extra: fc.subarray<Metric>(['page_views', 'sessions', 'bounce_rate', 'events']),
  limit: fc.integer({ min: 1, max: 4 }),
  sortBy: fc.constantFrom<Metric>('unique_visitors', 'unique_visitors', 'page_views'),
  filter: fc.constantFrom<QueryFiltersInput | undefined>(undefined, { path: { is: ['/x', null] } }, { path: { is_not: ['/'] } }, { utm_source: 'news' }),
  steps: fc.constantFrom<FunnelPlan['steps']>([{ path: '/' }, { event: 'signup' }, { event: 'buy' }], [{ event: '$pageview' }, { path: '/x' }], [{ event: 'signup' }, { event: 'signup' }]),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function eventsOf(client: string, c: Case): StoredEvent[] {
  return c.events.map((e, i) =>
    storedEvent({
      client_id: client,
      uuid: `e${i}`,
      distinct_id: e.id,
      event: e.event,
      timestamp: START + e.at,
      received_at: START + e.at,
      path: e.path,
      referrer_host: e.referrer,
      session_id: e.session,
      utm_source: i % 3 === 0 ? 'news' : null,
    }),
  );
}

const linksOf = (client: string, links: Case['early'], at: number): IdentityLink[] => links.map((l) => ({ client_id: client, distinct_id: l.from, person_id: l.to, created_at: at }));

describe('DuckDB fast paths agree with the plain statements', () => {
  let dir: string;
  let store: DuckDbEventStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mythic-fast-'));
    store = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
    await store.migrate();
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const both = async <T>(read: () => Promise<T>): Promise<[T, T]> => {
    store.fastPaths = ALL_FAST_PATHS;
    const fast = await read();
    store.fastPaths = PLAIN;
    const plain = await read();
    store.fastPaths = ALL_FAST_PATHS;
    return [fast, plain];
  };

  it('gives the same reports and funnels on random data with identity links', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const client = `c${(n += 1)}`;
        await store.append(eventsOf(client, c), linksOf(client, c.early, START));
        // A loop in every third case: a → b, then b → a.
        const loop = n % 3 === 0 ? linksOf(client, [{ from: 'e', to: 'f' }, { from: 'f', to: 'e' }], START) : [];
        await store.append([], [...linksOf(client, c.late, START + DAY), ...loop]);
        const from = START;
        const to = START + 5 * DAY;
        const scope = { clientId: client, from, to, filters: planFilters(c.filter ?? {}) };
        const metrics: Metric[] = ['unique_visitors', ...c.extra];
        const timed = c.dimensions.includes('day');
        const plan: ReportPlan = {
          ...scope,
          metrics,
          dimensions: c.dimensions,
          offsets: timed ? offsetSegments(c.zone, from, to) : [],
          ...(timed ? { maxRows: 1000 } : { sortAndLimit: { orderBy: [{ column: metrics.includes(c.sortBy) ? c.sortBy : 'unique_visitors', direction: 'desc' as const }], limit: c.limit } }),
        };
        const [fast, plain] = await both(() => store.report(plan));
        const order = (r: typeof fast): string[] => (timed ? r.rows.map((row) => JSON.stringify(row)).sort() : r.rows.map((row) => JSON.stringify(row)));
        assert.deepEqual(order(fast), order(plain));
        assert.equal(fast.total, plain.total);
        const funnel: FunnelPlan = { ...scope, steps: c.steps, windowMs: DAY };
        const [fastFunnel, plainFunnel] = await both(() => store.funnel(funnel));
        assert.deepEqual(fastFunnel, plainFunnel);
      }),
      { seed: 16, numRuns: 24 },
    );
  });

  it('keeps resolved persons right when links arrive after events, chains merge, and the client is deleted', async () => {
    const visitors = async (): Promise<number> => {
      const result = await store.report({ clientId: 'merge', from: START, to: START + DAY, filters: {}, metrics: ['unique_visitors'], dimensions: [], offsets: [] });
      return result.rows[0]?.metrics.unique_visitors ?? 0;
    };
    const three = (suffix: string): StoredEvent[] => ['a', 'b', 'c'].map((id) => storedEvent({ client_id: 'merge', uuid: `${id}${suffix}`, distinct_id: id, timestamp: START + 1000, received_at: START + 1000 }));
    await store.append(three('1'), []);
    assert.equal(await visitors(), 3);
    // A link after the events: a is b.
    await store.append([], linksOf('merge', [{ from: 'a', to: 'b' }], START + 2000));
    assert.equal(await visitors(), 2);
    // The chain grows at its end: b is c, so a is c too (one person).
    await store.append([], linksOf('merge', [{ from: 'b', to: 'c' }], START + 3000));
    assert.equal(await visitors(), 1);
    // Deleted with the client: stored again, with one unrelated link, the three are three people.
    await store.deleteClient('merge');
    await store.append(three('2'), linksOf('merge', [{ from: 'x', to: 'y' }], START + 4000));
    assert.equal(await visitors(), 3);
  });
});
