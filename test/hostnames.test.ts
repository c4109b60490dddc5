import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { HostnameView } from '../src/hostnames/schemas.js';
import { suiteApi, type Envelope, type TestApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

type One = Envelope<HostnameView>;
type Many = Envelope<HostnameView[]>;

describeEachStore('hostnames API', (kind) => {
  const suite = suiteApi(kind, 'hosted');
  const { newClient } = suite;
  let api: TestApi;
  before(() => {
    api = suite.api();
  });

  const add = (id: string, hostname: unknown) => api.request<One>('POST', `/api/v1/clients/${id}/hostnames`, { body: { hostname } });
  const list = (id: string) => api.request<Many>('GET', `/api/v1/clients/${id}/hostnames`);
  const remove = (id: string, hostname: string) => api.request('DELETE', `/api/v1/clients/${id}/hostnames/${encodeURIComponent(hostname)}`);
  const names = async (id: string) => (await list(id)).body.data.map((h) => h.hostname);

  it('adds a hostname in its stored form with 201 and a Location, and lists it', async () => {
    const id = await newClient();
    const res = await add(id, 'Shop.BÜCHER.example.');
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.data, {
      hostname: 'shop.xn--bcher-kva.example',
      client_id: id,
      verified: false,
      first_event_at: null,
      created_at: '2026-03-01T12:00:00.000Z',
    });
    assert.equal(res.headers.location, `/api/v1/clients/${id}/hostnames/shop.xn--bcher-kva.example`);
    api.clock.advance(1_000);
    assert.equal((await add(id, 'www.example.org')).status, 201);
    assert.deepEqual(await names(id), ['shop.xn--bcher-kva.example', 'www.example.org'], 'oldest first');
  });

  it('answers 200 with the existing row when the same client adds it again', async () => {
    const id = await newClient();
    const first = await add(id, 'again.example');
    api.clock.advance(5_000);
    const second = await add(id, 'AGAIN.example');
    assert.equal(second.status, 200);
    assert.deepEqual(second.body.data, first.body.data, 'the original row, creation time included');
    assert.deepEqual(await names(id), ['again.example']);
  });

  it('409s a hostname another client has, as a hostname or as its domain, naming that client', async () => {
    const owner = await newClient({ domain: 'owner.example' });
    const other = await newClient();
    assert.equal((await add(owner, 'extra.owner.example')).status, 201);
    for (const [hostname, pattern] of [
      ['EXTRA.owner.example', new RegExp(`client '${owner}' as its extra hostname`)],
      ['owner.example', new RegExp(`client '${owner}' as its domain`)],
    ] as const) {
      const res = await add(other, hostname);
      assert.equal(res.status, 409, hostname);
      assert.equal(res.body.code, 'conflict');
      assert.deepEqual(res.body.details?.map((d) => d.field), ['hostname']);
      assert.match(res.body.error ?? '', pattern);
    }
    // A client's own domain is not also an extra hostname of it.
    const own = await add(owner, 'Owner.Example');
    assert.equal(own.status, 409);
    assert.match(own.body.error ?? '', /already the domain/);
    assert.deepEqual(await names(other), []);
    assert.deepEqual(await names(owner), ['extra.owner.example']);
  });

  it('409s creating or patching a client onto a domain that is another client’s hostname', async () => {
    const holder = await newClient();
    await add(holder, 'held.example');
    const created = await api.request('POST', '/api/v1/clients', { body: { id: 'wants-held', name: 'W', domain: 'HELD.example' } });
    assert.equal(created.status, 409);
    assert.deepEqual(created.body.details?.map((d) => d.field), ['domain']);
    assert.match(created.body.error ?? '', new RegExp(`extra hostname of client '${holder}'`));
    assert.equal((await api.request('GET', '/api/v1/clients/wants-held')).status, 404);
    const patcher = await newClient({ domain: 'patcher.example' });
    const patched = await api.request('PATCH', `/api/v1/clients/${patcher}`, { body: { domain: 'held.example' } });
    assert.equal(patched.status, 409);
    assert.deepEqual(patched.body.details?.map((d) => d.field), ['domain']);
    assert.equal((await api.request('GET', `/api/v1/clients/${patcher}`)).body.data.domain, 'patcher.example');
    // Freed by removal, the name can become a domain.
    assert.equal((await remove(holder, 'held.example')).status, 200);
    assert.equal((await api.request('PATCH', `/api/v1/clients/${patcher}`, { body: { domain: 'held.example' } })).status, 200);
  });

  it('refuses what is not a hostname, and unknown fields', async () => {
    const id = await newClient();
    for (const hostname of [
      'https://a.example', 'a.example/x', '-bad.example', '', 'a b.example', 7, null,
      'a.example:0', 'a.example:65536', 'a.example:', 'a.example:x', 'localhost:3000:1', '10.0.0.256', '10.0.1', '::1', '[::1', '[::1]:', '[fe80::1%eth0]', '[g::1]',
    ]) {
      const res = await add(id, hostname);
      assert.equal(res.status, 400, JSON.stringify(hostname));
      assert.equal(res.body.code, 'validation_error');
      assert.deepEqual(res.body.details?.map((d) => d.field), ['hostname']);
    }
    const extra = await api.request('POST', `/api/v1/clients/${id}/hostnames`, { body: { hostname: 'ok.example', primary: true } });
    assert.equal(extra.body.code, 'unknown_field');
    assert.equal((await api.request('POST', `/api/v1/clients/${id}/hostnames`, { body: {} })).status, 400);
    assert.deepEqual(await names(id), []);
  });

  it('accepts localhost and IP addresses for local testing, dropping a port, and removes them by either form', async () => {
    const id = await newClient();
    const cases = [
      ['localhost', 'localhost'],
      ['LocalHost:3000', 'localhost'],
      ['127.0.0.1:8080', '127.0.0.1'],
      ['192.168.1.20', '192.168.1.20'],
      ['[::1]', '[::1]'],
      ['[0:0:0:0:0:0:0:1]:5173', '[::1]'],
      ['[2001:DB8::1]', '[2001:db8::1]'],
    ] as const;
    for (const [sent, stored] of cases) {
      const res = await add(id, sent);
      assert.ok(res.status === 201 || res.status === 200, `${sent}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.data.hostname, stored, sent);
    }
    assert.deepEqual((await names(id)).sort(), ['127.0.0.1', '192.168.1.20', '[2001:db8::1]', '[::1]', 'localhost']);
    assert.equal((await add(id, 'localhost:4000')).status, 200, 'another port is the same hostname');
    assert.equal((await remove(id, '[::1]:80')).status, 200);
    assert.equal((await remove(id, '127.0.0.1')).status, 200);
    assert.deepEqual((await names(id)).sort(), ['192.168.1.20', '[2001:db8::1]', 'localhost']);
    // Every developer has them: another client may add the same ones, and keeps them when this one removes its own.
    const other = await newClient();
    for (const hostname of ['localhost:5000', '[::1]', '192.168.1.20', 'app.localhost']) assert.equal((await add(other, hostname)).status, 201, hostname);
    assert.equal((await remove(id, 'localhost')).status, 200);
    assert.deepEqual((await names(other)).sort(), ['192.168.1.20', '[::1]', 'app.localhost', 'localhost']);
    assert.deepEqual((await names(id)).sort(), ['192.168.1.20', '[2001:db8::1]']);
    // A domain stays a name: it covers its subdomains, which an address has none of.
    const domain = await api.request('PATCH', `/api/v1/clients/${id}`, { body: { domain: '127.0.0.1' } });
    assert.equal(domain.status, 400);
  });

  it('404s an unknown client on every hostname route', async () => {
    for (const res of [await add('nope', 'a.example'), await list('nope'), await remove('nope', 'a.example')]) {
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'not_found');
      assert.match(res.body.error ?? '', /Client 'nope'/);
    }
  });

  it('removes a hostname (named in any case), then 404s it; another client’s hostname is not removable', async () => {
    const id = await newClient();
    const other = await newClient();
    await add(id, 'gone.example');
    await add(other, 'theirs.example');
    const res = await remove(id, 'Gone.Example');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { success: true, deleted: true });
    assert.deepEqual(await names(id), []);
    const again = await remove(id, 'gone.example');
    assert.equal(again.status, 404);
    assert.match(again.body.error ?? '', /Hostname 'gone.example'/);
    assert.equal((await remove(id, 'theirs.example')).status, 404);
    assert.deepEqual(await names(other), ['theirs.example']);
    assert.equal((await remove(id, 'not a hostname')).status, 400);
  });

  it('resolves the owner of a hostname or a domain for ingestion', async () => {
    const id = await newClient({ domain: 'resolve.example' });
    await add(id, 'cdn.resolve-other.example');
    assert.deepEqual(await api.store.findHostnameOwner('resolve.example'), { client_id: id, via: 'domain' });
    assert.deepEqual(await api.store.findHostnameOwner('cdn.resolve-other.example'), { client_id: id, via: 'hostname' });
    assert.equal(await api.store.findHostnameOwner('unknown.example'), null);
  });

  it('lets exactly one of many clients adding one hostname at once have it', async () => {
    const ids = await Promise.all(Array.from({ length: 10 }, () => newClient()));
    const replies = await Promise.all(ids.map((id) => add(id, 'contested.example')));
    const statuses = replies.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, ...Array.from({ length: 9 }, () => 409)]);
    const winner = replies.find((r) => r.status === 201)?.body.data.client_id;
    assert.deepEqual(await api.store.findHostnameOwner('contested.example'), { client_id: winner, via: 'hostname' });
    // The same client adding it many times at once: one 201, the rest 200.
    const id = await newClient();
    const same = await Promise.all(Array.from({ length: 10 }, () => add(id, 'same.example')));
    assert.deepEqual(same.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    assert.deepEqual(await names(id), ['same.example']);
  });

  it('holds at most 100 hostnames per client', async () => {
    const id = await newClient();
    for (let i = 0; i < 100; i += 1) assert.equal((await add(id, `h${i}.many.example`)).status, 201);
    const res = await add(id, 'one-more.many.example');
    assert.equal(res.status, 409);
    assert.match(res.body.error ?? '', /100 hostnames/);
    assert.equal((await add(id, 'h5.many.example')).status, 200, 'an existing one is still an idempotent success');
    assert.equal((await list(id)).body.data.length, 100);
  });

  it('frees the hostnames of a hard-deleted client, but not of a soft-deleted one', async () => {
    const soft = await newClient();
    await add(soft, 'soft.example');
    await api.request('DELETE', `/api/v1/clients/${soft}`);
    assert.equal((await add(await newClient(), 'soft.example')).status, 409, 'a deactivated client keeps its hostnames');
    const hard = await newClient();
    await add(hard, 'hard.example');
    await api.request('DELETE', `/api/v1/clients/${hard}?hard=true`);
    assert.deepEqual(await api.store.listHostnames(hard), []);
    assert.equal(await api.store.findHostnameOwner('hard.example'), null);
    assert.equal((await add(await newClient(), 'hard.example')).status, 201);
  });
});
