import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { WhoamiView } from '../../src/web/whoamiSchemas.js';
import { startApi, type Envelope, type TestApi } from '../helpers/api.js';
import { describeEachStore } from '../helpers/stores.js';

describeEachStore('GET /api/v1/whoami', (kind) => {
  let api: TestApi;
  before(async () => {
    api = await startApi(kind);
  });
  after(async () => api.close());

  const withKey = (key: string) => api.request<Envelope<WhoamiView>>('GET', '/api/v1/whoami', { anonymous: true, headers: { authorization: `Bearer ${key}` } });
  const createClient = async (id: string, extra: Record<string, unknown> = {}) => {
    const created = await api.request('POST', '/api/v1/clients', { body: { id, name: `Client ${id}`, ...extra } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.data as { id: string; secret_key: string; publishable_key: string };
  };

  it('answers role admin for the admin key', async () => {
    const reply = await api.request<Envelope<WhoamiView>>('GET', '/api/v1/whoami');
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.data, { role: 'admin' });
  });

  it('names the client, and its timezone, for its secret key', async () => {
    const client = await createClient('who-berlin', { timezone: 'Europe/Berlin' });
    const reply = await withKey(client.secret_key);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(reply.body.data, { role: 'client', client_id: 'who-berlin', name: 'Client who-berlin', timezone: 'Europe/Berlin' });
  });

  it('refuses a publishable key, an unknown sk_, a rotated-out sk_ and no key with 401', async () => {
    const client = await createClient('who-rotated');
    assert.equal((await withKey(client.publishable_key)).status, 401);
    assert.equal((await withKey(`sk_${'0'.repeat(32)}`)).status, 401);
    assert.equal((await withKey('not-a-key')).status, 401);
    assert.equal((await api.request('GET', '/api/v1/whoami', { anonymous: true })).status, 401);
    const rotated = await api.request('POST', `/api/v1/clients/${client.id}/keys/rotate`, { body: { key: 'secret', grace_seconds: 0 } });
    assert.equal(rotated.status, 200);
    const refused = await withKey(client.secret_key);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, 'unauthorized');
    const fresh = (rotated.body.data as unknown as { secret_key: string }).secret_key;
    assert.equal((await withKey(fresh)).body.data.role, 'client', 'the new key works');
  });

  it('refuses the sk_ of a deactivated client with 403 client_inactive', async () => {
    const client = await createClient('who-inactive');
    assert.equal((await api.request('DELETE', `/api/v1/clients/${client.id}`)).status, 200);
    const reply = await withKey(client.secret_key);
    assert.equal(reply.status, 403);
    assert.equal(reply.body.code, 'client_inactive');
  });

  it('does not let an sk_ through to admin routes', async () => {
    const client = await createClient('who-not-admin');
    const reply = await api.request('GET', '/api/v1/clients', { anonymous: true, headers: { authorization: `Bearer ${client.secret_key}` } });
    assert.equal(reply.status, 401);
  });
});
