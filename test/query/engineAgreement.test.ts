import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import type { EventStore } from '../../src/events/eventStore.js';
import { planFilters } from '../../src/query/filters.js';
import { cellsOf, sortRows, type Cell } from '../../src/query/fill.js';
import { bucketKey, TIME_GRAINS, timeBuckets } from '../../src/query/period.js';
import type { Attribution, Dimension, FilterValue, Metric } from '../../src/query/schemas.js';
import { offsetAt, offsetSegments } from '../../src/query/zone.js';
import { describeEachEngine, type OpenedEngine } from '../helpers/engines.js';
import { storedEvent } from '../helpers/events.js';

/*
 * Each engine's SQL against the one JavaScript definition of what it must compute: a row's time
 * bucket key (bucketKey in period.ts), the order of a sorted, limited report (sortRows in
 * fill.ts), and which events a filter keeps under either attribution (`keeps` below, the
 * README's rules written as code). The service fills and labels buckets from period.ts and sorts time reports with
 * fill.ts, so an engine that drifted from either would give answers that disagree with itself.
 */

const DAY_MS = 86_400_000;
/** Zones with what breaks naive arithmetic: DST both ways, half- and quarter-hour offsets, a half-hour DST, a skipped day, far west and far east. */
const ZONES = ['UTC', 'Europe/Berlin', 'America/Los_Angeles', 'America/St_Johns', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Pacific/Apia', 'Pacific/Kiritimati', 'Pacific/Pago_Pago'];
/** Until 2100, with the first days of 1970 (local dates before 1970 west of UTC) drawn often. */
const baseInstant = fc.oneof(fc.integer({ min: 0, max: 3 * DAY_MS }), fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) }));
const SEED = 20261205;

/** Text that orders differently by UTF-16 code unit and by code point, and upper before lower case. */
const text = fc.option(fc.string({ unit: fc.constantFrom('a', 'b', 'B', 'é', '~', '\uE000', '\uFF5E', '\u{1F600}', '\u{10000}'), maxLength: 3 }), { nil: null });

/** Nullable text drawn from `values`. */
const maybe = (values: string[]): fc.Arbitrary<string | null> => fc.option(fc.constantFrom(...values), { nil: null });

type FilteredDimension = 'country' | 'referrer_host' | 'utm_source' | 'path' | 'entry_path' | 'exit_path';
interface ModelRow {
  uuid: string;
  timestamp: number;
  session: string | null;
  event: string;
  path: string;
  referrer_host: string | null;
  utm_source: string | null;
  country: string | null;
}

/**
 * Letters each engine's own lower disagreed on (DuckDB lowers İ to i and a final Σ to σ,
 * ClickHouse and JavaScript to i̇ and ς; Unicode 16 capitals are unknown to DuckDB), as stored
 * values and as the needles that find them under the one case rule.
 */
const TRICKY_VALUES = ['İstanbul', 'ΣΊΣΥΦΟΣ', 'Ǆemal', 'ıspir', 'Straẞe', 'Ꭰᏸ', 'ԵՒ', '\u1C89'];
const TRICKY_NEEDLES = ['istanbul', 'İST', 'i\u0307', 'σίσυφος', 'ς', 'ǅ', 'ǈ', 'ıs', 'ß', 'ꭰᏰ', 'և', '\u1C8A', 'i'];
/** Operators over values the rows hold and do not, null, case variants and LIKE's wildcards. */
const FILTER_TEXT = ['DE', 'de', 'google.com', 'GOOGLE', 'news.test', '_', '%', 'mail', '/a', '/b', '/B', '/é', '/b%_c', 'x', ...TRICKY_NEEDLES];
const filterValueArb: fc.Arbitrary<FilterValue> = fc.oneof(
  fc.constantFrom(...FILTER_TEXT),
  fc.uniqueArray(fc.option(fc.constantFrom(...FILTER_TEXT), { nil: null }), { minLength: 1, maxLength: 3 }).map((is) => ({ is })),
  fc.uniqueArray(fc.option(fc.constantFrom(...FILTER_TEXT), { nil: null }), { minLength: 1, maxLength: 3 }).map((is_not) => ({ is_not })),
  fc.constantFrom(...FILTER_TEXT).map((contains) => ({ contains })),
);

/** The row whose sources `row` counts under: its session’s first (rows are a second apart) with visit attribution, else itself. */
function visitOf(rows: ModelRow[], row: ModelRow, attribution: Attribution): ModelRow {
  if (attribution === 'event' || row.session === null) return row;
  return rows.filter((r) => r.session === row.session).sort((a, b) => a.timestamp - b.timestamp)[0] as ModelRow;
}

/** A row's entry or exit page: its session's first or last page view, or its own path if it has no session and is a page view. */
function sessionPathOf(rows: ModelRow[], row: ModelRow, which: 'entry_path' | 'exit_path'): string | null {
  if (row.session === null) return row.event === '$pageview' ? row.path : null;
  const views = rows.filter((r) => r.session === row.session && r.event === '$pageview').sort((a, b) => a.timestamp - b.timestamp);
  return (which === 'entry_path' ? views[0] : views[views.length - 1])?.path ?? null;
}

/** The README's case rule for contains: Unicode lowercase, then final sigma as σ and i̇ (what İ lowers to) as i. */
const fold = (text: string): string => text.toLowerCase().replaceAll('ς', 'σ').replaceAll('i\u0307', 'i');

function matchesValue(value: string | null, filter: FilterValue): boolean {
  if (typeof filter === 'string') return value === filter;
  if ('contains' in filter) return value !== null && fold(value).includes(fold(filter.contains));
  const list = 'is' in filter ? filter.is : filter.is_not;
  const listed = list.includes(value);
  return 'is' in filter ? listed : !listed;
}

function keeps(rows: ModelRow[], row: ModelRow, name: FilteredDimension, filter: FilterValue, attribution: Attribution): boolean {
  if (name === 'entry_path' || name === 'exit_path') return matchesValue(sessionPathOf(rows, row, name), filter);
  if (name === 'referrer_host' || name === 'utm_source') return matchesValue(visitOf(rows, row, attribution)[name], filter);
  return matchesValue(row[name], filter);
}

describeEachEngine('engine agreement with period.ts and fill.ts', (engine) => {
  let opened: OpenedEngine;
  let store: EventStore;
  let clients = 0;
  before(async () => {
    opened = await engine.open();
    store = opened.store;
  });
  after(async () => opened.dispose());

  it('gives every row the bucket key bucketKey() defines, in every zone and grain', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ZONES),
        fc.constantFrom(...TIME_GRAINS),
        baseInstant,
        fc.array(fc.oneof(fc.integer({ min: 0, max: DAY_MS }), fc.integer({ min: 0, max: 40 * DAY_MS })), { minLength: 1, maxLength: 12 }),
        async (zone, grain, base, deltas) => {
          clients += 1;
          const clientId = `buckets-${clients}`;
          const instants = deltas.map((d) => base + d);
          await store.append(
            instants.map((timestamp, i) => storedEvent({ client_id: clientId, event: `e${i}`, timestamp, received_at: timestamp })),
            [],
          );
          const from = Math.min(...instants);
          const to = Math.max(...instants) + 1;
          const result = await store.report({
            clientId,
            from,
            to,
            filters: {},
            metrics: ['events'],
            dimensions: [grain, 'event'],
            offsets: offsetSegments(zone, from, to),
            maxRows: 1000,
          });
          const keyOf = new Map(result.rows.map((row) => [row.dimensions.event, row.dimensions[grain]]));
          const listed = new Set(timeBuckets(grain, zone, from, to).map((b) => b.key));
          instants.forEach((instant, i) => {
            const expected = bucketKey(grain, instant, offsetAt(zone, instant));
            assert.equal(keyOf.get(`e${i}`), expected, `${new Date(instant).toISOString()} in ${zone} by ${grain}`);
            assert.ok(listed.has(expected), `timeBuckets lists the bucket of ${new Date(instant).toISOString()} in ${zone} by ${grain}`);
          });
        },
      ),
      { numRuns: 80, seed: SEED },
    );
  });

  it('sorts and limits groups exactly as sortRows() orders all of them, and counts them all', async () => {
    const dimensionSets: Dimension[][] = [['path'], ['browser'], ['path', 'browser']];
    const metrics: Metric[] = ['events', 'page_views'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ path: text, browser: text, pageview: fc.boolean() }), { minLength: 1, maxLength: 40 }),
        fc.constantFrom(...dimensionSets),
        fc.array(fc.record({ column: fc.constantFrom<Metric | Dimension>('events', 'page_views', 'path', 'browser'), direction: fc.constantFrom<'asc' | 'desc'>('asc', 'desc') }), { maxLength: 3 }),
        fc.integer({ min: 1, max: 8 }),
        async (rows, dimensions, wanted, limit) => {
          clients += 1;
          const clientId = `order-${clients}`;
          const timestamp = Date.UTC(2026, 2, 1);
          await store.append(
            rows.map((row) => storedEvent({ client_id: clientId, timestamp, path: row.path, browser: row.browser, event: row.pageview ? '$pageview' : 'click' })),
            [],
          );
          // A column asked twice counts once, and only columns of the report can order it.
          const orderBy = wanted.filter((o, i) => (metrics.includes(o.column as Metric) || dimensions.includes(o.column as Dimension)) && wanted.findIndex((p) => p.column === o.column) === i);
          const result = await store.report({
            clientId,
            from: timestamp,
            to: timestamp + 1,
            filters: {},
            metrics,
            dimensions,
            offsets: [],
            sortAndLimit: { orderBy, limit },
          });

          const groups = new Map<string, Cell[]>();
          for (const row of rows) {
            const values = dimensions.map((d) => (d === 'path' ? row.path : row.browser));
            const id = JSON.stringify(values);
            const cells = groups.get(id) ?? [...values, 0, 0];
            cells[dimensions.length] = (cells[dimensions.length] as number) + 1;
            if (row.pageview) cells[dimensions.length + 1] = (cells[dimensions.length + 1] as number) + 1;
            groups.set(id, cells);
          }
          const expected = sortRows([...groups.values()], [...dimensions, ...metrics], orderBy, dimensions.length, { index: -1, buckets: [] });
          assert.deepEqual(
            result.rows.map((row) => cellsOf(row, dimensions, metrics)),
            expected.slice(0, limit),
          );
          assert.equal(result.total, groups.size);
        },
      ),
      { numRuns: 80, seed: SEED },
    );
  });
  it('folds case for contains by the one rule, for every needle over every tricky value', async () => {
    // The random property below draws these pairs too seldom to catch an engine that drifts.
    clients += 1;
    const clientId = `contains-${clients}`;
    const base = Date.UTC(2026, 2, 1);
    await store.append(
      TRICKY_VALUES.map((country, i) => storedEvent({ client_id: clientId, uuid: `u${i}`, timestamp: base + i, received_at: base + i, country })),
      [],
    );
    for (const contains of TRICKY_NEEDLES) {
      const result = await store.report({ clientId, from: base, to: base + TRICKY_VALUES.length, filters: planFilters({ country: { contains } }), attribution: 'event', metrics: ['events'], dimensions: ['country'], offsets: [], sortAndLimit: { orderBy: [{ column: 'events', direction: 'desc' }], limit: 100 } });
      const kept = result.rows.map((row) => row.dimensions.country as string).sort();
      assert.deepEqual(kept, TRICKY_VALUES.filter((value) => matchesValue(value, { contains })).sort(), contains);
    }
  });

  it('keeps exactly the events the filter rules say, under either attribution', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            session: fc.option(fc.constantFrom('s1', 's2', 's3'), { nil: null }),
            pageview: fc.boolean(),
            path: fc.constantFrom('/a', '/B', '/b%_c', '/é'),
            referrer_host: maybe(['google.com', 'News.test', 'x_y.test']),
            utm_source: maybe(['Mail', '50%']),
            country: maybe(['DE', 'FR', ...TRICKY_VALUES]),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        fc.constantFrom<FilteredDimension>('country', 'referrer_host', 'utm_source', 'path', 'entry_path', 'exit_path'),
        filterValueArb,
        fc.constantFrom<Attribution>('event', 'visit'),
        async (events, name, value, attribution) => {
          clients += 1;
          const clientId = `filters-${clients}`;
          const base = Date.UTC(2026, 2, 1);
          const rows: ModelRow[] = events.map((e, i) => ({ ...e, uuid: `u${String(i).padStart(3, '0')}`, timestamp: base + i * 1000, event: e.pageview ? '$pageview' : 'click' }));
          await store.append(
            rows.map((r) => storedEvent({ client_id: clientId, uuid: r.uuid, timestamp: r.timestamp, received_at: r.timestamp, session_id: r.session, event: r.event, path: r.path, referrer_host: r.referrer_host, utm_source: r.utm_source, country: r.country })),
            [],
          );
          const result = await store.report({
            clientId,
            from: base,
            to: base + rows.length * 1000,
            filters: planFilters({ [name]: value }),
            attribution,
            metrics: ['events'],
            dimensions: ['referrer_host'],
            offsets: [],
            sortAndLimit: { orderBy: [{ column: 'events', direction: 'desc' }], limit: 100 },
          });
          const expected = new Map<string | null, number>();
          for (const row of rows.filter((r) => keeps(rows, r, name, value, attribution))) {
            const source = visitOf(rows, row, attribution).referrer_host;
            expected.set(source, (expected.get(source) ?? 0) + 1);
          }
          const actual = new Map(result.rows.map((row) => [row.dimensions.referrer_host as string | null, row.metrics.events as number]));
          assert.deepEqual(actual, expected, `${name} ${JSON.stringify(value)} ${attribution}`);
        },
      ),
      { numRuns: 120, seed: SEED },
    );
  });
});
