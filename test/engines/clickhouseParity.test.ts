import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import type { EventStore, FunnelResult, IdentityLink, ReportResult, StoredEvent } from '../../src/events/eventStore.js';
import { planFilters } from '../../src/query/filters.js';
import type { FunnelPlan, ReportPlan } from '../../src/query/plan.js';
import type { Attribution, Dimension, FilterValue, FunnelStepInput, Metric, QueryFiltersInput } from '../../src/query/schemas.js';
import { offsetSegments } from '../../src/query/zone.js';
import { storedEvent } from '../helpers/events.js';
import { CLICKHOUSE_SKIP_REASON, openClickHouseTestStore } from '../helpers/clickhouseEngine.js';

/*
 * The ClickHouse engine gives DuckDB's answer to every plan: random events (sessions, bots, nulls,
 * retries with other timestamps, several batches), random identity links (chains, loops, a
 * distinct_id linked twice) and random plans (every metric, every dimension, filters, zones with
 * DST and half-hour offsets, sort orders and limits, funnels with repeated and overlapping steps
 * and same-millisecond events), answered by both engines and compared exactly.
 */

// --- DuckDB's answer: the reference every engine must give.
const duckdbReport = (store: DuckDbEventStore, plan: ReportPlan): Promise<ReportResult> => store.report(plan);
const duckdbFunnel = (store: DuckDbEventStore, plan: FunnelPlan): Promise<FunnelResult> => store.funnel(plan);

// --- Data.
const BASE = Date.parse('2026-03-27T00:00:00.000Z');
const HOUR = 3_600_000;
const PATHS = ['/', '/a', '/b', '/é', '/Z'];
const maybe = <T>(values: T[]): fc.Arbitrary<T | null> => fc.oneof({ arbitrary: fc.constantFrom(...values), weight: 3 }, { arbitrary: fc.constant(null), weight: 1 });
const PEOPLE = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'];

const eventArb = fc.record({
  event: fc.oneof({ arbitrary: fc.constant('$pageview'), weight: 4 }, { arbitrary: fc.constantFrom('signup', 'buy'), weight: 2 }),
  distinct_id: fc.constantFrom(...PEOPLE),
  minute: fc.integer({ min: -24 * 60, max: 5 * 24 * 60 }),
  session_id: maybe(['s1', 's2', 's3', 's4', 's5']),
  path: fc.constantFrom(...PATHS),
  referrer_host: maybe(['google.com', 'news.test', 'News.Test']),
  utm_source: maybe(['mail', 'ads']),
  utm_medium: maybe(['cpc']),
  utm_campaign: maybe(['spring', '50%_off']),
  utm_term: maybe(['shoes']),
  utm_content: maybe(['Banner']),
  browser: maybe(['Chrome', 'Firefox']),
  os: maybe(['Linux', 'iOS']),
  device_type: maybe(['desktop', 'mobile']),
  country: maybe(['DE', 'FR']),
  region: maybe(['Bavaria', 'Île-de-France']),
  city: maybe(['Munich', 'Paris', 'İstanbul', 'ΣΊΣΥΦΟΣ', 'Ǆemal', 'ıspir', 'Straẞe', '\u1C89']),
  link_id: maybe(['lnk_AAAAAAAAAAAA', 'lnk_BBBBBBBBBBBB']),
  is_bot: fc.oneof({ arbitrary: fc.constant(false), weight: 5 }, { arbitrary: fc.constant(true), weight: 1 }),
});
type GenEvent = typeof eventArb extends fc.Arbitrary<infer T> ? T : never;

const linkArb = fc.record({ distinct_id: fc.constantFrom(...PEOPLE), person_id: fc.constantFrom(...PEOPLE, 'p1', 'p2'), minute: fc.integer({ min: 0, max: 1000 }) });

interface Dataset {
  batches: { events: GenEvent[]; links: { distinct_id: string; person_id: string; minute: number }[] }[];
  /** Indexes of events sent again in the last batch, with another timestamp. */
  retries: number[];
}
const datasetArb = (events: number): fc.Arbitrary<Dataset> =>
  fc.record({
    batches: fc.array(fc.record({ events: fc.array(eventArb, { maxLength: events }), links: fc.array(linkArb, { maxLength: 4 }) }), { minLength: 1, maxLength: 3 }),
    retries: fc.array(fc.nat(200), { maxLength: 3 }),
  });

let clientCounter = 0;
/** The dataset as stored rows of a fresh client; `tieFree` spaces events so no two share a millisecond. */
function materialise(data: Dataset, tieFree: boolean): { clientId: string; batches: { events: StoredEvent[]; links: IdentityLink[] }[] } {
  clientCounter += 1;
  const clientId = `c${clientCounter}`;
  let n = 0;
  const batches = data.batches.map((batch, b) => ({
    events: batch.events.map((e) => {
      n += 1;
      const path = e.event === '$pageview' ? e.path : null;
      return storedEvent({
        ...e,
        client_id: clientId,
        uuid: `${clientId}-e${n}`,
        path: e.event === '$pageview' ? path : e.path,
        url: `https://x.test${e.path}?n=${n % 3}`,
        timestamp: BASE + e.minute * 60_000 + (tieFree ? n : 0),
        received_at: BASE + 9 * 24 * HOUR + n,
      });
    }),
    links: batch.links.map((l) => ({ client_id: clientId, distinct_id: l.distinct_id, person_id: l.person_id, created_at: BASE + b * 1000 + l.minute })),
  }));
  const all = batches.flatMap((b) => b.events);
  const retried = data.retries.filter((i) => i < all.length).map((i) => ({ ...all[i]!, timestamp: all[i]!.timestamp + 7 * HOUR + 1 }));
  if (retried.length > 0) batches.push({ events: retried, links: [] });
  return { clientId, batches };
}

async function storeBoth(stores: Pick<EventStore, 'append'>[], batches: { events: StoredEvent[]; links: IdentityLink[] }[]): Promise<void> {
  for (const batch of batches) {
    const outcomes = [];
    for (const store of stores) outcomes.push(await store.append(batch.events, batch.links));
    assert.deepEqual(outcomes[1], outcomes[0], 'duplicate indexes differ');
  }
}

// --- Plans.
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'];
const METRIC_LIST: Metric[] = ['page_views', 'unique_visitors', 'sessions', 'events', 'bounce_rate', 'avg_session_duration', 'views_per_session', 'conversions'];
const PLAIN_DIMENSIONS: Dimension[] = ['path', 'entry_path', 'exit_path', 'referrer_host', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'browser', 'os', 'device_type', 'event', 'country', 'region', 'city', 'link_id'];
const GRAINS: Dimension[] = ['hour', 'day', 'week', 'month'];

/** Values a filter may name: stored ones, one never stored, and case or `%`/`_` variants for `contains`. */
const FILTER_VALUES: Partial<Record<keyof QueryFiltersInput, string[]>> = {
  path: PATHS,
  entry_path: PATHS,
  exit_path: PATHS,
  referrer_host: ['google.com', 'news.test', 'GOOGLE', 'nowhere'],
  utm_source: ['mail', 'ads'],
  utm_campaign: ['spring', '50%_off', '%', '_', 'Spring'],
  utm_term: ['shoes'],
  utm_content: ['banner', 'Banner'],
  browser: ['Chrome', 'Firefox', 'chr'],
  device_type: ['desktop', 'mobile'],
  event: ['$pageview', 'signup', 'SIGN'],
  country: ['DE', 'FR', 'de'],
  region: ['Bavaria', 'Île-de-France', 'île'],
  // Letters the engines' own lowers disagreed on; contains must fold them alike (caseFold.ts).
  city: ['Munich', 'Paris', 'mun', 'İstanbul', 'istanbul', 'i\u0307', 'σίσυφος', 'ς', 'ǅ', 'ıs', 'ß', '\u1C8A'],
  link_id: ['lnk_AAAAAAAAAAAA', 'lnk_BBBBBBBBBBBB', 'lnk_b', 'lnk_CCCCCCCCCCCC'],
};
const FILTERED = Object.keys(FILTER_VALUES) as (keyof typeof FILTER_VALUES)[];
const valueArb = (name: keyof typeof FILTER_VALUES): fc.Arbitrary<FilterValue> => {
  const values = FILTER_VALUES[name] as string[];
  const list = fc.uniqueArray(fc.oneof({ arbitrary: fc.constantFrom(...values), weight: 3 }, { arbitrary: fc.constant(null), weight: 1 }), { minLength: 1, maxLength: 3 });
  return fc.oneof(fc.constantFrom(...values), list.map((is) => ({ is })), list.map((is_not) => ({ is_not })), fc.constantFrom(...values).map((contains) => ({ contains })));
};
const oneFilterArb: fc.Arbitrary<QueryFiltersInput> = fc.oneof(
  { arbitrary: fc.constantFrom(...FILTERED).chain((name) => valueArb(name).map((value) => ({ [name]: value }) as QueryFiltersInput)), weight: 5 },
  { arbitrary: fc.record({ url_contains: fc.constantFrom('n=1', 'x.test/a', '/é') }), weight: 1 },
);
/** Few filters at a time, as the API takes them (converted by the service's own planFilters): every filter at once leaves nothing to compare. */
const filtersOf = (one: fc.Arbitrary<QueryFiltersInput>) =>
  fc
    .tuple(fc.array(one, { maxLength: 2 }), fc.option(fc.boolean(), { nil: undefined }))
    .map(([filters, bots]) => planFilters(Object.assign({}, ...filters, bots === undefined ? {} : { include_bots: bots }) as QueryFiltersInput));
const filtersArb = filtersOf(oneFilterArb);
/**
 * Without entry/exit paths nor visit attribution: with two events of a session at one
 * millisecond, which one is first is either engine's pick (as for the entry_path dimension), so
 * data with such ties compares them only in the tie-free funnel property.
 */
const tieSafeFiltersArb = filtersOf(oneFilterArb.filter((f) => f.entry_path === undefined && f.exit_path === undefined));
const attributionArb = fc.constantFrom<Attribution>('event', 'visit');
const rangeArb = fc.record({ zone: fc.constantFrom(...ZONES), fromHour: fc.integer({ min: -30, max: 100 }), hours: fc.integer({ min: 0, max: 160 }), extraMs: fc.integer({ min: 0, max: 3_599_999 }) });

const reportPlanArb = fc
  .record({
    range: rangeArb,
    filters: filtersArb,
    attribution: attributionArb,
    metrics: fc.uniqueArray(fc.constantFrom(...METRIC_LIST), { minLength: 1, maxLength: 4 }),
    plain: fc.uniqueArray(fc.constantFrom(...PLAIN_DIMENSIONS), { maxLength: 2 }),
    grain: fc.option(fc.constantFrom(...GRAINS), { nil: undefined }),
    conversion: fc.constantFrom('signup', 'buy', '$pageview'),
    orderSeed: fc.array(fc.tuple(fc.nat(10), fc.boolean()), { maxLength: 3 }),
    limit: fc.integer({ min: 1, max: 6 }),
  })
  .map((p): ReportPlan => {
    const from = BASE + p.range.fromHour * HOUR + p.range.extraMs;
    const to = from + p.range.hours * HOUR;
    const dimensions = p.grain === undefined ? p.plain : [...p.plain.slice(0, 1), p.grain];
    const plan: ReportPlan = {
      clientId: '',
      from,
      to,
      filters: p.filters,
      attribution: p.attribution,
      metrics: p.metrics,
      dimensions,
      offsets: p.grain === undefined ? [] : offsetSegments(p.range.zone, from, to),
      ...(p.metrics.includes('conversions') ? { conversionEvent: p.conversion } : {}),
    };
    if (p.grain !== undefined) return { ...plan, maxRows: 100_001 };
    const columns = [...dimensions, ...p.metrics];
    const orderBy = [...new Map(p.orderSeed.map(([i, asc]) => [columns[i % columns.length]!, asc ? ('asc' as const) : ('desc' as const)])).entries()].map(([column, direction]) => ({ column, direction }));
    // The service always sends at least one key (the first metric, descending, by default).
    return { ...plan, sortAndLimit: { orderBy: orderBy.length > 0 ? orderBy : [{ column: p.metrics[0]!, direction: 'desc' }], limit: p.limit } };
  });

const stepArb: fc.Arbitrary<FunnelStepInput> = fc.oneof(fc.record({ event: fc.constantFrom('$pageview', 'signup', 'buy') }), fc.record({ path: fc.constantFrom('/', '/a', '/b') }));
const funnelPlanArb = (filters: fc.Arbitrary<FunnelPlan['filters']>, attribution: fc.Arbitrary<Attribution>) => fc
  .record({ range: rangeArb, filters, attribution, steps: fc.array(stepArb, { minLength: 2, maxLength: 4 }), windowMinutes: fc.integer({ min: 1, max: 3000 }) })
  .map((p): FunnelPlan => {
    const from = BASE + p.range.fromHour * HOUR;
    return { clientId: '', from, to: from + p.range.hours * HOUR, filters: p.filters, attribution: p.attribution, steps: p.steps, windowMs: p.windowMinutes * 60_000 };
  },
);

/** deepEqual that names the plan and shows both answers. */
function same(actual: unknown, expected: unknown, plan: unknown): void {
  try {
    assert.deepEqual(actual, expected);
  } catch {
    throw new Error(`plan ${JSON.stringify(plan)}\n clickhouse ${JSON.stringify(actual)}\n duckdb     ${JSON.stringify(expected)}`);
  }
}

/** Rows of a time report come in no order: compare them sorted. */
const canonical = (result: ReportResult, ordered: boolean): ReportResult =>
  ordered ? result : { ...result, rows: [...result.rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) };

describe('ClickHouse gives DuckDB’s answers', { skip: CLICKHOUSE_SKIP_REASON }, () => {
  let duck: DuckDbEventStore;
  let house: EventStore;
  let dispose: () => Promise<void>;
  before(async () => {
    duck = await DuckDbEventStore.open(':memory:');
    await duck.migrate();
    ({ store: house, dispose } = await openClickHouseTestStore());
  });
  after(async () => {
    await duck.close();
    await dispose();
  });

  it('for random reports', async () => {
    await fc.assert(
      fc.asyncProperty(datasetArb(40), fc.array(reportPlanArb, { minLength: 1, maxLength: 4 }), async (data, plans) => {
        const { clientId, batches } = materialise(data, true);
        await storeBoth([duck, house], batches);
        for (const generic of plans) {
          const plan = { ...generic, clientId };
          const expected = canonical(await duckdbReport(duck, plan), plan.sortAndLimit !== undefined);
          const actual = canonical(await house.report(plan), plan.sortAndLimit !== undefined);
          same(actual, expected, plan);
        }
      }),
      { numRuns: Number(process.env.PARITY_RUNS ?? 40) },
    );
  });

  it('keeps a half-hour zone’s hours for rows without a session, on a store holding other clients’ events', async () => {
    // Found by the property above (seed 155467753): ClickHouse answered the hour of a session-less
    // event on the UTC hour when the zone's one offset travelled as a constant through the session
    // join. It took other clients' rows in the store; any of a few seeded datasets brings them.
    for (const data of fc.sample(datasetArb(40), { numRuns: 5, seed: 7 })) await storeBoth([duck, house], materialise(data, true).batches);
    const event: GenEvent = { ...fc.sample(eventArb, { numRuns: 1, seed: 1 })[0]!, event: 'signup', minute: 0, session_id: null, path: '/é', utm_term: 'shoes', is_bot: false };
    const { clientId, batches } = materialise({ batches: [{ events: [event], links: [] }], retries: [] }, true);
    await storeBoth([duck, house], batches);
    const from = BASE - HOUR + 3_254_943;
    const plan: ReportPlan = {
      clientId,
      from,
      to: from + 50 * HOUR,
      filters: planFilters({ url_contains: '/é' }),
      attribution: 'visit',
      metrics: ['bounce_rate', 'sessions'],
      dimensions: ['utm_term', 'hour'],
      offsets: [{ from, offset: 19_800_000 }],
      maxRows: 100_001,
    };
    const expected = await duckdbReport(duck, plan);
    // The local hour of 00:00Z in UTC+05:30 starts at 23:30Z.
    assert.deepEqual(expected.rows.map((row) => row.dimensions.hour), [BASE - HOUR / 2]);
    same(canonical(await house.report(plan), false), canonical(expected, false), plan);
  });

  it('for random funnels, same-millisecond events included', async () => {
    await fc.assert(
      fc.asyncProperty(datasetArb(40), fc.array(funnelPlanArb(tieSafeFiltersArb, fc.constant<Attribution>('event')), { minLength: 1, maxLength: 3 }), async (data, plans) => {
        const { clientId, batches } = materialise(data, false);
        await storeBoth([duck, house], batches);
        for (const generic of plans) {
          const plan = { ...generic, clientId };
          same(await house.funnel(plan), await duckdbFunnel(duck, plan), plan);
        }
      }),
      { numRuns: Number(process.env.PARITY_RUNS ?? 25) },
    );
  });

  it('for random funnels with entry and exit path filters and visit attribution, without ties', async () => {
    await fc.assert(
      fc.asyncProperty(datasetArb(40), fc.array(funnelPlanArb(filtersArb, attributionArb), { minLength: 1, maxLength: 3 }), async (data, plans) => {
        const { clientId, batches } = materialise(data, true);
        await storeBoth([duck, house], batches);
        for (const generic of plans) {
          const plan = { ...generic, clientId };
          same(await house.funnel(plan), await duckdbFunnel(duck, plan), plan);
        }
      }),
      { numRuns: Number(process.env.PARITY_RUNS ?? 10) },
    );
  });

  it('for contains over every letter pair the engines lowered differently', async () => {
    // Random plans draw these too seldom to fail every run; this asks every needle of each value.
    clientCounter += 1;
    const clientId = `c${clientCounter}`;
    const cities = (FILTER_VALUES.city ?? []).filter((city) => city !== city.toLowerCase());
    const events = cities.map((city, i) => storedEvent({ client_id: clientId, uuid: `${clientId}-${i}`, timestamp: BASE + i, city }));
    await storeBoth([duck, house], [{ events, links: [] }]);
    for (const contains of FILTER_VALUES.city ?? []) {
      const plan: ReportPlan = { clientId, from: BASE, to: BASE + HOUR, filters: planFilters({ city: { contains } }), metrics: ['events'], dimensions: ['city'], offsets: [], sortAndLimit: { orderBy: [{ column: 'events', direction: 'desc' }], limit: 100 } };
      same(canonical(await house.report(plan), false), canonical(await duckdbReport(duck, plan), false), plan);
    }
  });

  it('for chains of links longer than the hop bound, and loops', async () => {
    clientCounter += 1;
    const clientId = `c${clientCounter}`;
    const ids = Array.from({ length: 12 }, (_, i) => `id${i}`);
    const events = [...ids, 'x', 'y', 'z'].map((distinct_id, i) => storedEvent({ client_id: clientId, uuid: `${clientId}-${i}`, distinct_id, timestamp: BASE + i, path: i % 2 === 0 ? '/even' : '/odd' }));
    const link = (distinct_id: string, person_id: string, at: number): IdentityLink => ({ client_id: clientId, distinct_id, person_id, created_at: BASE + at });
    // id0 → id1 → … → id11 (11 hops), a loop x → y → z → x, and a second link of id3 that loses.
    const links = [...ids.slice(0, -1).map((id, i) => link(id, ids[i + 1]!, i)), link('x', 'y', 20), link('y', 'z', 21), link('z', 'x', 22)];
    await storeBoth([duck, house], [{ events, links }, { events: [], links: [link('id3', 'elsewhere', 0)] }]);
    const plan: ReportPlan = {
      clientId,
      from: BASE,
      to: BASE + HOUR,
      filters: {},
      metrics: ['unique_visitors', 'events'],
      dimensions: ['path'],
      offsets: [],
      sortAndLimit: { orderBy: [{ column: 'unique_visitors', direction: 'desc' }], limit: 10 },
    };
    same(await house.report(plan), await duckdbReport(duck, plan), plan);
    const noDimensions = { ...plan, dimensions: [] };
    same(await house.report(noDimensions), await duckdbReport(duck, noDimensions), noDimensions);
    const funnelPlan: FunnelPlan = { clientId, from: BASE, to: BASE + HOUR, filters: {}, steps: [{ path: '/even' }, { path: '/odd' }], windowMs: HOUR };
    same(await house.funnel(funnelPlan), await duckdbFunnel(duck, funnelPlan), funnelPlan);
  });

  it('for identity links, recent events and counts', async () => {
    await fc.assert(
      fc.asyncProperty(datasetArb(15), async (data) => {
        const { clientId, batches } = materialise(data, true);
        await storeBoth([duck, house], batches);
        const sortLinks = (links: IdentityLink[]) => [...links].sort((a, b) => (a.distinct_id < b.distinct_id ? -1 : a.distinct_id > b.distinct_id ? 1 : 0));
        assert.deepEqual(sortLinks(await house.identityLinks(clientId)), sortLinks(await duck.identityLinks(clientId)));
        const strip = (events: { seq: number }[]) => events.map(({ seq: _seq, ...rest }) => rest);
        assert.deepEqual(strip(await house.recentEvents(clientId, { limit: 7 })), strip(await duck.recentEvents(clientId, { limit: 7 })));
      }),
      { numRuns: 15 },
    );
  });
});
