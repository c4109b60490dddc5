import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import type { EventStore } from '../../src/events/eventStore.js';
import { cellsOf, sortRows, type Cell } from '../../src/query/fill.js';
import { bucketKey, TIME_GRAINS, timeBuckets } from '../../src/query/period.js';
import type { Dimension, Metric } from '../../src/query/schemas.js';
import { offsetAt, offsetSegments } from '../../src/query/zone.js';
import { describeEachEngine, type OpenedEngine } from '../helpers/engines.js';
import { storedEvent } from '../helpers/events.js';

/*
 * Each engine's SQL against the one JavaScript definition of what it must compute: a row's time
 * bucket key (bucketKey in period.ts) and the order of a sorted, limited report (sortRows in
 * fill.ts). The service fills and labels buckets from period.ts and sorts time reports with
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
});
