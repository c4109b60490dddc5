import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import type { ApiKeyView, ClientView, RotatedKeysView } from '../src/clients/schemas.js';
import { ADMIN, startApi, type Envelope, type TestApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

/*
 * Concurrent writes over real HTTP connections: the unique rules and the key rotation must hold
 * when requests interleave in the server and in the database, not only one after the other.
 */

const N = 50;
type List = Envelope<ClientView[]>;

interface HttpReply<T> {
  status: number;
  body: T;
}

describeEachStore('concurrent writes over HTTP', (kind) => {
  let api: TestApi;
  let base: string;

  before(async () => {
    api = await startApi(kind);
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    assert.ok(api.contract.checked > 0, 'responses were checked against the OpenAPI document');
    await api.close();
  });

  /** One real HTTP request; the response is checked against the OpenAPI document like any other. */
  async function http<T = Envelope>(method: string, path: string, body?: unknown): Promise<HttpReply<T>> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...ADMIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = (await res.json()) as T;
    api.contract.check(method, path, res.status, parsed);
    return { status: res.status, body: parsed };
  }

  /** Sends every body at once and waits for all the answers. */
  const createAll = (bodies: Record<string, unknown>[]): Promise<HttpReply<Envelope>[]> =>
    Promise.all(bodies.map((body) => http('POST', '/api/v1/clients', body)));

  /** Exactly one 201, and a 409 naming `field` for every other request; returns the winner. */
  function oneWinner(replies: HttpReply<Envelope>[], field: string): ClientView {
    const statuses = replies.map((r) => r.status);
    const created = replies.filter((r) => r.status === 201);
    assert.equal(created.length, 1, `exactly one 201: ${JSON.stringify(statuses)}`);
    const refused = replies.filter((r) => r.status !== 201);
    assert.equal(refused.length, N - 1);
    for (const r of refused) {
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.equal(r.body.code, 'conflict');
      assert.deepEqual(r.body.details?.map((d) => d.field), [field], JSON.stringify(r.body));
    }
    return (created[0] as HttpReply<Envelope>).body.data;
  }

  const listed = async (query: string): Promise<List> => (await http<List>('GET', `/api/v1/clients?limit=500&${query}`)).body;

  it(`lets exactly one of ${N} concurrent creates of one id win; the others are 409 id`, async () => {
    const bodies = Array.from({ length: N }, (_, i) => ({ id: 'race-id', name: `Race ${i}`, domain: `race-id-${i}.example`, global_name: `raceId${i}` }));
    const winner = oneWinner(await createAll(bodies), 'id');
    const i = bodies.findIndex((b) => b.name === winner.name);
    assert.ok(i >= 0, 'the winner is one of the bodies sent');
    assert.equal(winner.domain, `race-id-${i}.example`);

    const stored = await http<Envelope>('GET', '/api/v1/clients/race-id');
    assert.equal(stored.status, 200);
    assert.equal(stored.body.data.name, winner.name, 'the stored client is the winner, whole');
    assert.equal(stored.body.data.domain, winner.domain);
    assert.equal(stored.body.data.global_name, winner.global_name);
    assert.equal((await listed('q=race-id')).count, 1);
    // None of the losers' unique values was kept: each is free again.
    for (const [j, body] of bodies.entries()) {
      if (j === i) continue;
      assert.equal((await listed(`domain=${body.domain}`)).count, 0, body.domain);
    }
    const keys = (await http<Envelope<ApiKeyView[]>>('GET', '/api/v1/clients/race-id/keys')).body.data;
    assert.deepEqual(keys.map((k) => k.kind).sort(), ['publishable', 'secret'], 'only the winner’s two keys exist');
    assert.equal(keys.find((k) => k.kind === 'publishable')?.key, winner.publishable_key);
  });

  it(`lets exactly one of ${N} concurrent creates of one domain (in any case) win; the others are 409 domain`, async () => {
    const spellings = ['Race.Example', 'race.example', 'RACE.EXAMPLE', 'race.example.', 'rAcE.eXaMpLe'];
    const bodies = Array.from({ length: N }, (_, i) => ({ id: `race-domain-${i}`, name: `Race domain ${i}`, domain: spellings[i % spellings.length] }));
    const winner = oneWinner(await createAll(bodies), 'domain');
    assert.equal(winner.domain, 'race.example');

    const byDomain = await listed('domain=race.example');
    assert.equal(byDomain.count, 1);
    assert.equal(byDomain.data[0]?.id, winner.id);
    assert.equal((await listed('q=race-domain-')).count, 1, 'no loser was stored under its own id');
  });

  it(`lets exactly one of ${N} concurrent creates of one global_name win; the others are 409 global_name`, async () => {
    const bodies = Array.from({ length: N }, (_, i) => ({ id: `race-global-${i}`, name: `Race global ${i}`, global_name: 'raceGlobal' }));
    const winner = oneWinner(await createAll(bodies), 'global_name');
    assert.equal(winner.global_name, 'raceGlobal');

    const all = await listed('q=race-global-');
    assert.equal(all.count, 1, 'no loser was stored under its own id');
    assert.equal(all.data[0]?.id, winner.id);
    assert.equal(all.data.filter((c) => c.global_name === 'raceGlobal').length, 1);
  });

  it('rotates the keys of one client 20 times concurrently: all 200, one current key of each kind after', async () => {
    const created = await http<Envelope>('POST', '/api/v1/clients', { id: 'race-rotate', name: 'Race rotate' });
    assert.equal(created.status, 201);
    const first = created.body.data;

    const replies = await Promise.all(
      Array.from({ length: 20 }, () => http<Envelope<RotatedKeysView>>('POST', '/api/v1/clients/race-rotate/keys/rotate', {})),
    );
    assert.deepEqual(replies.map((r) => r.status), Array<number>(20).fill(200));
    const issued = replies.map((r) => r.body.data.publishable_key);
    assert.equal(new Set(issued).size, 20, 'every rotation issued its own publishable key');

    const keys = (await http<Envelope<ApiKeyView[]>>('GET', '/api/v1/clients/race-rotate/keys')).body.data;
    const current = keys.filter((k) => k.current);
    assert.deepEqual(current.map((k) => k.kind).sort(), ['publishable', 'secret'], JSON.stringify(current));
    // The old keys are all still listed, in their grace period, and none of them is current.
    assert.equal(keys.length, 2 * 21);
    assert.deepEqual(
      new Set(keys.filter((k) => k.kind === 'publishable').map((k) => k.key)),
      new Set([first.publishable_key, ...issued]),
    );
    for (const k of keys.filter((key) => !key.current)) assert.notEqual(k.expires_at, null, k.id);

    // The current keys are the ones of a single rotation, and the client shows exactly those.
    const currentPublishable = current.find((k) => k.kind === 'publishable')?.key;
    const currentSecret = current.find((k) => k.kind === 'secret')?.key;
    const from = replies.find((r) => r.body.data.publishable_key === currentPublishable);
    assert.ok(from, 'the current publishable key came from one of the rotations');
    assert.equal(currentSecret, `sk_…${from.body.data.secret_key?.slice(-4)}`, 'its secret key is current too');
    const client = (await http<Envelope>('GET', '/api/v1/clients/race-rotate')).body.data;
    assert.equal(client.publishable_key, currentPublishable);
    assert.equal(client.secret_key, currentSecret);
  });

  it('rotates 20 times concurrently without a grace period: exactly the two newest keys still work', async () => {
    assert.equal((await http('POST', '/api/v1/clients', { id: 'race-rotate-now', name: 'Race rotate now' })).status, 201);
    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        http<Envelope<RotatedKeysView>>('POST', '/api/v1/clients/race-rotate-now/keys/rotate', { grace_seconds: 0 }),
      ),
    );
    assert.deepEqual(replies.map((r) => r.status), Array<number>(20).fill(200));
    const keys = (await http<Envelope<ApiKeyView[]>>('GET', '/api/v1/clients/race-rotate-now/keys')).body.data;
    assert.deepEqual(keys.map((k) => `${k.kind}:${k.current}`).sort(), ['publishable:true', 'secret:true'], JSON.stringify(keys));
    const from = replies.find((r) => r.body.data.publishable_key === keys.find((k) => k.kind === 'publishable')?.key);
    assert.ok(from, 'the working publishable key came from one of the rotations');
    assert.equal(keys.find((k) => k.kind === 'secret')?.key, `sk_…${from.body.data.secret_key?.slice(-4)}`);
  });
});
