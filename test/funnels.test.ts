import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { SavedFunnelView } from '../src/funnels/schemas.js';
import { ADMIN, suiteApi, type Envelope, type RequestOptions, type TestApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

type One = Envelope<SavedFunnelView>;
type Many = Envelope<SavedFunnelView[]>;

const CHECKOUT = [{ path: '/' }, { event: 'Product Added' }, { event: 'Order Completed' }];
const SIGNUP = [{ path: '/pricing' }, { event: 'Signed Up' }];

describeEachStore('saved funnels API', (kind) => {
  const suite = suiteApi(kind, 'funnelled');
  let api: TestApi;
  let n = 0;
  before(() => {
    api = suite.api();
  });

  /** A client with its secret key, which is shown in full only in the creation answer. */
  async function newClient(): Promise<{ id: string; secret_key: string; publishable_key: string }> {
    n += 1;
    const res = await api.request('POST', '/api/v1/clients', { body: { id: `funnelled-${n}`, name: `Funnelled ${n}` } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data as { id: string; secret_key: string; publishable_key: string };
  }

  const as = (key: string | undefined): RequestOptions => (key === undefined ? {} : { anonymous: true, headers: { authorization: `Bearer ${key}` } });
  const base = (client: string) => `/api/v1/clients/${encodeURIComponent(client)}/funnels`;
  const create = (client: string, body: unknown, key?: string) => api.request<One>('POST', base(client), { ...as(key), body });
  const list = (client: string, key?: string) => api.request<Many>('GET', base(client), as(key));
  const get = (client: string, id: string, key?: string) => api.request<One>('GET', `${base(client)}/${encodeURIComponent(id)}`, as(key));
  const patch = (client: string, id: string, body: unknown, key?: string) =>
    api.request<One>('PATCH', `${base(client)}/${encodeURIComponent(id)}`, { ...as(key), body });
  const remove = (client: string, id: string, key?: string) => api.request('DELETE', `${base(client)}/${encodeURIComponent(id)}`, as(key));
  const names = async (client: string) => (await list(client)).body.data.map((f) => f.name);

  it('creates with 201, a Location and the default window; lists by name; reads, changes and deletes one', async () => {
    const client = await newClient();
    const created = await create(client.id, { name: '  Checkout ', steps: CHECKOUT });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const funnel = created.body.data;
    assert.match(funnel.id, /^fnl_[0-9a-f]{24}$/);
    assert.deepEqual(funnel, {
      id: funnel.id,
      client_id: client.id,
      name: 'Checkout',
      steps: CHECKOUT,
      window_seconds: 86_400,
      created_at: '2026-03-01T12:00:00.000Z',
      updated_at: '2026-03-01T12:00:00.000Z',
    });
    assert.equal(created.headers.location, `/api/v1/clients/${client.id}/funnels/${funnel.id}`);

    api.clock.advance(1_000);
    assert.equal((await create(client.id, { name: 'activation', steps: SIGNUP, window_seconds: 3_600 })).status, 201);
    const listed = await list(client.id);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.count, 2);
    assert.deepEqual(listed.body.data.map((f) => [f.name, f.window_seconds]), [['activation', 3_600], ['Checkout', 86_400]], 'by name, whatever the case');
    assert.deepEqual((await get(client.id, funnel.id)).body.data, funnel);

    api.clock.advance(60_000);
    const renamed = await patch(client.id, funnel.id, { name: 'Purchase', window_seconds: 7_200 });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.deepEqual(renamed.body.data, { ...funnel, name: 'Purchase', window_seconds: 7_200, updated_at: '2026-03-01T12:01:01.000Z' });
    const restepped = await patch(client.id, funnel.id, { steps: SIGNUP });
    assert.deepEqual(restepped.body.data, { ...renamed.body.data, steps: SIGNUP }, 'only the steps change');
    assert.deepEqual((await get(client.id, funnel.id)).body.data, restepped.body.data, 'the change is stored');

    const deleted = await remove(client.id, funnel.id);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body, { success: true, deleted: funnel.id });
    assert.equal((await get(client.id, funnel.id)).status, 404);
    assert.equal((await remove(client.id, funnel.id)).status, 404, 'deleting twice is a 404');
    assert.deepEqual(await names(client.id), ['activation']);
  });

  it('a saved funnel runs as it is through POST /query/funnel', async () => {
    const client = await newClient();
    const saved = (await create(client.id, { name: 'Signup', steps: SIGNUP, window_seconds: 600 })).body.data;
    const run = await api.request('POST', '/api/v1/query/funnel', {
      body: { client_id: client.id, steps: saved.steps, window_seconds: saved.window_seconds, period: '7d' },
    });
    assert.equal(run.status, 200, JSON.stringify(run.body));
  });

  it('409s a name the client already has, regardless of case and surrounding spaces, on create and on rename', async () => {
    const client = await newClient();
    const first = (await create(client.id, { name: 'Checkout', steps: CHECKOUT })).body.data;
    const second = (await create(client.id, { name: 'Signup', steps: SIGNUP })).body.data;
    for (const name of ['checkout', ' CHECKOUT ', 'Checkout']) {
      const res = await create(client.id, { name, steps: SIGNUP });
      assert.equal(res.status, 409, name);
      assert.equal(res.body.code, 'conflict');
      assert.deepEqual(res.body.details?.map((d) => d.field), ['name']);
    }
    const clash = await patch(client.id, second.id, { name: 'checkOUT', steps: CHECKOUT });
    assert.equal(clash.status, 409);
    assert.equal(clash.body.code, 'conflict');
    assert.deepEqual((await get(client.id, second.id)).body.data, second, 'the refused rename changed nothing, steps included');
    const recased = await patch(client.id, first.id, { name: 'CHECKOUT' });
    assert.equal(recased.status, 200, 'a funnel may change the case of its own name');
    assert.deepEqual(await names(client.id), ['CHECKOUT', 'Signup']);
    const other = await newClient();
    assert.equal((await create(other.id, { name: 'Checkout', steps: CHECKOUT })).status, 201, 'another client may use the name');
  });

  it('two creates of one name at once: one 201, one 409', async () => {
    const client = await newClient();
    for (let round = 0; round < 5; round += 1) {
      const answers = await Promise.all([create(client.id, { name: `Race ${round}`, steps: CHECKOUT }), create(client.id, { name: `race ${round}`, steps: SIGNUP })]);
      assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409], `round ${round}`);
    }
    assert.equal((await list(client.id)).body.count, 5);
  });

  it('keeps at most 100 funnels per client: the 101st is 409 limit_reached, even when creates race', async () => {
    const client = await newClient();
    for (let i = 0; i < 98; i += 1) assert.equal((await create(client.id, { name: `Funnel ${i}`, steps: CHECKOUT })).status, 201);
    const racing = await Promise.all([0, 1, 2, 3, 4].map((i) => create(client.id, { name: `Racer ${i}`, steps: SIGNUP })));
    assert.deepEqual(racing.map((r) => r.status).sort(), [201, 201, 409, 409, 409]);
    for (const refused of racing.filter((r) => r.status === 409)) {
      assert.equal(refused.body.code, 'limit_reached');
      assert.match(refused.body.error ?? '', /100 funnels/);
    }
    assert.equal((await list(client.id)).body.count, 100);
    const refused = await create(client.id, { name: 'One more', steps: CHECKOUT });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'limit_reached');
    const someone = (await list(client.id)).body.data[0]!;
    assert.equal((await remove(client.id, someone.id)).status, 200);
    assert.equal((await create(client.id, { name: 'One more', steps: CHECKOUT })).status, 201, 'room again after a delete');
    const other = await newClient();
    assert.equal((await create(other.id, { name: 'Checkout', steps: CHECKOUT })).status, 201, 'the limit is per client');
  });

  it('400s bad bodies in the error envelope and stores nothing', async () => {
    const client = await newClient();
    const kept = (await create(client.id, { name: 'Kept', steps: CHECKOUT, window_seconds: 600 })).body.data;
    const bad: [unknown, string][] = [
      [{ steps: CHECKOUT }, 'name'],
      [{ name: '', steps: CHECKOUT }, 'name'],
      [{ name: '   ', steps: CHECKOUT }, 'name'],
      [{ name: 'x'.repeat(101), steps: CHECKOUT }, 'name'],
      [{ name: 42, steps: CHECKOUT }, 'name'],
      [{ name: 'No steps' }, 'steps'],
      [{ name: 'One step', steps: [{ path: '/' }] }, 'steps'],
      [{ name: 'Nine steps', steps: Array.from({ length: 9 }, (_, i) => ({ event: `e${i}` })) }, 'steps'],
      [{ name: 'Empty event', steps: [{ event: '' }, { path: '/' }] }, 'steps'],
      [{ name: 'Both', steps: [{ event: 'a', path: '/' }, { path: '/' }] }, 'steps'],
      [{ name: 'Neither', steps: [{ url: '/' }, { path: '/' }] }, 'steps'],
      [{ name: 'Not objects', steps: ['/', '/checkout'] }, 'steps'],
      [{ name: 'Short window', steps: CHECKOUT, window_seconds: 59 }, 'window_seconds'],
      [{ name: 'Long window', steps: CHECKOUT, window_seconds: 7_776_001 }, 'window_seconds'],
      [{ name: 'Fraction', steps: CHECKOUT, window_seconds: 60.5 }, 'window_seconds'],
      [{ name: 'Null window', steps: CHECKOUT, window_seconds: null }, 'window_seconds'],
    ];
    for (const [body, field] of bad) {
      const res = await create(client.id, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.success, false);
      // A step matching neither form of the step union is reported as the other form's field
      // (unknown_field), as /query/funnel does: the details name the step either way.
      assert.ok(field === 'steps' ? ['validation_error', 'unknown_field'].includes(res.body.code ?? '') : res.body.code === 'validation_error', JSON.stringify(res.body));
      assert.ok(res.body.details?.some((d) => d.field.split(/[.[]/)[0] === field), `${JSON.stringify(body)}: ${JSON.stringify(res.body.details)}`);
    }
    const unknown = await create(client.id, { name: 'Extra', steps: CHECKOUT, client_id: client.id });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.code, 'unknown_field');
    const notJson = await api.request('POST', base(client.id), { raw: '{"name":', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.code, 'invalid_json');

    const empty = await patch(client.id, kept.id, {});
    assert.equal(empty.status, 400);
    assert.equal(empty.body.code, 'no_fields');
    for (const body of [{ name: ' ' }, { steps: [] }, { window_seconds: 10 }, { name: 'Fine', steps: [{ event: 'only one' }] }, { id: 'fnl_x' }]) {
      const res = await patch(client.id, kept.id, body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.deepEqual((await list(client.id)).body.data, [kept], 'no refused request changed or added anything');
  });

  it('404s an unknown client or funnel, and a funnel id under another client’s path', async () => {
    const owner = await newClient();
    const funnel = (await create(owner.id, { name: 'Owned', steps: CHECKOUT })).body.data;
    for (const res of [
      await list('no-such-client'),
      await create('no-such-client', { name: 'X', steps: CHECKOUT }),
      await get('no-such-client', funnel.id),
      await patch('no-such-client', funnel.id, { name: 'X' }),
      await remove('no-such-client', funnel.id),
    ]) {
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'not_found');
      assert.match(res.body.error ?? '', /Client 'no-such-client'/);
    }
    const other = await newClient();
    for (const res of [await get(other.id, funnel.id), await patch(other.id, funnel.id, { name: 'Stolen' }), await remove(other.id, funnel.id), await get(owner.id, 'fnl_0000')]) {
      assert.equal(res.status, 404);
      assert.match(res.body.error ?? '', /Funnel '/);
    }
    assert.deepEqual((await get(owner.id, funnel.id)).body.data, funnel, 'untouched');
  });

  it('the client’s own sk_ manages its funnels; it cannot list, read, change or delete another client’s', async () => {
    const a = await newClient();
    const b = await newClient();
    const mine = await create(a.id, { name: 'Mine', steps: CHECKOUT }, a.secret_key);
    assert.equal(mine.status, 201, JSON.stringify(mine.body));
    assert.deepEqual((await list(a.id, a.secret_key)).body.data.map((f) => f.id), [mine.body.data.id]);
    assert.equal((await patch(a.id, mine.body.data.id, { name: 'Still mine' }, a.secret_key)).status, 200);
    const theirs = (await create(b.id, { name: 'Theirs', steps: SIGNUP })).body.data;

    // B's path with A's key: refused before anything of B is looked up, as for an id that does not exist.
    for (const target of [b.id, 'no-such-client']) {
      for (const res of [
        await list(target, a.secret_key),
        await create(target, { name: 'Planted', steps: CHECKOUT }, a.secret_key),
        await get(target, theirs.id, a.secret_key),
        await patch(target, theirs.id, { name: 'Hijacked' }, a.secret_key),
        await remove(target, theirs.id, a.secret_key),
      ]) {
        assert.equal(res.status, 403, `${target}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, 'forbidden');
        assert.equal(res.body.data, null);
      }
    }
    // B's funnel id under A's own path: not found there.
    for (const res of [
      await get(a.id, theirs.id, a.secret_key),
      await patch(a.id, theirs.id, { name: 'Hijacked' }, a.secret_key),
      await remove(a.id, theirs.id, a.secret_key),
    ]) {
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'not_found');
    }
    assert.deepEqual((await list(b.id)).body.data, [theirs], 'B’s funnels are as B left them');
    assert.deepEqual((await list(a.id)).body.data.map((f) => f.name), ['Still mine'], 'nothing was planted in A');

    for (const key of [a.publishable_key, `sk_${'0'.repeat(32)}`, 'mk_wrong']) {
      const res = await list(a.id, key);
      assert.equal(res.status, 401, key);
      assert.equal(res.body.code, 'unauthorized');
    }
    assert.equal((await api.request('GET', base(a.id), { anonymous: true })).status, 401);

    assert.equal((await remove(a.id, mine.body.data.id, a.secret_key)).status, 200);
    assert.deepEqual(await names(a.id), []);
  });

  it('a deactivated client’s sk_ is refused (403 client_inactive); soft delete keeps the funnels, hard delete removes them', async () => {
    const client = await newClient();
    const funnel = (await create(client.id, { name: 'Kept', steps: CHECKOUT })).body.data;
    assert.equal((await api.request('DELETE', `/api/v1/clients/${client.id}`)).status, 200);
    const refused = await list(client.id, client.secret_key);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'client_inactive');
    assert.deepEqual((await list(client.id)).body.data, [funnel], 'soft delete keeps them; the admin key still reads them');

    assert.equal((await api.request('DELETE', `/api/v1/clients/${client.id}?hard=true`)).status, 200);
    assert.deepEqual(await api.store.listFunnels(client.id), [], 'gone from the store');
    assert.equal((await list(client.id)).status, 404);
    const again = await api.request('POST', '/api/v1/clients', { body: { id: client.id, name: 'Reborn' } });
    assert.equal(again.status, 201);
    assert.deepEqual((await list(client.id)).body.data, [], 'a client re-created with the id starts with none');
    assert.equal((await create(client.id, { name: 'Kept', steps: CHECKOUT })).status, 201, 'and the name is free again');
  });

  it('the OpenAPI document describes the funnel routes under the Funnels tag', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: ADMIN })).json() as {
      paths: Record<string, Record<string, { tags?: string[]; summary?: string }>>;
    };
    const collection = doc.paths['/api/v1/clients/{id}/funnels'];
    const member = doc.paths['/api/v1/clients/{id}/funnels/{funnelId}'];
    assert.ok(collection && member, 'both paths are documented');
    for (const operation of [collection.get, collection.post, member.get, member.patch, member.delete]) {
      assert.deepEqual(operation?.tags, ['Funnels']);
      assert.ok((operation?.summary ?? '').length > 0);
    }
  });
});
