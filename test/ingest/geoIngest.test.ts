import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import type { StoredEvent } from '../../src/events/eventStore.js';
import { openGeoLookup } from '../../src/ingest/geo/openGeoLookup.js';
import type { Envelope, TestApi } from '../helpers/api.js';
import { describeEachEngine } from '../helpers/engines.js';
import { CITY_FIXTURE, writeCityFixture } from '../helpers/geoFixtures.js';
import { ingestClient, pageview, startIngestApi, type Client } from '../helpers/ingest.js';
import { STORE_KINDS } from '../helpers/stores.js';
import { USER_AGENTS } from './enrich.test.js';

/**
 * Location at ingestion, end to end on each engine: addresses arrive every way ingestion takes them
 * (the connection's, a trusted proxy's X-Forwarded-For, a secret key's `ip`, a PostHog-style
 * event), are looked up in the shipped DB-IP Lite country database (answers checked against it
 * once: 8.8.8.8 US, 80.128.0.1 DE (Deutsche Telekom), 126.0.0.1 JP (SoftBank), 2a00:1450:4001::1
 * DE), and come back as stored columns and as dimensions and filters of the query API.
 */

const SQLITE = STORE_KINDS[0]!;
type QueryData = { columns: string[]; rows: unknown[][] };

/** What was stored for each uuid sent, by uuid. */
async function storedBy(stored: (client: Client) => Promise<StoredEvent[]>, client: Client): Promise<Map<string, StoredEvent>> {
  return new Map((await stored(client)).map((event) => [event.uuid, event]));
}

describeEachEngine('locations from the shipped country database', (engine) => {
  let api: TestApi;
  let send: ReturnType<typeof ingestClient>['send'];
  let stored: ReturnType<typeof ingestClient>['stored'];
  let createClient: ReturnType<typeof ingestClient>['createClient'];
  let shop: Client;
  const sent: Record<string, string> = {};

  before(async () => {
    // Loopback is the proxy: its X-Forwarded-For names the visitor.
    ({ api, send, stored, createClient } = await startIngestApi(SQLITE, { trustProxy: ['127.0.0.1'] }, engine));
    shop = await createClient({ domain: 'shop.test' });
    const browser = { origin: 'https://shop.test', 'user-agent': USER_AGENTS.chrome };
    const at = new Date(api.clock.now - 60_000).toISOString();
    const view = (name: string, extra: Record<string, unknown> = {}) => {
      sent[name] = randomUUID();
      return pageview({ uuid: sent[name], timestamp: at, distinct_id: `visitor-${name}`, ...extra });
    };
    const ok = async (p: Promise<{ status: number; body: unknown }>) => assert.equal((await p).status, 200, JSON.stringify((await p).body));
    await ok(send(`/e?key=${shop.pk}`, { body: view('us'), headers: browser, remoteAddress: '8.8.8.8' }));
    await ok(send(`/e?key=${shop.pk}`, { body: view('mapped'), headers: browser, remoteAddress: '::ffff:8.8.8.8' }));
    await ok(send(`/e?key=${shop.pk}`, { body: view('de'), headers: { ...browser, 'x-forwarded-for': '80.128.0.1' }, remoteAddress: '127.0.0.1' }));
    await ok(send(`/e?key=${shop.pk}`, { body: view('ipv6'), headers: { ...browser, 'x-forwarded-for': '2a00:1450:4001::1' }, remoteAddress: '127.0.0.1' }));
    await ok(send(`/e?key=${shop.pk}`, { body: view('mappedHex'), headers: { ...browser, 'x-forwarded-for': '::ffff:808:808' }, remoteAddress: '127.0.0.1' }));
    await ok(send(`/e?key=${shop.pk}`, { body: view('sixToFour'), headers: { ...browser, 'x-forwarded-for': '2002:7e00:1::1' }, remoteAddress: '127.0.0.1' }));
    // An untrusted peer's X-Forwarded-For is not believed: the connection's address is looked up.
    await ok(send(`/e?key=${shop.pk}`, { body: view('spoofed'), headers: { ...browser, 'x-forwarded-for': '126.0.0.1' }, remoteAddress: '8.8.4.4' }));
    await ok(send('/batch', { body: { batch: [view('jp', { ip: '126.0.0.1' })] }, headers: { authorization: `Bearer ${shop.sk}` } }));
    await ok(send(`/e?key=${shop.pk}`, { body: view('private'), headers: browser, remoteAddress: '192.168.1.20' }));
    await ok(send(`/e?key=${shop.pk}`, { body: view('loopback'), headers: browser, remoteAddress: '127.0.0.1' }));
    await ok(send(`/e?key=${shop.pk}`, { body: view('linklocal'), headers: browser, remoteAddress: 'fe80::1' }));
    // posthog-js's own shape (key as properties.token) and its opt-out.
    const posthog = (name: string, extra: Record<string, unknown>) => {
      sent[name] = randomUUID();
      return { uuid: sent[name], event: '$pageview', timestamp: at, properties: { token: shop.pk, distinct_id: `ph-${name}`, $current_url: 'https://shop.test/', ...extra } };
    };
    await ok(send('/e/', { body: posthog('posthog', {}), headers: browser, remoteAddress: '80.128.0.1' }));
    await ok(send('/e/', { body: posthog('optout', { $geoip_disable: true }), headers: browser, remoteAddress: '80.128.0.1' }));
  });
  after(async () => {
    assert.ok(api.contract.checked > 0);
    await api.close();
  });

  it('stores the country of the visitor’s address, however it arrived, and never the full address', async () => {
    const byUuid = await storedBy(stored, shop);
    const country = (name: string) => byUuid.get(sent[name] as string)?.country;
    assert.equal(country('us'), 'US');
    assert.equal(country('mapped'), 'US', 'an IPv4-mapped IPv6 peer is its IPv4 address');
    assert.equal(country('de'), 'DE', 'the leftmost X-Forwarded-For entry of a trusted proxy');
    assert.equal(country('ipv6'), 'DE');
    assert.equal(country('spoofed'), 'US', 'an untrusted X-Forwarded-For is ignored');
    assert.equal(country('jp'), 'JP', 'a secret key’s ip field');
    assert.equal(country('posthog'), 'DE');
    const de = byUuid.get(sent.de as string);
    assert.equal(de?.ip, '80.128.0.0', 'truncated after the lookup');
    assert.equal(country('mappedHex'), 'US', 'IPv4-mapped IPv6 in hexadecimal groups is its IPv4 address');
    assert.equal(byUuid.get(sent.mappedHex as string)?.ip, '8.8.8.0', 'and is stored truncated as IPv4');
    assert.equal(country('sixToFour'), 'JP', 'a 6to4 address is placed by the IPv4 address it carries');
    // The country database knows no regions or cities.
    for (const event of byUuid.values()) {
      assert.equal(event.region, null);
      assert.equal(event.city, null);
    }
  });

  it('looks the address up before it is hashed or dropped, as the client’s ip_storage asks', async () => {
    for (const ipStorage of ['hashed', 'none'] as const) {
      const client = await createClient({ domain: `${ipStorage}.test`, ip_storage: ipStorage });
      const uuid = randomUUID();
      const res = await send(`/e?key=${client.pk}`, { body: pageview({ uuid }), headers: { origin: `https://${ipStorage}.test` }, remoteAddress: '126.0.0.1' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const [event] = await stored(client);
      assert.equal(event?.country, 'JP', ipStorage);
      assert.ok(event?.ip === null || /^[0-9a-f]{32}$/.test(event?.ip ?? ''), `no address kept in full (${event?.ip})`);
    }
  });

  it('leaves private, loopback and link-local addresses and opted-out events without a place', async () => {
    const byUuid = await storedBy(stored, shop);
    for (const name of ['private', 'loopback', 'linklocal', 'optout']) {
      const event = byUuid.get(sent[name] as string);
      assert.ok(event, name);
      assert.deepEqual([event.country, event.region, event.city], [null, null, null], name);
    }
  });

  it('shows the place in the events read back through the API', async () => {
    await api.settled();
    const res = await api.request<Envelope<{ uuid: string; country: string | null; region: string | null; city: string | null }[]>>(
      'GET',
      `/api/v1/clients/${shop.id}/events?limit=100`,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const jp = res.body.data.find((row) => row.uuid === sent.jp);
    assert.deepEqual([jp?.country, jp?.region, jp?.city], ['JP', null, null]);
  });

  it('reports and filters by country through POST /query', async () => {
    await api.settled();
    const query = (extra: Record<string, unknown>) =>
      api.request<Envelope<QueryData>>('POST', '/api/v1/query', {
        body: { client_id: shop.id, metrics: ['page_views'], from: '2026-03-01', to: '2026-03-01', ...extra },
      });
    const byCountry = await query({ dimensions: ['country'] });
    assert.equal(byCountry.status, 200, JSON.stringify(byCountry.body));
    assert.deepEqual(byCountry.body.data.columns, ['country', 'page_views']);
    // Most page views first, then by country (no place last).
    assert.deepEqual(byCountry.body.data.rows, [['US', 4], [null, 4], ['DE', 3], ['JP', 2]]);
    const germany = await query({ filters: { country: 'DE' } });
    assert.deepEqual(germany.body.data.rows, [[3]]);
    const regions = await query({ dimensions: ['region', 'city'], filters: { country: 'US' } });
    assert.deepEqual(regions.body.data.rows, [[null, null, 4]]);
  });
});

describeEachEngine('locations from a City database (MYTHIC_GEOIP_DB)', (engine) => {
  let api: TestApi;
  let send: ReturnType<typeof ingestClient>['send'];
  let stored: ReturnType<typeof ingestClient>['stored'];
  let shop: Client;
  let fixture: ReturnType<typeof writeCityFixture>;
  const sent = new Map<string, string>();

  before(async () => {
    fixture = writeCityFixture('geolite2');
    ({ api, send, stored } = await startIngestApi(SQLITE, { geo: openGeoLookup(fixture.file) }, engine));
    shop = await ingestClient(api).createClient({ domain: 'shop.test' });
    const at = new Date(api.clock.now - 60_000).toISOString();
    const places = [CITY_FIXTURE.london, CITY_FIXTURE.london, CITY_FIXTURE.linkoping, CITY_FIXTURE.countryOnly, CITY_FIXTURE.ipv6, CITY_FIXTURE.privateListed];
    const batch = places.map((place, i) => {
      const uuid = randomUUID();
      sent.set(uuid, place.ip);
      return pageview({ uuid, timestamp: at, distinct_id: `visitor-${i}`, ip: place.ip });
    });
    const res = await send('/batch', { body: { batch }, headers: { authorization: `Bearer ${shop.sk}` } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
  after(async () => {
    await api.close();
    fixture.dispose();
  });

  it('stores country, region and city; a private network stays empty even where the database lists it', async () => {
    const events = await stored(shop);
    const placeOf = (ip: string) => {
      const event = events.find((e) => sent.get(e.uuid) === ip);
      return [event?.country, event?.region, event?.city];
    };
    for (const place of [CITY_FIXTURE.london, CITY_FIXTURE.linkoping, CITY_FIXTURE.countryOnly, CITY_FIXTURE.ipv6]) {
      assert.deepEqual(placeOf(place.ip), [place.country, place.region, place.city], place.ip);
    }
    assert.deepEqual(placeOf(CITY_FIXTURE.privateListed.ip), [null, null, null]);
  });

  it('reports by region and city, and filters by them', async () => {
    await api.settled();
    const query = (extra: Record<string, unknown>) =>
      api.request<Envelope<QueryData>>('POST', '/api/v1/query', {
        body: { client_id: shop.id, metrics: ['page_views', 'unique_visitors'], from: '2026-03-01', to: '2026-03-01', ...extra },
      });
    const cities = await query({ dimensions: ['country', 'region', 'city'], filters: { country: 'GB' } });
    assert.equal(cities.status, 200, JSON.stringify(cities.body));
    assert.deepEqual(cities.body.data.rows, [
      ['GB', 'England', 'London', 2, 2],
      ['GB', 'Scotland', 'Edinburgh', 1, 1],
    ]);
    const linkoping = await query({ dimensions: ['city'], filters: { region: 'Östergötland County' } });
    assert.deepEqual(linkoping.body.data.rows, [['Linköping', 1, 1]]);
    const london = await query({ dimensions: ['region'], filters: { city: 'London' } });
    assert.deepEqual(london.body.data.rows, [['England', 2, 2]]);
  });
});
