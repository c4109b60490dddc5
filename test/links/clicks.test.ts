import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { StoredEvent } from '../../src/events/eventStore.js';
import type { RecentEventView } from '../../src/events/schemas.js';
import { shippedGeoLookup } from '../../src/ingest/geo/openGeoLookup.js';
import { deriveIpHashSecret } from '../../src/ingest/ip.js';
import { sha256Hex } from '../../src/keys/secrets.js';
import type { LinkAnalyticsView } from '../../src/links/analyticsSchemas.js';
import { linkClickCounts } from '../../src/links/clickCounts.js';
import { clickId, linkClickEvent, type LinkClickRequest } from '../../src/links/clickEvent.js';
import { LINKS_PSEUDO_CLIENT, type LinkRow } from '../../src/links/linkRow.js';
import type { QueryResultView } from '../../src/query/schemas.js';
import { ADMIN_KEY, type Envelope, type TestApi } from '../helpers/api.js';
import { describeEachEngine } from '../helpers/engines.js';
import { ingestClient, startIngestApi, type Client } from '../helpers/ingest.js';
import { STORE_KINDS } from '../helpers/stores.js';

const SQLITE = STORE_KINDS[0]!;

/*
 * Clicks of short links as events, on each engine (SQLite as the MetaStore), the app's clock at
 * 2026-03-01T12:00Z. The client "far" lives in Pacific/Kiritimati (UTC+14): its day starts at
 * 10:00 UTC the day before, so clicks on either side of 10:00Z land on different local days.
 *
 *   L1 (far, created 02-20): 02-27T10:30Z US chrome via facebook  → local 02-28
 *                            02-28T09:59Z US chrome via facebook  → local 02-28 (another UTC day: another visitor)
 *                            02-28T10:00Z US chrome, no referrer  → local 03-01 (same visitor as the one before)
 *                            02-28T11:00Z DE iphone via t.co      → local 03-01
 *                            02-28T11:00Z googlebot; 02-28T11:01Z curl: bots
 *   L2 (far): 02-28T12:00Z;  L3 (another client): one click;  L0 (no client): two clicks, under _links
 */

const SECRET = deriveIpHashSecret(sha256Hex(ADMIN_KEY));
const GEO = shippedGeoLookup();
const UA = {
  chrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  iphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
};
const at = (iso: string): number => Date.parse(iso);

const linkRow = (id: string, clientId: string | null, slug: string, createdAt = at('2026-02-20T00:00:00Z')): LinkRow => ({
  id,
  client_id: clientId,
  slug,
  slug_key: slug.toLowerCase(),
  destination_url: `https://far.test/${slug}`,
  title: null,
  tags: [],
  metadata: {},
  password_hash: null,
  expires_at: null,
  created_at: createdAt,
  updated_at: createdAt,
});

describeEachEngine('link clicks as events, link_id in reports, link analytics', (engine) => {
  let api: TestApi;
  let send: ReturnType<typeof ingestClient>['send'];
  let far: Client;
  let other: Client;
  const L1 = 'lnk_FarLinkOne01';
  const L2 = 'lnk_FarLinkTwo02';
  const L3 = 'lnk_OtherLink003';
  const L0 = 'lnk_NoClient0004';
  const links: Record<string, LinkRow> = {};

  const click = (link: LinkRow, iso: string, request: Partial<LinkClickRequest>): StoredEvent =>
    linkClickEvent(link, { ip: '8.8.8.8', userAgent: UA.chrome, referrer: null, at: at(iso), ...request }, {
      shortUrl: `https://go.test/${link.slug}`,
      ipStorage: 'truncated',
      secret: SECRET,
      geo: GEO,
    });

  before(async () => {
    let createClient: ReturnType<typeof ingestClient>['createClient'];
    ({ api, send, createClient } = await startIngestApi(SQLITE, {}, engine));
    far = await createClient({ domain: 'far.test', timezone: 'Pacific/Kiritimati' });
    other = await createClient({ domain: 'other.test' });
    for (const [id, client, slug] of [[L1, far.id, 'one'], [L2, far.id, 'two'], [L3, other.id, 'three'], [L0, null, 'zero']] as const) {
      links[id] = linkRow(id, client, slug);
      assert.equal(await api.store.insertLink(links[id]), 'inserted');
    }
    const l1 = links[L1] as LinkRow;
    await api.events.append(
      [
        click(l1, '2026-02-27T10:30:00Z', { referrer: 'https://www.facebook.com/post/1' }),
        click(l1, '2026-02-28T09:59:00Z', { referrer: 'https://facebook.com/' }),
        click(l1, '2026-02-28T10:00:00Z', {}),
        click(l1, '2026-02-28T11:00:00Z', { ip: '80.128.0.1', userAgent: UA.iphone, referrer: 'https://t.co/x' }),
        click(l1, '2026-02-28T11:00:00Z', { userAgent: UA.googlebot }),
        click(l1, '2026-02-28T11:01:00Z', { userAgent: 'curl/8.5.0' }),
        click(links[L2] as LinkRow, '2026-02-28T12:00:00Z', {}),
        click(links[L3] as LinkRow, '2026-02-28T12:00:00Z', {}),
        click(links[L0] as LinkRow, '2026-02-28T12:00:00Z', {}),
        click(links[L0] as LinkRow, '2026-02-28T12:01:00Z', { userAgent: UA.iphone }),
      ],
      [],
    );
  });

  const analytics = (clientId: string, linkId: string, query = '', headers?: Record<string, string>) =>
    api.request<Envelope<LinkAnalyticsView>>('GET', `/api/v1/clients/${clientId}/links/${linkId}/analytics${query}`, headers ? { anonymous: true, headers } : {});

  it('stores a click with its link, country, device and bot flag, shown by /events', async () => {
    const res = await api.request<Envelope<RecentEventView[]>>('GET', `/api/v1/clients/${far.id}/events?limit=100`);
    assert.equal(res.status, 200);
    const clicks = res.body.data.filter((e) => e.event === '$link_click' && e.link_id === L1);
    assert.equal(clicks.length, 6);
    const iphone = clicks.find((e) => e.os === 'iOS');
    assert.deepEqual([iphone?.country, iphone?.device_type, iphone?.is_bot, iphone?.referrer_host, iphone?.ip, iphone?.url], ['DE', 'mobile', false, 't.co', '80.128.0.0', 'https://go.test/one']);
    assert.deepEqual(iphone?.properties, { slug: 'one', destination_url: 'https://far.test/one' });
    assert.equal(clicks.filter((e) => e.is_bot).length, 2);
    const orphans = await api.events.recentEvents(LINKS_PSEUDO_CLIENT, { limit: 10 });
    assert.deepEqual(orphans.map((e) => e.link_id), [L0, L0]);
  });

  it('counts clicks per link with bots apart, for a page of links of several clients', async () => {
    const counts = await linkClickCounts(api.events, api.clock.read)([
      { id: L1, client_id: far.id },
      { id: L2, client_id: far.id },
      { id: L3, client_id: other.id },
      { id: L0, client_id: null },
      { id: 'lnk_NeverClicked0', client_id: far.id },
    ]);
    assert.deepEqual(Object.fromEntries(counts), {
      [L1]: { clicks: 4, bot_clicks: 2 },
      [L2]: { clicks: 1, bot_clicks: 0 },
      [L3]: { clicks: 1, bot_clicks: 0 },
      [L0]: { clicks: 2, bot_clicks: 0 },
      lnk_NeverClicked0: { clicks: 0, bot_clicks: 0 },
    });
    assert.equal((await linkClickCounts(api.events, api.clock.read)([])).size, 0);
    // The links API answers them (the app wires these counts by default).
    const one = await api.request<Envelope<{ clicks: number; bot_clicks: number }>>('GET', `/api/v1/links/${L1}`);
    assert.deepEqual([one.status, one.body.data.clicks, one.body.data.bot_clicks], [200, 4, 2]);
    const orphan = await api.request<Envelope<{ clicks: number; bot_clicks: number }>>('GET', `/api/v1/links/${L0}`);
    assert.deepEqual([orphan.body.data.clicks, orphan.body.data.bot_clicks], [2, 0]);
  });

  it('answers a link’s analytics in the client’s days, bots apart, visitors rotating daily', async () => {
    const res = await analytics(far.id, L1, '?period=7d');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const data = res.body.data;
    assert.deepEqual(
      [data.link_id, data.period, data.from, data.to, data.timezone],
      [L1, '7d', '2026-02-23T10:00:00.000Z', '2026-03-02T10:00:00.000Z', 'Pacific/Kiritimati'],
    );
    // Two UTC days of the same browser are two visitors; the same day's second click is not.
    assert.deepEqual([data.total_clicks, data.unique_visitors, data.bot_clicks], [4, 3, 2]);
    assert.deepEqual(data.referrers, [
      { referrer: 'facebook.com', clicks: 2 },
      { referrer: 't.co', clicks: 1 },
      { referrer: null, clicks: 1 },
    ]);
    assert.deepEqual(data.countries, [
      { country: 'US', clicks: 3 },
      { country: 'DE', clicks: 1 },
    ]);
    assert.deepEqual(data.daily_clicks, [
      { date: '2026-02-24', clicks: 0 },
      { date: '2026-02-25', clicks: 0 },
      { date: '2026-02-26', clicks: 0 },
      { date: '2026-02-27', clicks: 0 },
      { date: '2026-02-28', clicks: 2 },
      { date: '2026-03-01', clicks: 2 },
      { date: '2026-03-02', clicks: 0 },
    ]);
  });

  it('defaults to 30 days, counts all from the link’s creation day, and 24h as the last 24 hours', async () => {
    const thirty = (await analytics(far.id, L1)).body.data;
    assert.deepEqual([thirty.period, thirty.daily_clicks.length, thirty.total_clicks], ['30d', 30, 4]);
    const all = (await analytics(far.id, L1, '?period=all')).body.data;
    // Created 02-20T00:00Z, 14:00 local: from that local day to today (03-02 local), 11 days.
    assert.deepEqual([all.from, all.daily_clicks[0]?.date, all.daily_clicks.at(-1)?.date, all.daily_clicks.length, all.total_clicks], ['2026-02-19T10:00:00.000Z', '2026-02-20', '2026-03-02', 11, 4]);
    const day = (await analytics(far.id, L2, '?period=24h')).body.data;
    assert.deepEqual([day.from, day.to, day.total_clicks, day.daily_clicks], ['2026-02-28T12:00:00.000Z', '2026-03-01T12:00:00.000Z', 1, [{ date: '2026-03-01', clicks: 1 }, { date: '2026-03-02', clicks: 0 }]]);
  });

  it('takes the client’s own sk_, refuses another’s, and never shows another client’s link', async () => {
    const own = await analytics(far.id, L1, '?period=7d', { authorization: `Bearer ${far.sk}` });
    assert.deepEqual([own.status, own.body.data.total_clicks], [200, 4]);
    const foreign = await analytics(far.id, L1, '', { authorization: `Bearer ${other.sk}` });
    assert.deepEqual([foreign.status, foreign.body.code], [403, 'forbidden']);
    const publishable = await analytics(far.id, L1, '', { authorization: `Bearer ${far.pk}` });
    assert.equal(publishable.status, 401);
    for (const [client, link] of [[far.id, L3], [far.id, L0], [far.id, 'lnk_Unknown00000'], [other.id, L1], ['nobody', L1]]) {
      const res = await analytics(client as string, link as string);
      assert.equal(res.status, 404, `${client} ${link}`);
      assert.equal(res.body.data, null);
    }
    for (const query of ['?period=12mo', '?period=', '?other=1']) assert.equal((await analytics(far.id, L1, query)).status, 400, query);
  });

  it('answers the analytics of a link of no client under _links, as the links API lists it there', async () => {
    // The links API creates the _links client with the first link of no client (L0 was stored directly).
    assert.equal((await api.request('POST', '/api/v1/links', { body: { destination_url: 'https://far.test/nobody' } })).status, 201);
    const res = await analytics(LINKS_PSEUDO_CLIENT, L0, '?period=7d');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.data.link_id, res.body.data.total_clicks], [L0, 2]);
    // A client's link is not found under _links.
    assert.equal((await analytics(LINKS_PSEUDO_CLIENT, L1)).status, 404);
  });

  it('credits the visit a click started to its link (mlc), ignoring a forged or malformed one', async () => {
    const mlc = clickId(L1, SECRET);
    const forged = `${mlc.slice(0, -1)}${mlc.endsWith('A') ? 'B' : 'A'}`;
    const page = (uuid: string, url: string, session: string, visitor: string, minute: number, event = '$pageview') => ({
      uuid,
      event,
      distinct_id: visitor,
      timestamp: `2026-03-01T11:${String(minute).padStart(2, '0')}:00.000Z`,
      properties: { $current_url: url, $session_id: session },
    });
    const batch = [
      page('0b5a3c62-0000-4000-8000-000000000001', `https://far.test/one?utm_source=mail&mlc=${mlc}`, 'sa', 'va', 0),
      page('0b5a3c62-0000-4000-8000-000000000002', 'https://far.test/checkout', 'sa', 'va', 1),
      page('0b5a3c62-0000-4000-8000-000000000003', 'https://far.test/checkout', 'sa', 'va', 2, 'signup'),
      page('0b5a3c62-0000-4000-8000-000000000004', `https://far.test/one?mlc=${forged}`, 'sb', 'vb', 3),
      page('0b5a3c62-0000-4000-8000-000000000005', 'https://far.test/one?mlc=%00%ZZ<script>', 'sc', 'vc', 4),
      page('0b5a3c62-0000-4000-8000-000000000006', `https://far.test/one?mlc=${clickId(L1, deriveIpHashSecret('00'.repeat(32)))}`, 'sd', 'vd', 5),
    ];
    const res = await send('/batch', { body: { batch }, headers: { authorization: `Bearer ${far.sk}` } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await api.settled();
    const stored = new Map((await api.events.recentEvents(far.id, { limit: 100 })).map((e) => [e.uuid, e.link_id]));
    assert.deepEqual(
      batch.map((e) => stored.get(e.uuid)),
      [L1, null, null, null, null, null],
    );

    const report = async (body: Record<string, unknown>): Promise<QueryResultView> => {
      const answer = await api.request<Envelope<QueryResultView>>('POST', '/api/v1/query', { body: { client_id: far.id, period: '7d', ...body } });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.data;
    };
    const siteEvents = { event: { is_not: ['$link_click'] } };
    // Event attribution: only the landing page view carries the link.
    assert.deepEqual((await report({ metrics: ['events'], dimensions: ['link_id'], filters: siteEvents })).rows, [[null, 5], [L1, 1]]);
    // Visit attribution: the whole visit (landing, checkout, signup) is the link's.
    assert.deepEqual((await report({ metrics: ['events'], dimensions: ['link_id'], filters: siteEvents, attribution: 'visit' })).rows, [[L1, 3], [null, 3]]);
    assert.deepEqual((await report({ metric: 'conversions', conversion_event: 'signup', filters: { link_id: L1 }, attribution: 'visit' })).rows, [[1]]);
    assert.deepEqual((await report({ metric: 'conversions', conversion_event: 'signup', filters: { link_id: L1 } })).rows, [[0]]);
    // Without an event filter, the visits that came through each link (clicks left out)...
    assert.deepEqual((await report({ metrics: ['events'], dimensions: ['link_id'], attribution: 'visit' })).rows, [[L1, 3], [null, 3]]);
    assert.deepEqual((await report({ metrics: ['events'], filters: { link_id: { is: [L1, L2] } }, attribution: 'visit' })).rows, [[3]]);
    // ...and side by side with the clicks when the event filter lists them: the link's human clicks plus its visit's events.
    const clicksAndVisits = { event: { is: ['$link_click', '$pageview', 'signup'] } };
    assert.deepEqual((await report({ metrics: ['events'], filters: { ...clicksAndVisits, link_id: { is: [L1, L2] } }, attribution: 'visit' })).rows, [[4 + 1 + 3]]);
    assert.deepEqual((await report({ metrics: ['events'], filters: { event: '$link_click', link_id: { contains: 'farlinktwo' } } })).rows, [[1]]);
    assert.deepEqual((await report({ metrics: ['events'], filters: { event: '$link_click', link_id: { is_not: [L1, null] } } })).rows, [[1]]);
  });

  it('leaves clicks out of the site’s visitors, page views, events, sessions, pages, sources and funnels unless asked', async () => {
    // Far's site, as the previous test sent it: visitors va..vd, four sessions, five page views
    // (four of /one, one of /checkout) and a signup. Its
    // five human clicks (L1: 4, L2: 1) in the period are three cookieless visitors.
    const report = async (body: Record<string, unknown>): Promise<QueryResultView> => {
      const answer = await api.request<Envelope<QueryResultView>>('POST', '/api/v1/query', { body: { client_id: far.id, period: '7d', ...body } });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.data;
    };
    const kpis = ['unique_visitors', 'page_views', 'events', 'sessions'];
    assert.deepEqual((await report({ metrics: kpis })).rows, [[4, 5, 6, 4]]);
    assert.deepEqual((await report({ metrics: ['unique_visitors', 'events'], dimensions: ['path'] })).rows, [['/one', 4, 4], ['/checkout', 1, 2]]);
    assert.deepEqual((await report({ metrics: ['unique_visitors'], dimensions: ['referrer_host'] })).rows, [[null, 4]]);
    assert.deepEqual((await report({ metrics: ['events'], dimensions: ['event'] })).rows, [['$pageview', 5], ['signup', 1]]);
    // An event filter that does not list clicks leaves them out too (is_not, contains).
    assert.deepEqual((await report({ metrics: ['events'], filters: { event: { is_not: ['signup'] } } })).rows, [[5]]);
    assert.deepEqual((await report({ metrics: ['events'], filters: { event: { contains: 'link' } } })).rows, [[0]]);
    // Asked for by name, clicks are counted, and only they.
    assert.deepEqual((await report({ metrics: ['unique_visitors', 'page_views', 'events'], filters: { event: '$link_click' } })).rows, [[3, 0, 5]]);
    assert.deepEqual((await report({ metrics: ['events'], dimensions: ['referrer_host'], filters: { event: { is: ['$link_click'] } } })).rows, [['facebook.com', 2], [null, 2], ['t.co', 1]]);
    // Funnels: a click is no step of a site's funnel, unless a step names it.
    const funnel = async (steps: object[]): Promise<number[]> => {
      const answer = await api.request<Envelope<{ steps: { count: number }[] }>>('POST', '/api/v1/query/funnel', { body: { client_id: far.id, period: '7d', steps } });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.data.steps.map((step) => step.count);
    };
    assert.deepEqual(await funnel([{ path: '/one' }, { path: '/checkout' }, { event: 'signup' }]), [4, 1, 1]);
    assert.deepEqual(await funnel([{ event: '$link_click' }, { path: '/one' }]), [3, 0]);
  });
});
