import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { ApiKeyView, RotatedKeysView } from '../src/clients/schemas.js';
import { KeysService } from '../src/keys/service.js';
import { startApi, type Envelope, type TestApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

const DAY_MS = 86_400_000;

describeEachStore('key rotation', (kind) => {
  let api: TestApi;
  let keys: KeysService;
  let n = 0;
  before(async () => {
    api = await startApi(kind);
    keys = new KeysService(api.store, api.clock.read);
  });
  after(async () => api.close());

  async function newClient() {
    n += 1;
    const res = await api.request('POST', '/api/v1/clients', { body: { id: `keyed-${n}`, name: `Keyed ${n}` } });
    assert.equal(res.status, 201);
    return res.body.data as { id: string; publishable_key: string; secret_key: string };
  }
  const rotate = (id: string, body?: object) => api.request<Envelope<RotatedKeysView>>('POST', `/api/v1/clients/${id}/keys/rotate`, { body });
  const listKeys = (id: string) => api.request<Envelope<ApiKeyView[]>>('GET', `/api/v1/clients/${id}/keys`);

  it('authenticates both keys of a new client, and nothing else', async () => {
    const c = await newClient();
    assert.deepEqual(await keys.authenticate(c.publishable_key), { client_id: c.id, kind: 'publishable', client_active: true });
    assert.deepEqual(await keys.authenticate(c.secret_key), { client_id: c.id, kind: 'secret', client_active: true });
    assert.equal(await keys.authenticate(`sk_${'0'.repeat(32)}`), null);
    assert.equal(await keys.authenticate(c.secret_key.toUpperCase()), null);
    assert.equal(await keys.authenticate(`sk_…${c.secret_key.slice(-4)}`), null, 'the masked form is not a key');
  });

  it('rotates both keys by default with a one-day grace; old keys work until then, then stop', async () => {
    const c = await newClient();
    const res = await rotate(c.id);
    assert.equal(res.status, 200);
    const r = res.body.data;
    assert.deepEqual(r.rotated, ['publishable', 'secret']);
    assert.equal(r.grace_seconds, 86_400);
    assert.match(r.publishable_key ?? '', /^pk_[0-9a-f]{32}$/);
    assert.match(r.secret_key ?? '', /^sk_[0-9a-f]{32}$/, 'the new secret is shown in full, once');
    assert.notEqual(r.publishable_key, c.publishable_key);
    assert.notEqual(r.secret_key, c.secret_key);
    assert.equal(r.previous_keys_expire_at, new Date(api.clock.now + DAY_MS).toISOString());

    const client = (await api.request('GET', `/api/v1/clients/${c.id}`)).body.data;
    assert.equal(client.publishable_key, r.publishable_key);
    assert.equal(client.secret_key, `sk_…${r.secret_key?.slice(-4)}`);

    api.clock.advance(DAY_MS - 1);
    for (const key of [c.publishable_key, c.secret_key, r.publishable_key, r.secret_key]) {
      assert.ok(await keys.authenticate(key as string), `${key} works inside the grace period`);
    }
    assert.equal((await listKeys(c.id)).body.data.length, 4);

    api.clock.advance(1);
    assert.equal(await keys.authenticate(c.publishable_key), null);
    assert.equal(await keys.authenticate(c.secret_key), null);
    assert.ok(await keys.authenticate(r.publishable_key as string));
    assert.ok(await keys.authenticate(r.secret_key as string));
    const listed = (await listKeys(c.id)).body.data;
    assert.deepEqual(listed.map((k) => k.kind).sort(), ['publishable', 'secret']);
    assert.ok(listed.every((k) => k.current && k.expires_at === null));
  });

  it('rotates only the secret key when asked, and cuts it at once with grace 0', async () => {
    const c = await newClient();
    const r = (await rotate(c.id, { key: 'secret', grace_seconds: 0 })).body.data;
    assert.deepEqual(r.rotated, ['secret']);
    assert.equal(r.publishable_key, c.publishable_key, 'the publishable key is untouched');
    assert.equal(await keys.authenticate(c.secret_key), null);
    assert.ok(await keys.authenticate(c.publishable_key));
    assert.ok(await keys.authenticate(r.secret_key as string));
  });

  it('rotating only the publishable key keeps the secret key masked in the answer', async () => {
    const c = await newClient();
    const r = (await rotate(c.id, { key: 'publishable', grace_seconds: 60 })).body.data;
    assert.equal(r.secret_key, `sk_…${c.secret_key.slice(-4)}`);
    assert.ok(await keys.authenticate(c.publishable_key), 'inside 60 s of grace');
    api.clock.advance(60_000);
    assert.equal(await keys.authenticate(c.publishable_key), null);
  });

  it('a second rotation with a shorter grace also shortens the first rotation’s grace', async () => {
    const c = await newClient();
    await rotate(c.id, { key: 'secret', grace_seconds: 3600 });
    const second = (await rotate(c.id, { key: 'secret', grace_seconds: 0 })).body.data;
    assert.equal(await keys.authenticate(c.secret_key), null, 'a leaked key is cut by an immediate rotation');
    const listed = (await listKeys(c.id)).body.data.filter((k) => k.kind === 'secret');
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.key, `sk_…${second.secret_key?.slice(-4)}`);
  });

  it('lists keys with creation, expiry and last use; secret keys masked', async () => {
    const c = await newClient();
    const before = (await listKeys(c.id)).body.data;
    assert.equal(before.length, 2);
    const secret = before.find((k) => k.kind === 'secret');
    const publishable = before.find((k) => k.kind === 'publishable');
    assert.equal(secret?.key, `sk_…${c.secret_key.slice(-4)}`);
    assert.equal(publishable?.key, c.publishable_key);
    assert.equal(secret?.last_used_at, null);
    assert.equal(secret?.created_at, new Date(api.clock.now).toISOString());
    api.clock.advance(1000);
    await keys.authenticate(c.secret_key);
    const used = (await listKeys(c.id)).body.data.find((k) => k.kind === 'secret');
    assert.equal(used?.last_used_at, new Date(api.clock.now).toISOString());
    assert.ok(!JSON.stringify((await listKeys(c.id)).body).includes(c.secret_key), 'the full secret never appears');
  });

  it('reports a soft-deleted client’s keys as inactive, and a hard-deleted client’s keys as unknown', async () => {
    const c = await newClient();
    await api.request('DELETE', `/api/v1/clients/${c.id}`);
    assert.deepEqual(await keys.authenticate(c.secret_key), { client_id: c.id, kind: 'secret', client_active: false });
    await api.request('DELETE', `/api/v1/clients/${c.id}?hard=true`);
    assert.equal(await keys.authenticate(c.secret_key), null);
  });

  it('validates the rotate body and 404s unknown clients', async () => {
    const c = await newClient();
    for (const body of [{ key: 'all' }, { grace_seconds: -1 }, { grace_seconds: 2_592_001 }, { grace_seconds: 1.5 }, { extra: true }]) {
      const res = await rotate(c.id, body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.ok(await keys.authenticate(c.secret_key), 'a refused rotation changes nothing');
    assert.equal((await rotate('nope')).status, 404);
    assert.equal((await listKeys('nope')).status, 404);
    assert.equal((await rotate(c.id, { grace_seconds: 2_592_000 })).status, 200, 'the 30-day maximum is accepted');
  });
});
