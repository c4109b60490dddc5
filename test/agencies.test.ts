import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { AgencyView } from '../src/agencies/schemas.js';
import type { ClientView } from '../src/clients/schemas.js';
import { startApi, type Envelope, type TestApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

describeEachStore('agencies API', (kind) => {
  let api: TestApi;
  before(async () => {
    api = await startApi(kind);
  });
  after(async () => api.close());

  // Each agency is created a second after the previous one, so newest-first order is meaningful.
  const create = (body: object) => {
    api.clock.advance(1000);
    return api.request<Envelope<AgencyView>>('POST', '/api/v1/agencies', { body });
  };
  const get = (id: string) => api.request<Envelope<AgencyView>>('GET', `/api/v1/agencies/${id}`);

  it('creates an agency with an agc_ id, all fields, and a Location header', async () => {
    const res = await create({ name: ' Northwind Agency ', email: 'hello@northwind.example', phone: '+44 20 7946 0000', website: 'https://northwind.example', metadata: { tier: 'gold' } });
    assert.equal(res.status, 201);
    const a = res.body.data;
    assert.match(a.id, /^agc_[0-9a-f]{24}$/);
    assert.equal(res.headers.location, `/api/v1/agencies/${a.id}`);
    assert.equal(a.name, 'Northwind Agency');
    assert.equal(a.email, 'hello@northwind.example');
    assert.deepEqual(a.metadata, { tier: 'gold' });
    assert.equal(a.client_count, 0);
    assert.equal(a.created_at, a.updated_at);
    assert.deepEqual((await get(a.id)).body.data, a);
  });

  it('requires a name, validates the other fields, and refuses unknown ones', async () => {
    for (const body of [{}, { name: '  ' }, { name: 'X', email: 'nope' }, { name: 'X', website: 'northwind' }, { name: 'X', metadata: [] }, { name: 'X', phone: 'abc' }, { name: 'X', id: 'agc_mine' }]) {
      const res = await create(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.ok(['validation_error', 'unknown_field'].includes(res.body.code ?? ''));
    }
  });

  it('keeps names unique regardless of case and surrounding space, on create and on rename', async () => {
    await create({ name: 'Unique Co' });
    const dup = await create({ name: '  unique co' });
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.body.details?.map((d) => d.field), ['name']);
    const other = (await create({ name: 'Other Co' })).body.data;
    const rename = await api.request<Envelope<AgencyView>>('PATCH', `/api/v1/agencies/${other.id}`, { body: { name: 'UNIQUE CO' } });
    assert.equal(rename.status, 409);
    assert.equal((await get(other.id)).body.data.name, 'Other Co');
  });

  it('patches, moves updated_at, clears with null, and answers no_fields and 404', async () => {
    const a = (await create({ name: 'Patchable', email: 'a@patch.example', metadata: { a: 1 } })).body.data;
    api.clock.advance(1000);
    const res = await api.request<Envelope<AgencyView>>('PATCH', `/api/v1/agencies/${a.id}`, { body: { email: null, metadata: { b: 2 }, name: 'Patched' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.email, null);
    assert.deepEqual(res.body.data.metadata, { b: 2 });
    assert.equal(res.body.data.name, 'Patched');
    assert.equal(Date.parse(res.body.data.updated_at) - Date.parse(a.updated_at), 1000);
    assert.equal((await api.request('PATCH', `/api/v1/agencies/${a.id}`, { body: {} })).body.code, 'no_fields');
    assert.equal((await api.request('PATCH', '/api/v1/agencies/agc_missing', { body: { name: 'x' } })).status, 404);
    assert.equal((await get('agc_missing')).status, 404);
  });

  it('counts and lists clients whose agency_id is the agency id; free-form agency_ids stay allowed', async () => {
    const a = (await create({ name: 'Counting Agency' })).body.data;
    for (const id of ['ca-1', 'ca-2', 'ca-3']) {
      assert.equal((await api.request('POST', '/api/v1/clients', { body: { id, name: id, agency_id: a.id } })).status, 201);
    }
    assert.equal((await api.request('POST', '/api/v1/clients', { body: { id: 'free', name: 'Free', agency_id: 'example_string' } })).status, 201);
    await api.request('DELETE', '/api/v1/clients/ca-3');
    assert.equal((await get(a.id)).body.data.client_count, 3, 'inactive clients still belong to the agency');
    const listed = await api.request<Envelope<ClientView[]>>('GET', `/api/v1/agencies/${a.id}/clients`);
    assert.equal(listed.body.count, 3);
    assert.deepEqual(listed.body.data.map((c) => c.id).sort(), ['ca-1', 'ca-2', 'ca-3']);
    const active = await api.request<Envelope<ClientView[]>>('GET', `/api/v1/agencies/${a.id}/clients?status=true&limit=1`);
    assert.equal(active.body.count, 2);
    assert.equal(active.body.data.length, 1);
    assert.ok(active.body.next_cursor);
    // Moving a client away updates the live count.
    await api.request('PATCH', '/api/v1/clients/ca-1', { body: { agency_id: null } });
    assert.equal((await get(a.id)).body.data.client_count, 2);
    assert.equal((await api.request('GET', '/api/v1/agencies/agc_missing/clients')).status, 404);
    assert.equal((await api.request('GET', `/api/v1/agencies/${a.id}/clients?agency_id=x`)).status, 400);
  });

  it('refuses to delete an agency with clients unless forced, which detaches them', async () => {
    const a = (await create({ name: 'Closing Agency' })).body.data;
    await api.request('POST', '/api/v1/clients', { body: { id: 'closing-1', name: 'C1', agency_id: a.id } });
    const refused = await api.request('DELETE', `/api/v1/agencies/${a.id}`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'conflict');
    assert.match(refused.body.error ?? '', /force=true/);
    assert.equal((await get(a.id)).status, 200);
    api.clock.advance(1000);
    const forced = await api.request('DELETE', `/api/v1/agencies/${a.id}?force=true`);
    assert.equal(forced.status, 200);
    assert.deepEqual(forced.body, { success: true, deleted: true, detached_clients: 1 });
    assert.equal((await get(a.id)).status, 404);
    const client = (await api.request('GET', '/api/v1/clients/closing-1')).body.data;
    assert.equal(client.agency_id, null);
    assert.equal(client.updated_at, new Date(api.clock.now).toISOString());
    const empty = (await create({ name: 'Empty Agency' })).body.data;
    assert.deepEqual((await api.request('DELETE', `/api/v1/agencies/${empty.id}`)).body, { success: true, deleted: true, detached_clients: 0 });
    assert.equal((await api.request('DELETE', `/api/v1/agencies/${empty.id}`)).status, 404);
  });

  it('lists agencies newest first with count, paging and q', async () => {
    const all = await api.request<Envelope<AgencyView[]>>('GET', '/api/v1/agencies?limit=500');
    assert.equal(all.body.count, all.body.data.length);
    const times = all.body.data.map((a) => Date.parse(a.created_at));
    assert.deepEqual(times, [...times].sort((x, y) => y - x));
    const page1 = await api.request<Envelope<AgencyView[]>>('GET', '/api/v1/agencies?limit=2');
    const page2 = await api.request<Envelope<AgencyView[]>>('GET', `/api/v1/agencies?limit=2&cursor=${page1.body.next_cursor}`);
    assert.deepEqual([...page1.body.data, ...page2.body.data].map((a) => a.id), all.body.data.slice(0, 4).map((a) => a.id));
    const found = await api.request<Envelope<AgencyView[]>>('GET', '/api/v1/agencies?q=NORTHWIND');
    assert.deepEqual(found.body.data.map((a) => a.name), ['Northwind Agency']);
  });
});
