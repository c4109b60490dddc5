import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sha256Hex } from '../../src/keys/secrets.js';
import type { McpKeyView, McpKeyWithSecretView } from '../../src/mcp/schemas.js';
import { startApi, type Envelope, type TestApi } from '../helpers/api.js';
import { STORE_KINDS } from '../helpers/stores.js';

const URL_ = '/api/v1/mcp/api-keys';

describe('MCP key API (/api/v1/mcp/api-keys)', () => {
  let api: TestApi;
  let clientSecret: string;
  before(async () => {
    api = await startApi(STORE_KINDS[0]!);
    const res = await api.request('POST', '/api/v1/clients', { body: { id: 'keys-a', name: 'Keys A' } });
    clientSecret = res.body.data.secret_key as string;
    await api.request('POST', '/api/v1/clients', { body: { id: 'keys-b', name: 'Keys B' } });
  });
  after(async () => {
    assert.ok(api.contract.checked > 0);
    await api.close();
  });
  const create = (body: unknown) => api.request<Envelope<McpKeyWithSecretView>>('POST', URL_, { body });
  const count = async (): Promise<number> => (await api.request<Envelope<McpKeyView[]>>('GET', URL_)).body.count as number;

  it('creates a key shown once, stores only its hash, and lists it masked, newest first', async () => {
    const res = await create({ name: 'Claude', scopes: ['tools:read', 'tools:execute'], client_ids: ['keys-a'], expires_at: '2026-12-31T00:00:00Z' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const created = res.body.data;
    assert.match(created.key, /^mak_[0-9A-Za-z]{32}$/);
    assert.match(created.id, /^mck_[0-9A-Za-z]{12}$/);
    assert.equal(res.headers.location, `${URL_}/${created.id}`);
    assert.equal(created.masked_key, `mak_…${created.key.slice(-4)}`);
    assert.deepEqual(
      { scopes: created.scopes, client_ids: created.client_ids, expires_at: created.expires_at, status: created.status, revoked_at: created.revoked_at, last_used_at: created.last_used_at },
      { scopes: ['tools:read', 'tools:execute'], client_ids: ['keys-a'], expires_at: '2026-12-31T00:00:00.000Z', status: 'active', revoked_at: null, last_used_at: null },
    );
    const row = await api.store.getMcpKey(created.id);
    assert.equal(row?.key_hash, sha256Hex(created.key));
    assert.ok(!JSON.stringify(row).includes(created.key.slice(4)), 'the key itself is not stored');

    const second = (await create({ name: 'Reader', scopes: ['tools:read'] })).body.data;
    assert.equal(second.client_ids, null);
    assert.equal(second.expires_at, null);
    api.clock.advance(1);
    const third = (await create({ name: 'Third', scopes: ['tools:execute'], client_ids: null, expires_at: null })).body.data;
    const list = await api.request<Envelope<McpKeyView[]>>('GET', URL_);
    assert.equal(list.status, 200);
    assert.equal(list.body.data[0]?.id, third.id);
    assert.deepEqual(new Set(list.body.data.map((k) => k.id)), new Set([created.id, second.id, third.id]));
    const one = await api.request<Envelope<McpKeyView>>('GET', `${URL_}/${created.id}`);
    assert.equal(one.body.data.masked_key, created.masked_key);
    for (const text of [JSON.stringify(list.body), JSON.stringify(one.body)]) {
      for (const key of [created.key, second.key, third.key]) assert.ok(!text.includes(key), 'no full key in reads');
      assert.ok(!text.includes('key_hash'));
    }
  });

  it('revokes with DELETE (once: the first instant stays) and shows expired keys as expired', async () => {
    const key = (await create({ name: 'Doomed', scopes: ['tools:read'], expires_at: new Date(api.clock.now + 60_000).toISOString() })).body.data;
    api.clock.advance(60_000);
    assert.equal((await api.request<Envelope<McpKeyView>>('GET', `${URL_}/${key.id}`)).body.data.status, 'expired');
    const revoked = await api.request<Envelope<McpKeyView>>('DELETE', `${URL_}/${key.id}`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.data.status, 'revoked');
    assert.equal(revoked.body.data.revoked_at, new Date(api.clock.now).toISOString());
    api.clock.advance(5000);
    assert.equal((await api.request<Envelope<McpKeyView>>('DELETE', `${URL_}/${key.id}`)).body.data.revoked_at, revoked.body.data.revoked_at);
    for (const method of ['GET', 'DELETE']) {
      const missing = await api.request(method, `${URL_}/mck_nope`);
      assert.equal(missing.status, 404, method);
      assert.equal(missing.body.code, 'not_found');
    }
  });

  it('takes the admin key only: a client’s sk_ gets 403, no key or a wrong one 401', async () => {
    const before = await count();
    for (const [method, url, body] of [
      ['POST', URL_, { name: 'x', scopes: ['tools:read'] }],
      ['GET', URL_, undefined],
      ['GET', `${URL_}/mck_x`, undefined],
      ['DELETE', `${URL_}/mck_x`, undefined],
    ] as const) {
      const asClient = await api.request(method, url, { anonymous: true, headers: { authorization: `Bearer ${clientSecret}` }, ...(body ? { body } : {}) });
      assert.equal(asClient.status, 403, `${method} ${url}`);
      assert.equal(asClient.body.code, 'forbidden');
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: `Bearer sk_${'0'.repeat(32)}` }]) {
        const res = await api.request(method, url, { anonymous: true, headers, ...(body ? { body } : {}) });
        assert.equal(res.status, 401, `${method} ${url} ${JSON.stringify(headers)}`);
      }
    }
    assert.equal(await count(), before);
  });

  it('answers an sk_ 403 before looking at the body, as the Pub/Sub routes do', async () => {
    for (const body of [{}, { name: 'x', scopes: ['tools:write'] }, { name: 'nul\u0000', scopes: ['tools:read'] }]) {
      const asClient = await api.request('POST', URL_, { anonymous: true, headers: { authorization: `Bearer ${clientSecret}` }, body });
      assert.equal(asClient.status, 403, JSON.stringify(asClient.body));
      assert.equal(asClient.body.code, 'forbidden');
      const forged = await api.request('POST', URL_, { anonymous: true, headers: { authorization: `Bearer sk_${'0'.repeat(32)}` }, body });
      assert.equal(forged.status, 401, JSON.stringify(forged.body));
    }
  });

  it('refuses bad bodies with 400 naming the field, storing nothing', async () => {
    const before = await count();
    const cases: [unknown, string, RegExp][] = [
      [{ scopes: ['tools:read'] }, 'name', /is required/],
      [{ name: '', scopes: ['tools:read'] }, 'name', /must not be empty/],
      [{ name: 'x'.repeat(101), scopes: ['tools:read'] }, 'name', /at most 100/],
      [{ name: 'x' }, 'scopes', /is required/],
      [{ name: 'x', scopes: [] }, 'scopes', /./],
      [{ name: 'x', scopes: ['tools:write'] }, 'scopes.0', /must be one of: tools:read, tools:execute/],
      [{ name: 'x', scopes: ['tools:read', 'tools:read'] }, 'scopes', /./],
      [{ name: 'x', scopes: ['tools:read'], expires_at: 'tomorrow' }, 'expires_at', /date-time/],
      [{ name: 'x', scopes: ['tools:read'], expires_at: '2026-03-01T11:59:59Z' }, 'expires_at', /must be in the future/],
      [{ name: 'x', scopes: ['tools:read'], client_ids: [] }, 'client_ids', /./],
      [{ name: 'x', scopes: ['tools:read'], client_ids: ['keys-a', 'nope-1', 'nope-2'] }, 'client_ids', /do not exist: 'nope-1', 'nope-2'/],
      [{ name: 'x', scopes: ['tools:read'], client_ids: ['bad id'] }, 'client_ids.0', /letters, digits/],
      [{ name: 'x', scopes: ['tools:read'], key: 'mak_chosen' }, 'key', /not a recognised field/],
    ];
    for (const [body, field, message] of cases) {
      const res = await create(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.code, field === 'key' ? 'unknown_field' : 'validation_error');
      const problem = res.body.details?.find((d) => d.field === field);
      assert.ok(problem, `${JSON.stringify(body)}: ${JSON.stringify(res.body.details)}`);
      assert.match(problem.message, message, JSON.stringify(body));
    }
    const notJson = await api.request('POST', URL_, { raw: '{"name":', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);
    assert.equal(await count(), before);
  });
});
