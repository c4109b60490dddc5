import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { FILTER_DIMENSIONS } from '../../src/query/schemas.js';
import { ADMIN, suiteApi } from '../helpers/api.js';
import { describeEachStoreAndEngine } from '../helpers/engines.js';
import { funnel, insert, query, rows, view } from './support.js';

/*
 * Filter operators and visit attribution through POST /query and /query/funnel (client zone UTC,
 * clock at 2026-03-01T12:00Z, the default 30 days):
 *   s1, a (DE): /home 02-27 10:00 from google.com, utm news / "50%_off" / shoes; /pricing 10:01;
 *               /checkout 10:02; a signup 10:03 (on /checkout)
 *   s2, b (FR): /Blog/Post 11:00 from news.test, utm "spring"; /pricing 11:01
 *   s3, c (no country): /home 12:00, direct
 *   d (DE), no session: /landing 13:00 from google.com; a click 13:01 (on /landing)
 */
const google = { referrer_host: 'google.com', utm_source: 'news', utm_campaign: '50%_off', utm_term: 'shoes' };
const none = { utm_source: null };
const EVENTS = [
  view('2026-02-27T10:00:00Z', '/home', 'a', 's1', { ...google, country: 'DE' }),
  view('2026-02-27T10:01:00Z', '/pricing', 'a', 's1', { ...none, country: 'DE' }),
  view('2026-02-27T10:02:00Z', '/checkout', 'a', 's1', { ...none, country: 'DE' }),
  { ...view('2026-02-27T10:03:00Z', '/checkout', 'a', 's1', { ...none, country: 'DE' }), event: 'signup' },
  view('2026-02-27T11:00:00Z', '/Blog/Post', 'b', 's2', { referrer_host: 'news.test', utm_source: null, utm_campaign: 'spring', country: 'FR' }),
  view('2026-02-27T11:01:00Z', '/pricing', 'b', 's2', { ...none, country: 'FR' }),
  view('2026-02-27T12:00:00Z', '/home', 'c', 's3', { ...none, country: null }),
  view('2026-02-27T13:00:00Z', '/landing', 'd', null, { referrer_host: 'google.com', utm_source: null, country: 'DE' }),
  { ...view('2026-02-27T13:01:00Z', '/landing', 'd', null, { ...none, country: 'DE' }), event: 'click' },
];

describeEachStoreAndEngine('query API: filter operators and visit attribution', (kind, engine) => {
  const { api, newClient } = suiteApi(kind, 'filters', engine);
  let c: string;
  before(async () => {
    c = await newClient();
    await insert(api(), c, EVENTS);
  });
  const visitors = async (filters: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<unknown> =>
    (await rows(api(), { client_id: c, metric: 'unique_visitors', filters, ...extra })).rows[0]?.[0];
  const count = async (metric: string, filters: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<unknown> =>
    (await rows(api(), { client_id: c, metric, filters, ...extra })).rows[0]?.[0];

  it('matches any of the listed values with is, null standing for no value', async () => {
    assert.equal(await visitors({ country: 'DE' }), 2);
    assert.equal(await visitors({ country: { is: ['DE'] } }), 2);
    assert.equal(await visitors({ country: { is: ['DE', 'FR'] } }), 3);
    assert.equal(await visitors({ country: { is: ['DE', null] } }), 3);
    assert.equal(await visitors({ country: { is: [null] } }), 1);
    assert.equal(await visitors({ country: { is: ['XX'] } }), 0);
  });

  it('keeps rows without a value under is_not, unless null is listed', async () => {
    assert.equal(await visitors({ country: { is_not: ['DE'] } }), 2, 'b (FR) and c (none)');
    assert.equal(await visitors({ country: { is_not: ['DE', null] } }), 1, 'b only');
    assert.equal(await visitors({ country: { is_not: [null] } }), 3, 'everyone with a country');
    assert.equal(await visitors({ country: { is_not: ['DE', 'FR'] } }), 1, 'c only');
  });

  it('matches a case-insensitive substring with contains, % and _ taken literally', async () => {
    assert.equal(await count('page_views', { path: { contains: 'blog' } }), 1);
    assert.equal(await count('page_views', { referrer_host: { contains: 'GOOGLE' } }), 2);
    assert.equal(await count('page_views', { utm_campaign: { contains: '%_' } }), 1, 'only "50%_off": as a LIKE pattern, %_ would match "spring" too');
    assert.equal(await count('page_views', { utm_campaign: { contains: '_' } }), 1);
    assert.equal(await count('page_views', { utm_campaign: { contains: 'x' } }), 0);
    // A row without a value never contains anything.
    assert.equal(await count('events', { country: { contains: 'e' } }), 6);
  });

  it('folds case by one rule on every engine: lowercase, then ς as σ and i̇ as i', async () => {
    // Each engine's own lower disagreed on these (DuckDB lowers İ to i and every Σ to σ, ClickHouse
    // to i̇ and a final Σ to ς; ClickHouse's positionCaseInsensitiveUTF8 did not find Ǆ for ǅ).
    const cities = ['İstanbul', 'ΣΊΣΥΦΟΣ', 'Ǆemal', 'Ispir', 'ıspir', 'Straẞe', '\u1C89', '\u{10D50}'];
    const own = await newClient();
    await insert(api(), own, cities.map((city, i) => view(`2026-02-27T10:0${i}:00Z`, '/', `v${i}`, null, { city })));
    const cityCount = async (contains: string): Promise<unknown> => (await rows(api(), { client_id: own, metric: 'page_views', filters: { city: { contains } } })).rows[0]?.[0];
    assert.equal(await cityCount('istanbul'), 1, 'İstanbul');
    assert.equal(await cityCount('İSTANBUL'), 1, 'İstanbul');
    assert.equal(await cityCount('i\u0307stanbul'), 1, 'İstanbul, its i̇ folded to i');
    assert.equal(await cityCount('ist'), 1, 'İstanbul; not ıspir: dotless ı is a letter of its own');
    assert.equal(await cityCount('isp'), 1, 'Ispir only');
    assert.equal(await cityCount('ıs'), 1, 'ıspir only');
    assert.equal(await cityCount('σίσυφος'), 1, 'ΣΊΣΥΦΟΣ, final sigma or not');
    assert.equal(await cityCount('σίσυφοσ'), 1);
    assert.equal(await cityCount('ς'), 1, 'ΣΊΣΥΦΟΣ: ς is σ');
    assert.equal(await cityCount('ǅ'), 1, 'Ǆemal: the titlecase digraph lowers as the capital');
    assert.equal(await cityCount('ǆem'), 1);
    assert.equal(await cityCount('straß'), 1, 'Straẞe: capital ẞ lowers to ß');
    assert.equal(await cityCount('strasse'), 0, 'no expansion of ß to ss');
    assert.equal(await cityCount('\u1C8A'), 1, "a Unicode 16 capital (DuckDB's lower does not know it)");
    assert.equal(await cityCount('\u{10D70}'), 1, 'Garay, Unicode 16');
  });

  it('filters on every dimension together, and offers utm_term and utm_content as dimensions', async () => {
    const filters = { path: { is: ['/home'] }, event: '$pageview', referrer_host: { contains: 'goo' }, utm_source: 'news', utm_term: { is: ['shoes'] }, utm_content: { is: [null] }, browser: 'Chrome', os: { is_not: ['iOS'] }, device_type: 'desktop', utm_medium: { is: [null] } };
    assert.equal(await count('page_views', filters), 1);
    const terms = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['utm_term', 'utm_content'] });
    assert.deepEqual(terms.rows, [
      [null, null, 6],
      ['shoes', null, 1],
    ]);
  });

  it('credits every page of a visit to the visit’s source with attribution visit, only the first with event', async () => {
    const byEvent = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['referrer_host'] });
    assert.deepEqual(byEvent.rows, [
      [null, 4],
      ['google.com', 2],
      ['news.test', 1],
    ]);
    const byVisit = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['referrer_host'], attribution: 'visit' });
    assert.deepEqual(byVisit.rows, [
      ['google.com', 4],
      ['news.test', 2],
      [null, 1],
    ]);
    // The first event's null is the visit's: s2's first event has no utm_source, its second neither; s1's has "news".
    const sources = await rows(api(), { client_id: c, metric: 'events', dimensions: ['utm_source'], attribution: 'visit' });
    assert.deepEqual(sources.rows, [
      [null, 5],
      ['news', 4],
    ]);
    assert.equal(await count('page_views', { referrer_host: 'google.com' }), 2);
    assert.equal(await count('page_views', { referrer_host: 'google.com' }, { attribution: 'visit' }), 4);
    assert.equal(await count('events', { utm_campaign: { contains: '50%' } }, { attribution: 'visit' }), 4, 's1 whole, signup included');
    assert.equal(await count('events', { referrer_host: { is_not: ['google.com'] } }, { attribution: 'visit' }), 4, 's2, s3 and d’s click (its own visit, without a referrer)');
    // Attribution changes sources only: other dimensions read each event's own value.
    const paths = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['path'], filters: { referrer_host: 'news.test' }, attribution: 'visit' });
    assert.deepEqual(paths.rows, [
      ['/Blog/Post', 1],
      ['/pricing', 1],
    ]);
  });

  it('keeps the events of sessions whose entry or exit page matches; an event without a session is its own visit', async () => {
    assert.equal(await count('page_views', { entry_path: '/home' }), 4, 's1 and s3');
    assert.equal(await count('events', { entry_path: '/home' }), 5, 's1 with its signup, and s3');
    assert.equal(await count('events', { entry_path: '/landing' }), 1, 'd’s page view; its click is no page view');
    assert.equal(await count('page_views', { exit_path: '/pricing' }), 2, 's2');
    assert.equal(await count('events', { exit_path: { is_not: ['/pricing'] } }), 7, 's1, s3, and d’s two events (the click has no exit page)');
    assert.equal(await count('events', { exit_path: { is_not: ['/pricing', null] } }), 6);
    assert.equal(await count('page_views', { entry_path: { contains: 'BLOG' } }), 2);
    const entries = await rows(api(), { client_id: c, metric: 'page_views', dimensions: ['entry_path'] });
    assert.deepEqual(entries.rows, [
      ['/home', 4],
      ['/Blog/Post', 2],
      ['/landing', 1],
      [null, 0],
    ]);
  });

  it('applies filters and attribution to funnels', async () => {
    const steps = [{ path: '/home' }, { path: '/pricing' }];
    const reached = async (body: Record<string, unknown>): Promise<number[]> => {
      const res = await funnel(api(), { client_id: c, steps, ...body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.data.steps.map((s) => s.count);
    };
    assert.deepEqual(await reached({}), [2, 1]);
    assert.deepEqual(await reached({ filters: { referrer_host: 'google.com' } }), [1, 0], '/pricing came with no referrer');
    assert.deepEqual(await reached({ filters: { referrer_host: 'google.com' }, attribution: 'visit' }), [1, 1]);
    assert.deepEqual(await reached({ filters: { country: { is_not: ['DE'] } } }), [1, 0]);
    assert.deepEqual(await reached({ filters: { exit_path: { is: ['/checkout'] } } }), [1, 1]);
  });

  it('refuses malformed filters with a 400 naming the field, and changes nothing', async () => {
    const before = await count('events', {}, { filters: { include_bots: true } });
    const cases: [Record<string, unknown>, string][] = [
      [{ filters: { country: { is: ['DE'], is_not: ['FR'] } } }, 'filters.country'],
      [{ filters: { country: {} } }, 'filters.country'],
      [{ filters: { country: '' } }, 'filters.country'],
      [{ filters: { country: 5 } }, 'filters.country'],
      [{ filters: { country: null } }, 'filters.country'],
      [{ filters: { country: ['DE'] } }, 'filters.country'],
      [{ filters: { country: { is: [] } } }, 'filters.country.is'],
      [{ filters: { country: { is_not: Array.from({ length: 51 }, (_, i) => `c${i}`) } } }, 'filters.country.is_not'],
      [{ filters: { country: { is: ['DE', 5] } } }, 'filters.country.is.1'],
      [{ filters: { country: { is: [''] } } }, 'filters.country.is.0'],
      [{ filters: { country: { is: 'DE' } } }, 'filters.country.is'],
      [{ filters: { path: { contains: null } } }, 'filters.path.contains'],
      [{ filters: { path: { contains: '' } } }, 'filters.path.contains'],
      [{ filters: { path: { contains: 'x'.repeat(1025) } } }, 'filters.path.contains'],
      [{ attribution: 'session' }, 'attribution'],
    ];
    for (const [body, field] of cases) {
      const res = await query(api(), { client_id: c, metric: 'events', ...body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.code, 'validation_error', JSON.stringify(res.body));
      assert.deepEqual(
        res.body.details?.map((d) => d.field),
        [field],
        `${JSON.stringify(body)} → ${JSON.stringify(res.body.details)}`,
      );
      const funnelRes = await funnel(api(), { client_id: c, steps: [{ path: '/home' }, { path: '/pricing' }], ...body });
      assert.equal(funnelRes.status, 400, JSON.stringify(body));
    }
    const twoOperators = await query(api(), { client_id: c, metric: 'events', filters: { country: { is: ['DE'], is_not: ['FR'] } } });
    assert.match(twoOperators.body.error ?? '', /exactly one of is, is_not, contains/);
    const tooMany = await query(api(), { client_id: c, metric: 'events', filters: { country: { is: Array.from({ length: 51 }, (_, i) => `c${i}`) } } });
    assert.match(tooMany.body.error ?? '', /1–50 values/);
    const unknown = await query(api(), { client_id: c, metric: 'events', filters: { country: { equals: 'DE' } } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.code, 'unknown_field');
    assert.equal(await count('events', {}, { filters: { include_bots: true } }), before);
  });

  it('documents the operators on every filter, and attribution, in the OpenAPI document', async () => {
    const res = await api().app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: ADMIN });
    assert.equal(res.statusCode, 200);
    type Schema = { type?: unknown; description?: string; enum?: unknown[]; properties?: Record<string, Schema> };
    const doc = res.json() as { paths: Record<string, { post: { requestBody: { content: { 'application/json': { schema: Schema } } } } }> };
    for (const path of ['/api/v1/query', '/api/v1/public/query', '/api/v1/query/funnel']) {
      const body = doc.paths[path]?.post.requestBody.content['application/json'].schema;
      const filters = body?.properties?.filters?.properties ?? {};
      for (const name of FILTER_DIMENSIONS) {
        const filter = filters[name];
        assert.deepEqual(filter?.type, ['string', 'object'], `${path} filters.${name}`);
        assert.deepEqual(Object.keys(filter?.properties ?? {}), ['is', 'is_not', 'contains'], `${path} filters.${name}`);
        assert.match(filter?.properties?.is_not?.description ?? '', /unless null is listed/);
      }
      assert.deepEqual(body?.properties?.attribution?.enum, ['event', 'visit'], path);
      assert.match(body?.properties?.attribution?.description ?? '', /first event/);
    }
  });
});
