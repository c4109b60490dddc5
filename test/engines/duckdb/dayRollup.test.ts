import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { localDays } from '../../../src/engines/duckdb/dayIntervals.js';
import { RollupPause } from '../../../src/engines/duckdb/rollupPause.js';
import { DuckDbEventStore } from '../../../src/engines/duckdb/duckdbEventStore.js';
import { ALL_FAST_PATHS, type FastPaths } from '../../../src/engines/duckdb/scope.js';
import type { IdentityLink, ReportResult, StoredEvent } from '../../../src/events/eventStore.js';
import { HIDDEN_EVENTS } from '../../../src/query/hiddenEvents.js';
import type { ReportPlan } from '../../../src/query/plan.js';
import type { Dimension, Metric } from '../../../src/query/schemas.js';
import { offsetSegments } from '../../../src/query/zone.js';
import { storedEvent } from '../../helpers/events.js';

// Day rollups and day counts must never change an answer: reports read with them (rolled days
// from the rollup or their counts, the rest from events) equal the plain statements over events,
// on random data with identity links, zones whose days are 23 or 25 hours or set back across
// midnight, bots, hidden events, events and links stored after days were rolled and counted,
// duplicates and periods that cut days.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2026-03-25T00:00:00Z');
// Casey set its clock back across midnight on 5 March 2010 (a day number comes twice).
const START_2010 = Date.parse('2010-02-26T00:00:00Z');
const SPAN = 14 * DAY;
const PLAIN: FastPaths = { ...ALL_FAST_PATHS, dayRollup: false };
// Berlin and New York change in the span; Santiago sets its clock back at midnight (4 April);
// Lord Howe moves by half an hour, Chatham is +13:45.
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'America/Santiago', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Asia/Kolkata', 'Antarctica/Casey'];
const IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

// Instants on and next to day bounds: UTC midnights, and those of Berlin (-1, -2 h) and New York
// (+4, +5 h), give or take a millisecond.
const nearMidnight = fc
  .tuple(fc.integer({ min: -1, max: 15 }), fc.constantFrom(-2, -1, 0, 4, 5), fc.constantFrom(-1, 0))
  .map(([day, hours, ms]) => day * DAY + hours * HOUR + ms);
const eventArb = fc.record({
  id: fc.constantFrom(...IDS),
  at: fc.oneof(fc.integer({ min: -DAY, max: SPAN + DAY }), nearMidnight),
  event: fc.constantFrom('$pageview', '$pageview', 'signup', ...HIDDEN_EVENTS),
  referrer: fc.constantFrom('news.test', 'search.test', null),
  bot: fc.boolean(),
});
const linkArb = fc.record({ from: fc.constantFrom(...IDS), to: fc.constantFrom(...IDS, 'p1') });
const periodArb = fc.record({ from: fc.oneof(fc.integer({ min: -DAY, max: SPAN }), nearMidnight), length: fc.integer({ min: HOUR, max: SPAN }) });

const caseArb = fc.record({
  early: fc.array(eventArb, { minLength: 1, maxLength: 40 }),
  late: fc.array(eventArb, { maxLength: 20 }),
  // Late events that repeat early ones' uuids: duplicates, refused, must not reach the rollup.
  repeats: fc.nat({ max: 5 }),
  earlyLinks: fc.array(linkArb, { maxLength: 3 }),
  lateLinks: fc.array(linkArb, { maxLength: 3 }),
  zone: fc.constantFrom(...ZONES),
  epoch: fc.constantFrom(START, START_2010),
  rolledPeriod: periodArb,
  readPeriod: periodArb,
  // Days count as finished up to here: some of the period is rolled, the newest days are not.
  now: fc.integer({ min: 0, max: SPAN + 2 * DAY }),
  dimensions: fc.constantFrom<Dimension[]>(['day'], ['day'], ['day'], ['week'], ['month'], ['referrer_host'], ['day', 'referrer_host'], []),
  extra: fc.subarray<Metric>(['page_views', 'events']),
  includeBots: fc.boolean(),
});
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;
type EventCase = Case['early'][number];

const eventsOf = (client: string, events: EventCase[], prefix: string, epoch = START): StoredEvent[] =>
  events.map((e, i) =>
    storedEvent({
      client_id: client,
      uuid: `${prefix}${i}`,
      distinct_id: e.id,
      event: e.event,
      timestamp: epoch + e.at,
      received_at: epoch + e.at,
      referrer_host: e.referrer,
      is_bot: e.bot,
    }),
  );
const linksOf = (client: string, links: Case['earlyLinks']): IdentityLink[] => links.map((l) => ({ client_id: client, distinct_id: l.from, person_id: l.to, created_at: START }));

function planOf(client: string, c: Pick<Case, 'zone' | 'dimensions' | 'extra' | 'includeBots'>, period: Case['readPeriod'], epoch = START): ReportPlan {
  const from = epoch + period.from;
  const to = from + period.length;
  const metrics: Metric[] = ['unique_visitors', ...c.extra];
  const timed = c.dimensions.some((d) => d === 'day' || d === 'week' || d === 'month');
  return {
    clientId: client,
    from,
    to,
    filters: c.includeBots ? { include_bots: true } : {},
    excludedEvents: HIDDEN_EVENTS,
    timezone: c.zone,
    metrics,
    dimensions: c.dimensions,
    offsets: timed ? offsetSegments(c.zone, from, to) : [],
    ...(timed ? { maxRows: 10_000 } : { sortAndLimit: { orderBy: [{ column: 'unique_visitors' as const, direction: 'desc' as const }], limit: 2 } }),
  };
}

const comparable = (result: ReportResult): unknown => ({ rows: result.rows.map((row) => JSON.stringify(row)).sort(), total: result.total });

describe('DuckDB day rollups', () => {
  let dir: string;
  let store: DuckDbEventStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mythic-rollup-'));
    store = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
    await store.migrate();
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The report read with the rollups (rolling what it may, then again once rolled) and plainly. */
  async function withAndWithout(plan: ReportPlan): Promise<{ rolled: ReportResult; plain: ReportResult; readRollup: boolean; readCounts: boolean }> {
    store.fastPaths = ALL_FAST_PATHS;
    store.statementLog = [];
    const rolled = await store.report(plan);
    const readRollup = store.statementLog.some((statement) => statement.sql.includes('day_rollup'));
    const readCounts = store.statementLog.some((statement) => statement.sql.includes('day_counts'));
    store.statementLog = undefined;
    store.fastPaths = PLAIN;
    const plain = await store.report(plan);
    store.fastPaths = ALL_FAST_PATHS;
    return { rolled, plain, readRollup, readCounts };
  }

  it('gives the plain statements\u2019 answers, before and after days are rolled and counted, and after late events and links', async () => {
    let n = 0;
    let readRollup = 0;
    let readCounts = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const client = `r${(n += 1)}`;
        store.rollupClock = () => c.epoch + c.now;
        const read = async (period: Case['readPeriod']): Promise<void> => {
          const result = await withAndWithout(planOf(client, c, period, c.epoch));
          assert.deepEqual(comparable(result.rolled), comparable(result.plain));
          if (result.readRollup) readRollup += 1;
          if (result.readCounts) readCounts += 1;
        };
        await store.append(eventsOf(client, c.early, 'e', c.epoch), linksOf(client, c.earlyLinks));
        // Read from events while this period's finished days get rolled, then from the rollup
        // while a series by day gets counted.
        await store.report(planOf(client, c, c.rolledPeriod, c.epoch));
        await store.settleRollups();
        await read(c.rolledPeriod);
        await store.settleRollups();
        // Then late events (some in rolled days, some repeating stored uuids) and late links,
        // which must reach the rollup and retire the counts they change.
        const repeats = eventsOf(client, c.early.slice(0, c.repeats), 'e', c.epoch);
        await store.append([...eventsOf(client, c.late, 'l', c.epoch), ...repeats], linksOf(client, c.lateLinks));
        await read(c.rolledPeriod);
        await read(c.readPeriod);
        await store.settleRollups();
        await read(c.rolledPeriod);
      }),
      { seed: 1016, numRuns: 60 },
    );
    // The property is about the rollup and the counts: many reads must have used them.
    assert.ok(readRollup >= 40, `the rollup was read in ${readRollup} of 240 reports`);
    assert.ok(readCounts >= 15, `the day counts were read in ${readCounts} of 240 reports`);
  });

  /** Reads `plan` until its days are rolled and counted, then once more with and without them. */
  async function countedRead(plan: ReportPlan): Promise<Awaited<ReturnType<typeof withAndWithout>>> {
    for (let i = 0; i < 2; i++) {
      await store.report(plan);
      await store.settleRollups();
    }
    return withAndWithout(plan);
  }

  it('retires a day\u2019s count when a later link makes two of its visitors one', async () => {
    store.rollupClock = () => START + SPAN;
    const plan = planOf('relinked', { zone: 'UTC', dimensions: ['day'], extra: ['page_views'], includeBots: false }, { from: 0, length: 3 * DAY });
    const visit = (id: string): EventCase => ({ id, at: DAY + HOUR, event: '$pageview', referrer: null, bot: false });
    await store.append(eventsOf('relinked', [visit('x'), visit('y')], 'e'), []);
    const before = await countedRead(plan);
    assert.ok(before.readCounts, 'the day was counted');
    assert.deepEqual(before.rolled.rows.map((row) => row.metrics.unique_visitors), [2]);
    // x turns out to be y: the counted day now has one visitor.
    await store.append([], linksOf('relinked', [{ from: 'x', to: 'y' }]));
    const after = await withAndWithout(plan);
    assert.deepEqual(comparable(after.rolled), comparable(after.plain));
    assert.deepEqual(after.rolled.rows.map((row) => row.metrics.unique_visitors), [1]);
  });

  it('counts no day where a day number comes twice', async () => {
    // Casey's 5 March 2010 begins, goes back to the 4th for an hour, then begins again.
    const from = Date.parse('2010-03-02T13:00:00Z');
    store.rollupClock = () => from + 30 * DAY;
    const at = (iso: string, id: string): StoredEvent => storedEvent({ client_id: 'casey', uuid: `${id}-${iso}`, distinct_id: id, timestamp: Date.parse(iso), received_at: Date.parse(iso) });
    await store.append([at('2010-03-04T13:30:00Z', 'a'), at('2010-03-04T15:30:00Z', 'b'), at('2010-03-04T17:00:00Z', 'a'), at('2010-03-04T18:00:00Z', 'c')], []);
    const plan: ReportPlan = { ...planOf('casey', { zone: 'Antarctica/Casey', dimensions: ['day'], extra: [], includeBots: false }, { from: 0, length: 0 }), from, to: from + 5 * DAY, offsets: offsetSegments('Antarctica/Casey', from, from + 5 * DAY) };
    const read = await countedRead(plan);
    assert.ok(read.readRollup && !read.readCounts, 'the rollup is read, the counts are not');
    assert.deepEqual(comparable(read.rolled), comparable(read.plain));
    // The 5th: a and c, once.
    assert.equal(read.rolled.rows.length, 2);
  });

  it('reads each event on a day\u2019s bounds once, in its own day', async () => {
    // Days 0–3 finished (rolled), day 4 not (read from events): events a millisecond either side
    // of every midnight and on it, the block's end included.
    store.rollupClock = () => START + 4 * DAY + 2 * HOUR;
    const plan = planOf('bounds', { zone: 'UTC', dimensions: ['day'], extra: ['page_views'], includeBots: false }, { from: 0, length: 4 * DAY + 12 * HOUR });
    const visits = [1, 2, 3, 4].flatMap((d) => [-1, 0, 1].map((ms, i): EventCase => ({ id: `v${d}-${i}`, at: d * DAY + ms, event: '$pageview', referrer: null, bot: false })));
    await store.append(eventsOf('bounds', visits, 'e'), []);
    const read = await countedRead(plan);
    assert.ok(read.readRollup && read.readCounts, 'read from the rollup and the counts');
    assert.deepEqual(comparable(read.rolled), comparable(read.plain));
    // Day 0 has the millisecond before midnight; days 1–3 their midnight, the next millisecond and the one before the next midnight; day 4 the last two.
    const byDay = [...read.rolled.rows].sort((a, b) => String(a.dimensions.day).localeCompare(String(b.dimensions.day)));
    assert.deepEqual(byDay.map((row) => row.metrics.page_views), [1, 3, 3, 3, 2]);
    // Stored late, on a midnight between two rolled days: day 2's, not day 1's.
    await store.append(eventsOf('bounds', [{ id: 'late', at: 2 * DAY, event: '$pageview', referrer: null, bot: false }], 'l'), []);
    for (const dimensions of [['day'], ['referrer_host']] as Dimension[][]) {
      const late = await countedRead({ ...plan, dimensions, ...(dimensions[0] === 'day' ? {} : { maxRows: undefined, sortAndLimit: { orderBy: [{ column: 'unique_visitors', direction: 'desc' }], limit: 5 } }) });
      assert.deepEqual(comparable(late.rolled), comparable(late.plain), dimensions.join());
    }
  });

  it('keeps a client\u2019s rollups of two zones apart', async () => {
    store.rollupClock = () => START + SPAN;
    const visits = [0, 5, 11, 17, 23].flatMap((h) => [1, 2, 3].map((d): EventCase => ({ id: `v${h % 3}`, at: d * DAY + h * HOUR, event: '$pageview', referrer: null, bot: false })));
    await store.append(eventsOf('moved', visits, 'e'), []);
    const inZone = (zone: string): ReportPlan => planOf('moved', { zone, dimensions: ['day'], extra: ['page_views'], includeBots: false }, { from: 0, length: 6 * DAY });
    // Rolled and counted in Berlin, then in New York (the client moved): overlapping stretches.
    await countedRead(inZone('Europe/Berlin'));
    await countedRead(inZone('America/New_York'));
    // An event stored late falls in a rolled day of each zone.
    await store.append(eventsOf('moved', [{ id: 'late', at: 2 * DAY + 3 * HOUR, event: '$pageview', referrer: null, bot: false }], 'l'), []);
    for (const zone of ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata']) {
      const read = await countedRead(inZone(zone));
      assert.ok(read.readRollup, `${zone}: read from the rollup`);
      assert.deepEqual(comparable(read.rolled), comparable(read.plain), zone);
    }
  });

  it('lets stored events in between the days it rolls', async () => {
    store.rollupClock = () => START + SPAN;
    const plan = planOf('queue', { zone: 'UTC', dimensions: ['day'], extra: [], includeBots: false }, { from: 0, length: 10 * DAY });
    await store.append(eventsOf('queue', Array.from({ length: 10 }, (_, d): EventCase => ({ id: 'a', at: d * DAY + HOUR, event: '$pageview', referrer: null, bot: false })), 'e'), []);
    // The report asks for ten days to be rolled; an event stored right after waits for one day's
    // work at most, not for all ten.
    await store.report(plan);
    await store.append(eventsOf('queue', [{ id: 'b', at: SPAN + 2 * DAY, event: '$pageview', referrer: null, bot: false }], 'now'), []);
    const rolledDays = async (): Promise<number> => Number((await store.inspect({ sql: "SELECT count(*) FROM rolled_days WHERE client_id = 'queue'", params: [] }))[0]?.[0]);
    assert.ok((await rolledDays()) <= 2, `${await rolledDays()} days were rolled before the event was stored`);
    await store.settleRollups();
    assert.equal(await rolledDays(), 10);
  });

  it('forgets a deleted client\u2019s rolled days', async () => {
    store.rollupClock = () => START + SPAN;
    const plan = planOf('gone', { zone: 'Europe/Berlin', dimensions: ['day'], extra: ['page_views'], includeBots: false }, { from: 0, length: 7 * DAY });
    const events = (prefix: string): StoredEvent[] => eventsOf('gone', [1, 2, 3].map((d) => ({ id: `v${d}`, at: d * DAY + HOUR, event: '$pageview', referrer: null, bot: false })), prefix);
    await store.append(events('x'), []);
    await store.report(plan);
    await store.settleRollups();
    await store.deleteClient('gone');
    for (const table of ['day_rollup', 'rolled_days', 'day_counts']) {
      const [row] = await store.inspect({ sql: `SELECT count(*) FROM ${table} WHERE client_id = 'gone'`, params: [] });
      assert.equal(Number(row?.[0]), 0, `${table} keeps no row of the deleted client`);
    }
    // The same days stored again and rolled again: rows left behind would count them twice.
    await store.append(events('y'), []);
    await store.report(plan);
    await store.settleRollups();
    const read = await withAndWithout(plan);
    assert.ok(read.readRollup, 'the days were rolled again and read from the rollup');
    assert.deepEqual(comparable(read.rolled), comparable(read.plain));
    // One page view on each of three days (days without events have no row).
    assert.deepEqual(
      read.rolled.rows.map((row) => row.metrics.page_views),
      [1, 1, 1],
    );
  });

  it('pauses a client\u2019s rolling after its roll fails, and rolls again once the pause is over', async () => {
    const failing = await DuckDbEventStore.open(join(dir, 'failing.duckdb'));
    await failing.migrate();
    failing.rollupClock = () => START + SPAN;
    let now = 0;
    failing.pauseClock = () => now;
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      if (warning.message.startsWith('rolling a day')) warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    // Warnings are emitted on the next tick.
    const rollAndHear = async (): Promise<void> => {
      await failing.settleRollups();
      await new Promise((resolve) => setImmediate(resolve));
    };
    const rolledDays = async (client: string): Promise<number> =>
      Number((await failing.inspect({ sql: 'SELECT count(*) FROM rolled_days WHERE client_id = $1', params: [client] }))[0]?.[0]);
    const threeDays = (client: string): StoredEvent[] => eventsOf(client, [1, 2, 3].map((d) => ({ id: `v${d}`, at: d * DAY + HOUR, event: '$pageview', referrer: null, bot: false })), 'e');
    const planFor = (client: string): ReportPlan => planOf(client, { zone: 'UTC', dimensions: ['day'], extra: ['page_views'], includeBots: false }, { from: 0, length: 5 * DAY });
    const pageViews = (result: ReportResult): unknown => result.rows.map((row) => row.metrics.page_views);
    try {
      await failing.append([...threeDays('paused'), ...threeDays('other')], []);
      // A real failure of the real engine: the rollup's table is gone, so every roll fails.
      const [ddl] = await failing.inspect({ sql: "SELECT sql FROM duckdb_tables() WHERE table_name = 'day_rollup'", params: [] });
      await failing.inspect({ sql: 'DROP TABLE day_rollup', params: [] });

      const first = await failing.report(planFor('paused'));
      await rollAndHear();
      assert.equal(warnings.length, 1, `one failed roll, and the days queued behind it are not tried: ${warnings.join(' | ')}`);
      assert.match(warnings[0] as string, /none of its days is rolled or counted for the next 60 s/);
      now += 59_000;
      const during = await failing.report(planFor('paused'));
      await rollAndHear();
      assert.equal(warnings.length, 1, `no roll is tried during the pause: ${warnings.join(' | ')}`);
      for (const result of [first, during]) assert.deepEqual(pageViews(result), [1, 1, 1], 'answered from events meanwhile');

      // The table back: another client's days are rolled at once, the paused client's wait.
      await failing.inspect({ sql: String(ddl?.[0]), params: [] });
      await failing.report(planFor('other'));
      await failing.report(planFor('paused'));
      await rollAndHear();
      assert.equal(await rolledDays('other'), 5, 'the pause is the failing client\u2019s own');
      assert.equal(await rolledDays('paused'), 0, 'still paused');

      now += 2_000;
      await failing.report(planFor('paused'));
      await rollAndHear();
      assert.equal(warnings.length, 1, 'the rolls after the pause succeed');
      assert.equal(await rolledDays('paused'), 5, 'the five days of the period are rolled');
      failing.statementLog = [];
      const after = await failing.report(planFor('paused'));
      assert.ok(failing.statementLog.some((statement) => statement.sql.includes('day_rollup')), 'read from the rollup');
      assert.deepEqual(pageViews(after), [1, 1, 1]);
    } finally {
      process.off('warning', onWarning);
      await failing.close();
    }
  });

  it('knows its rolled days after a restart, so late events still reach the rollup', async () => {
    const path = join(dir, 'restart.duckdb');
    let reopened = await DuckDbEventStore.open(path);
    await reopened.migrate();
    reopened.rollupClock = () => START + SPAN;
    const plan = planOf('late', { zone: 'UTC', dimensions: ['day'], extra: [], includeBots: false }, { from: 0, length: 5 * DAY });
    await reopened.append(eventsOf('late', [{ id: 'a', at: DAY + HOUR, event: '$pageview', referrer: null, bot: false }], 'x'), []);
    await reopened.report(plan);
    await reopened.settleRollups();
    await reopened.close();

    reopened = await DuckDbEventStore.open(path);
    await reopened.migrate();
    reopened.rollupClock = () => START + SPAN;
    await reopened.append(eventsOf('late', [{ id: 'b', at: DAY + 2 * HOUR, event: '$pageview', referrer: null, bot: false }], 'y'), []);
    reopened.statementLog = [];
    const result = await reopened.report(plan);
    assert.ok(reopened.statementLog.some((statement) => statement.sql.includes('day_rollup')), 'the reopened store read the rollup');
    // The day's rolled visitor and the one stored after the restart.
    assert.deepEqual(
      result.rows.map((row) => row.metrics.unique_visitors),
      [2],
    );
    await reopened.close();
  });
});

describe('whole local days of a period', () => {
  const whole = (zone: string, from: number, to: number): { start: number; end: number }[] => localDays(zone, from, to).whole;
  const hours = (days: { start: number; end: number }[]): number[] => days.map((day) => (day.end - day.start) / HOUR);

  it('keeps only the days the period holds whole, in the zone', () => {
    // From Berlin's midnight (23:00 UTC) for three days: three whole days.
    const from = Date.parse('2026-01-09T23:00:00Z');
    assert.deepEqual(whole('Europe/Berlin', from, from + 3 * DAY), [0, 1, 2].map((d) => ({ start: from + d * DAY, end: from + (d + 1) * DAY })));
    // An hour later on both ends: the first day is cut, and the fourth, which the period enters.
    assert.deepEqual(whole('Europe/Berlin', from + HOUR, from + 3 * DAY + HOUR), [1, 2].map((d) => ({ start: from + d * DAY, end: from + (d + 1) * DAY })));
    assert.deepEqual(whole('UTC', from, from), []);
  });

  it('gives days of 23 and 25 hours where the clock changes, midnight changes included', () => {
    // Berlin springs forward on 29 March 2026; Santiago goes back at its midnight, 4 to 5 April.
    assert.deepEqual(hours(whole('Europe/Berlin', Date.parse('2026-03-27T23:00:00Z'), Date.parse('2026-03-30T22:00:00Z'))), [24, 23, 24]);
    assert.deepEqual(hours(whole('America/Santiago', Date.parse('2026-04-03T03:00:00Z'), Date.parse('2026-04-06T04:00:00Z'))), [24, 25, 24]);
    // Lord Howe goes back half an hour on 5 April.
    assert.deepEqual(hours(whole('Australia/Lord_Howe', Date.parse('2026-04-03T13:00:00Z'), Date.parse('2026-04-06T13:30:00Z'))), [24, 24.5, 24]);
  });

  it('says when a day number comes back: a clock set back across midnight', () => {
    // Casey went from +11 to +8 at 02:00 on 5 March 2010: back to 23:00 of the 4th.
    const from = Date.parse('2010-03-02T13:00:00Z');
    const casey = localDays('Antarctica/Casey', from, from + 5 * DAY);
    assert.equal(casey.increasing, false);
    // The 5th begins (two hours), the clock goes back to the 4th (one hour), then the 5th again:
    // each a stretch of its own.
    assert.deepEqual(hours(casey.whole), [24, 24, 2, 1, 24, 24]);
    assert.equal(localDays('Europe/Berlin', Date.parse('2026-10-20T00:00:00Z'), Date.parse('2026-11-05T00:00:00Z')).increasing, true);
  });
});

describe('the pause after failed rollup work', () => {
  it('doubles with each failure in a row up to an hour', () => {
    const pause = new RollupPause();
    assert.ok(pause.allows(0), 'no pause before any failure');
    const waits = Array.from({ length: 8 }, () => pause.failed(0));
    assert.deepEqual(
      waits.map((ms) => ms / 1000),
      [60, 120, 240, 480, 960, 1920, 3600, 3600],
    );
    assert.equal(pause.allows(3_599_999), false, 'still paused a millisecond before the end');
    assert.equal(pause.allows(3_600_000), true);
  });
});
