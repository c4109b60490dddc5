/**
 * The install check and local testing: a hostname (or the client's domain, in the embed-code
 * answer) reports `verified` once an event sent from it has been accepted, recorded once per
 * hostname; localhost and IP addresses can be added to test on one's own machine, and the 403 for
 * a foreign origin names the call that would allow it.
 */

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { HostnameView } from '../../src/hostnames/schemas.js';
import type { LoaderEmbedView } from '../../src/loader/adminSchemas.js';
import { FirstEvents } from '../../src/hostnames/firstEvents.js';
import { MetaChanges } from '../../src/shared/metaChanges.js';
import type { MetaStore } from '../../src/store/metaStore.js';
import type { Envelope, TestApi } from '../helpers/api.js';
import { storedEvent } from '../helpers/events.js';
import { ingestClient, pageview, startIngestApi, type Client } from '../helpers/ingest.js';
import { describeEachStoreAndEngine } from '../helpers/engines.js';

const page = (url: string) => pageview({ properties: { $current_url: url } });

describeEachStoreAndEngine('install check and local testing', (kind, engine) => {
  let api: TestApi;
  let send: ReturnType<typeof ingestClient>['send'];
  let createClient: ReturnType<typeof ingestClient>['createClient'];
  let stored: ReturnType<typeof ingestClient>['stored'];
  /** How often each (client, hostname) was written; the store itself is real, this only counts calls. */
  let writes: Map<string, number>;
  /** How often each client's extra hostnames were looked up. */
  let lookups: Map<string, number>;
  /** When set for a client, what its first-event writes wait for. */
  let holdWrites: Map<string, Promise<void>>;

  before(async () => {
    ({ api, send, createClient, stored } = await startIngestApi(kind, {}, engine));
    writes = new Map();
    holdWrites = new Map();
    const store: MetaStore = api.store;
    const record = store.recordFirstEvent.bind(store);
    store.recordFirstEvent = async (clientId, hostname, at, life) => {
      writes.set(`${clientId} ${hostname}`, (writes.get(`${clientId} ${hostname}`) ?? 0) + 1);
      await holdWrites.get(clientId);
      return record(clientId, hostname, at, life);
    };
    lookups = new Map();
    const hasHostname = store.hasHostname.bind(store);
    store.hasHostname = async (clientId, hostname) => {
      lookups.set(clientId, (lookups.get(clientId) ?? 0) + 1);
      return hasHostname(clientId, hostname);
    };
  });
  after(async () => {
    assert.ok(api.contract.checked > 0);
    await api.close();
  });

  const hostnames = async (client: Client) =>
    (await api.request<Envelope<HostnameView[]>>('GET', `/api/v1/clients/${client.id}/hostnames`)).body.data;
  const verifiedOf = async (client: Client, hostname: string) => (await hostnames(client)).find((h) => h.hostname === hostname);
  const embed = async (client: Client) => (await api.request<Envelope<LoaderEmbedView>>('GET', `/api/v1/clients/${client.id}/loader`)).body.data;
  /** The install check records after the answer: reads until `verified` is true, at most 5 s, and answers the last read. */
  const once = async <T extends { verified: boolean } | null | undefined>(read: () => Promise<T>): Promise<T> => {
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 10))) {
      const value = await read();
      if (value?.verified === true) return value;
    }
    return read();
  };
  const verifiedSoon = (client: Client, hostname: string) => once(() => verifiedOf(client, hostname));

  it('verifies an extra hostname with the first accepted event from it, once, keeping the first time', async () => {
    const client = await createClient({ domain: 'verify.test' });
    assert.equal((await api.request('POST', `/api/v1/clients/${client.id}/hostnames`, { body: { hostname: 'shop.verify-eu.test' } })).status, 201);
    assert.deepEqual(
      { verified: (await verifiedOf(client, 'shop.verify-eu.test'))?.verified, at: (await verifiedOf(client, 'shop.verify-eu.test'))?.first_event_at },
      { verified: false, at: null },
    );
    const first = api.clock.now + 1_000;
    api.clock.advance(1_000);
    for (let i = 0; i < 5; i += 1) {
      const res = await send(`/e?key=${client.pk}`, { body: page('https://shop.verify-eu.test/cart'), headers: { origin: 'https://shop.verify-eu.test' } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      api.clock.advance(1_000);
    }
    const row = await verifiedSoon(client, 'shop.verify-eu.test');
    assert.equal(row?.verified, true);
    assert.equal(row?.first_event_at, new Date(first).toISOString());
    assert.equal(writes.get(`${client.id} shop.verify-eu.test`), 1, 'one write for five events');
    assert.equal((await embed(client)).domain?.verified, false, 'the domain has sent nothing yet');
  });

  it('reports the domain verified in the embed-code answer once a page on it or a subdomain sent an event', async () => {
    const client = await createClient({ domain: 'embed-check.test' });
    assert.deepEqual((await embed(client)).domain, { hostname: 'embed-check.test', verified: false, first_event_at: null });
    const at = api.clock.now;
    const res = await send(`/e?key=${client.pk}`, { body: page('https://www.embed-check.test/'), headers: { origin: 'https://www.embed-check.test' } });
    assert.equal(res.status, 200);
    assert.deepEqual(await once(async () => (await embed(client)).domain), { hostname: 'embed-check.test', verified: true, first_event_at: new Date(at).toISOString() });
    const none = await createClient();
    assert.equal((await embed(none)).domain, null, 'a client without a domain has nothing to check');
  });

  it('does not verify from refused requests, secret-key calls or hosts that are none of the client’s', async () => {
    const client = await createClient({ domain: 'strict.test' });
    await api.request('POST', `/api/v1/clients/${client.id}/hostnames`, { body: { hostname: 'extra.strict-eu.test' } });
    // Refused: a foreign origin, whatever page URL it claims.
    const refused = await send(`/e?key=${client.pk}`, { body: page('https://extra.strict-eu.test/'), headers: { origin: 'https://evil.test' } });
    assert.equal(refused.status, 403);
    // Invalid: nothing is accepted, so nothing is verified.
    assert.equal((await send(`/e?key=${client.pk}`, { body: { ...page('https://extra.strict-eu.test/'), event: '' }, headers: { origin: 'https://extra.strict-eu.test' } })).status, 400);
    // A secret-key backfill from the client's server is not the embed code at work.
    const backfill = await send('/batch', { body: page('https://extra.strict-eu.test/'), headers: { authorization: `Bearer ${client.sk}` } });
    assert.equal(backfill.status, 200);
    assert.equal((await verifiedOf(client, 'extra.strict-eu.test'))?.verified, false);
    assert.equal((await embed(client)).domain?.verified, false);
  });

  it('checks a hostname again after it was removed and added back, and forgets it all with the client', async () => {
    const client = await createClient({ domain: 'again.test' });
    const hostnamesUrl = `/api/v1/clients/${client.id}/hostnames`;
    await api.request('POST', hostnamesUrl, { body: { hostname: 'again-eu.test' } });
    assert.equal((await send(`/e?key=${client.pk}`, { body: page('https://again-eu.test/'), headers: { origin: 'https://again-eu.test' } })).status, 200);
    assert.equal((await verifiedSoon(client, 'again-eu.test'))?.verified, true);
    assert.equal((await api.request('DELETE', `${hostnamesUrl}/again-eu.test`)).status, 200);
    assert.equal((await api.request('POST', hostnamesUrl, { body: { hostname: 'again-eu.test' } })).status, 201);
    assert.equal((await verifiedOf(client, 'again-eu.test'))?.verified, false);
    assert.equal((await send(`/e?key=${client.pk}`, { body: page('https://again-eu.test/'), headers: { origin: 'https://again-eu.test' } })).status, 200);
    assert.equal((await verifiedSoon(client, 'again-eu.test'))?.verified, true, 'the cache does not outlive the removal');

    // Hard-deleted and created again with the same id: a new client with nothing verified.
    assert.equal((await api.request('DELETE', `/api/v1/clients/${client.id}?hard=true`)).status, 200);
    const reborn = await api.request('POST', '/api/v1/clients', { body: { id: client.id, name: 'Reborn', domain: 'again.test' } });
    assert.equal(reborn.status, 201);
    const pk = reborn.body.data.publishable_key as string;
    assert.equal((await api.request('POST', hostnamesUrl, { body: { hostname: 'again-eu.test' } })).status, 201);
    assert.equal((await verifiedOf(client, 'again-eu.test'))?.verified, false);
    assert.equal((await send(`/e?key=${pk}`, { body: page('https://again-eu.test/'), headers: { origin: 'https://again-eu.test' } })).status, 200);
    assert.equal((await verifiedSoon(client, 'again-eu.test'))?.verified, true, 'recorded again for the new client');
  });

  it('keeps the first time when nodes race to record one (set-if-null in the store), and ignores an unknown client', async () => {
    const client = await createClient({ domain: 'race.test' });
    const at = api.clock.now;
    await Promise.all([api.store.recordFirstEvent(client.id, 'race.test', at), api.store.recordFirstEvent(client.id, 'race.test', at + 5)]);
    await api.store.recordFirstEvent(client.id, 'race.test', at - 1_000);
    const [row] = await api.store.listFirstEvents(client.id);
    assert.ok(row?.first_event_at === at || row?.first_event_at === at + 5, 'one of the racing writes');
    assert.equal((await api.store.listFirstEvents(client.id)).length, 1);
    await api.store.recordFirstEvent('no-such-client', 'race.test', at);
    assert.deepEqual(await api.store.listFirstEvents('no-such-client'), []);
  });

  it('lets a page on localhost or an IP address send events once that host is added, port ignored', async () => {
    const client = await createClient({ domain: 'local-dev.test' });
    const cases = [
      { add: 'localhost:3000', stored: 'localhost', origin: 'http://localhost:3000' },
      { add: '127.0.0.1', stored: '127.0.0.1', origin: 'http://127.0.0.1:8080' },
      { add: '[::1]:5173', stored: '[::1]', origin: 'http://[::1]:5173' },
    ];
    for (const { add, stored: hostname, origin } of cases) {
      const before = (await stored(client)).length;
      const refused = await send(`/e?key=${client.pk}`, { body: page(`${origin}/`), headers: { origin } });
      assert.equal(refused.status, 403, origin);
      assert.equal(refused.body.code, 'origin_not_allowed');
      // The message names the exact call that allows it.
      const call = `POST /api/v1/clients/${client.id}/hostnames {"hostname":"${hostname}"}`;
      assert.ok(refused.body.error?.includes(call), `${refused.body.error} names ${call}`);
      assert.equal((await stored(client)).length, before, 'nothing stored');

      const added = await api.request<Envelope<HostnameView>>('POST', `/api/v1/clients/${client.id}/hostnames`, { body: { hostname: add } });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal(added.body.data.hostname, hostname);
      const accepted = await send(`/e?key=${client.pk}`, { body: page(`${origin}/`), headers: { origin } });
      assert.equal(accepted.status, 200, origin);
      assert.equal((await verifiedSoon(client, hostname))?.verified, true, hostname);
    }
    // Another client testing on the same machine: it adds the same hosts, and each is checked apart.
    const neighbour = await createClient({ domain: 'neighbour-dev.test' });
    assert.equal((await api.request('POST', `/api/v1/clients/${neighbour.id}/hostnames`, { body: { hostname: 'localhost' } })).status, 201);
    assert.equal((await verifiedOf(neighbour, 'localhost'))?.verified, false, 'not verified by the other client’s events');
    assert.equal((await send(`/e?key=${neighbour.pk}`, { body: page('http://localhost:3000/'), headers: { origin: 'http://localhost:3000' } })).status, 200);
    assert.equal((await verifiedSoon(neighbour, 'localhost'))?.verified, true);
    const stranger = await createClient({ domain: 'stranger.test' });
    assert.equal((await send(`/e?key=${stranger.pk}`, { body: page('http://localhost:3000/'), headers: { origin: 'http://localhost:3000' } })).status, 403, 'only clients that added it');
  });

  /** Store calls made for a client by now, and after the install check had time to finish: it runs after the answer. */
  const storeCalls = (client: Client) => (lookups.get(client.id) ?? 0) + [...writes].filter(([key]) => key.startsWith(`${client.id} `)).reduce((sum, [, n]) => sum + n, 0);
  const afterInstallCheck = () => new Promise((resolve) => setTimeout(resolve, 300));

  it('looks up a few hosts per request whatever its events claim: 1,000 distinct subdomains cost at most 4 lookups', async () => {
    const client = await createClient({ domain: 'flood.test' });
    const batch = Array.from({ length: 1_000 }, (_, i) => page(`https://s${i}.elsewhere-${i}.test/`));
    const res = await send(`/e?key=${client.pk}`, { body: batch, headers: { origin: 'https://flood.test' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await afterInstallCheck();
    // The origin's host (the domain: recorded, no lookup) and at most 3 of the event hosts (a lookup each).
    assert.ok((lookups.get(client.id) ?? 0) <= 4, `${lookups.get(client.id)} lookups`);
    assert.ok(storeCalls(client) <= 8, `${storeCalls(client)} store calls`);
    assert.equal((await once(async () => (await embed(client)).domain))?.verified, true, 'the origin still verifies the domain');
  });

  it('answers before the install check: a stalled first-event write delays no acknowledgement', async () => {
    const client = await createClient({ domain: 'stall.test' });
    await api.request('POST', `/api/v1/clients/${client.id}/hostnames`, { body: { hostname: 'stall-eu.test' } });
    let release = (): void => undefined;
    holdWrites.set(client.id, new Promise<void>((resolve) => (release = resolve)));
    const answered = send(`/e?key=${client.pk}`, { body: page('https://stall-eu.test/'), headers: { origin: 'https://stall-eu.test' } });
    const res = await Promise.race([answered, new Promise<null>((resolve) => setTimeout(() => resolve(null), 2_000))]);
    holdWrites.delete(client.id);
    release();
    await answered;
    assert.equal(res?.status, 200, 'answered within 2 s while the install check was stalled');
    assert.equal((await verifiedSoon(client, 'stall-eu.test'))?.verified, true, 'recorded once the write goes on');
  });

  it('keeps a verified hostname cached however many unmatched hosts come after it', async () => {
    const client = await createClient({ domain: 'keep.test' });
    await api.request('POST', `/api/v1/clients/${client.id}/hostnames`, { body: { hostname: 'shop.keep-eu.test' } });
    const fromShop = () => send(`/e?key=${client.pk}`, { body: page('https://shop.keep-eu.test/'), headers: { origin: 'https://shop.keep-eu.test' } });
    assert.equal((await fromShop()).status, 200);
    assert.equal((await verifiedSoon(client, 'shop.keep-eu.test'))?.verified, true);
    await afterInstallCheck();
    // 300 requests of 40 hosts none of the client's: 12,000 distinct hosts, more than either cache holds.
    for (let r = 0; r < 300; r += 1) {
      const batch = Array.from({ length: 40 }, (_, i) => page(`https://h${i}.r${r}.unmatched.test/`));
      assert.equal((await send(`/e?key=${client.pk}`, { body: batch })).status, 200);
      api.clock.advance(100);
    }
    await afterInstallCheck();
    const before = storeCalls(client);
    // Without an Origin, so that the origin check makes no lookup of its own: only the install check could.
    assert.equal((await send(`/e?key=${client.pk}`, { body: page('https://shop.keep-eu.test/') })).status, 200);
    await afterInstallCheck();
    assert.equal(storeCalls(client), before, 'the verified hostname answered from the cache, no store call');
  });

  it('a request accepted for a hard-deleted client verifies nothing of the one re-created with its id', async () => {
    const client = await createClient({ domain: 'lives.test' });
    let release = (): void => undefined;
    holdWrites.set(client.id, new Promise<void>((resolve) => (release = resolve)));
    const res = await send(`/e?key=${client.pk}`, { body: page('https://lives.test/'), headers: { origin: 'https://lives.test' } });
    assert.equal(res.status, 200);
    // Its install check is stalled at the write, for the old life, while the client is erased and created again.
    assert.equal((await api.request('DELETE', `/api/v1/clients/${client.id}?hard=true`)).status, 200);
    api.clock.advance(1_000);
    const reborn = await api.request('POST', '/api/v1/clients', { body: { id: client.id, name: 'Reborn', domain: 'lives.test' } });
    assert.equal(reborn.status, 201);
    assert.equal(writes.get(`${client.id} lives.test`), 1, 'the old life’s write is waiting');
    holdWrites.delete(client.id);
    release();
    await afterInstallCheck();
    assert.deepEqual(await api.store.listFirstEvents(client.id), [], 'the old life recorded nothing for the new one');
    assert.equal((await embed(client)).domain?.verified, false);
  });

  it('evicts unmatched hosts among themselves only: a full foreign set never drops a matched hostname', async () => {
    const client = await createClient({ domain: 'evict.test' });
    await api.request('POST', `/api/v1/clients/${client.id}/hostnames`, { body: { hostname: 'evict-eu.test' } });
    const row = await api.store.getClient(client.id);
    assert.ok(row);
    // Small bounds, so that the unmatched hosts below overflow both several times over.
    const firstEvents = new FirstEvents(api.store, new MetaChanges(), { maxEntries: 5, maxForeign: 5, maxLookupsPerRequest: 4 });
    const from = (...hosts: string[]) => hosts.map((host) => storedEvent({ client_id: client.id, url: `https://${host}/` }));
    await firstEvents.record(row, null, from('evict-eu.test'), api.clock.now);
    assert.equal(writes.get(`${client.id} evict-eu.test`), 1);
    for (let r = 0; r < 10; r += 1) await firstEvents.record(row, null, from(...[0, 1, 2, 3].map((i) => `h${i}.r${r}.nowhere.test`)), api.clock.now);
    const before = lookups.get(client.id);
    await firstEvents.record(row, null, from('evict-eu.test'), api.clock.now);
    assert.equal(lookups.get(client.id), before, 'answered from the matched set');
    assert.equal(writes.get(`${client.id} evict-eu.test`), 1);
  });
});
