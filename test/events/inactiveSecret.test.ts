import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { RecentEventView } from '../../src/events/schemas.js';
import { startApi, type Envelope, type TestApi } from '../helpers/api.js';
import { storedEvent } from '../helpers/events.js';
import { describeEachStoreAndEngine } from '../helpers/engines.js';

describeEachStoreAndEngine('recent events with the secret key of a deactivated client', (kind, engine) => {
  let api: TestApi;
  before(async () => {
    api = await startApi(kind, {}, engine);
  });
  after(async () => api.close());

  it('refuses the sk_ of a soft-deleted client with 403 client_inactive, while the admin key still reads', async () => {
    const created = await api.request('POST', '/api/v1/clients', { body: { id: 'retired', name: 'Retired' } });
    assert.equal(created.status, 201);
    const client = created.body.data as { id: string; secret_key: string };
    await api.events.append([storedEvent({ client_id: client.id })], []);
    const url = `/api/v1/clients/${client.id}/events`;
    const bySecret = () => api.request<Envelope<RecentEventView[]>>('GET', url, { anonymous: true, headers: { authorization: `Bearer ${client.secret_key}` } });
    assert.equal((await bySecret()).status, 200, 'readable while the client is active');

    assert.equal((await api.request('DELETE', `/api/v1/clients/${client.id}`)).status, 200);
    const refused = await bySecret();
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'client_inactive');
    assert.equal(refused.body.data, null, 'no event leaks with the refusal');
    const admin = await api.request<Envelope<RecentEventView[]>>('GET', url);
    assert.equal(admin.status, 200);
    assert.equal(admin.body.data.length, 1, 'the operator still sees a deactivated client’s events');
  });
});
