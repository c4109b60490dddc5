/**
 * The documentation's "Add hostname" and "Delete client" requests, sent verbatim (see
 * ../shared/reference/mythic-docs-examples.md), with the documented status and answer shape. The
 * docs verify a hostname by DNS; ours reports `verified` from the first event accepted from it.
 */

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { HostnameView } from '../../src/hostnames/schemas.js';
import { ADMIN, SEED_CLIENT, type Envelope, type TestApi } from '../helpers/api.js';
import { ingestClient, startIngestApi } from '../helpers/ingest.js';
import { describeEachStore } from '../helpers/stores.js';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describeEachStore('documented examples: hostnames and deleting a client', (kind) => {
  let api: TestApi;
  let send: ReturnType<typeof ingestClient>['send'];
  before(async () => {
    ({ api, send } = await startIngestApi(kind));
  });
  after(async () => {
    assert.ok(api.contract.checked > 0);
    await api.close();
  });

  const raw = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: string) => {
    const headers: Record<string, string> = { ...ADMIN };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const response = await api.app.inject({ method, url, headers, payload });
    const body = response.json() as Envelope<unknown>;
    api.contract.check(method, url, response.statusCode, body);
    return { status: response.statusCode, body };
  };

  it('Add hostname: the documented body verbatim; verified false, then true with first_event_at after an accepted event from it', async () => {
    const created = await api.request('POST', '/api/v1/clients', { body: SEED_CLIENT });
    assert.equal(created.status, 201);
    const added = await raw('POST', '/api/v1/clients/acme-retail/hostnames', '{ "hostname": "analytics.acme-retail.com" }');
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.success, true);
    const data = added.body.data as HostnameView;
    assert.equal(data.hostname, 'analytics.acme-retail.com');
    assert.equal(data.verified, false, 'no event yet');
    assert.equal(data.first_event_at, null);
    assert.match(data.created_at, ISO_MS);

    const at = api.clock.now;
    const event = await send(`/e?key=${created.body.data.publishable_key}`, {
      body: { event: '$pageview', distinct_id: 'v1', properties: { $current_url: 'https://analytics.acme-retail.com/' } },
      headers: { origin: 'https://analytics.acme-retail.com' },
    });
    assert.equal(event.status, 200, JSON.stringify(event.body));

    // Recorded just after the answer: read until it shows, at most 5 s.
    let listed = await raw('GET', '/api/v1/clients/acme-retail/hostnames');
    for (const deadline = Date.now() + 5_000; !(listed.body.data as HostnameView[])[0]?.verified && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      listed = await raw('GET', '/api/v1/clients/acme-retail/hostnames');
    }
    assert.equal(listed.status, 200);
    const [row] = listed.body.data as HostnameView[];
    assert.deepEqual(
      { hostname: row?.hostname, verified: row?.verified, first_event_at: row?.first_event_at },
      { hostname: 'analytics.acme-retail.com', verified: true, first_event_at: new Date(at).toISOString() },
    );
    // Adding it again answers the stored row, now verified.
    const again = await raw('POST', '/api/v1/clients/acme-retail/hostnames', '{ "hostname": "analytics.acme-retail.com" }');
    assert.equal(again.status, 200);
    assert.equal((again.body.data as HostnameView).verified, true);

    // 409 when another client has it.
    await api.request('POST', '/api/v1/clients', { body: { id: 'other-retail', name: 'Other' } });
    const taken = await raw('POST', '/api/v1/clients/other-retail/hostnames', '{ "hostname": "analytics.acme-retail.com" }');
    assert.equal(taken.status, 409);
    assert.equal(taken.body.success, false);
  });

  it('Delete client: soft by default, ?hard=true removes it; the documented answer with the id', async () => {
    await api.request('POST', '/api/v1/clients', { body: { ...SEED_CLIENT, id: 'to-delete', domain: 'to-delete.example', global_name: null } });
    const soft = await raw('DELETE', '/api/v1/clients/to-delete');
    assert.equal(soft.status, 200);
    assert.deepEqual(soft.body, { success: true, deleted: 'to-delete', hard: false });
    const hard = await raw('DELETE', '/api/v1/clients/to-delete?hard=true');
    assert.equal(hard.status, 200);
    assert.deepEqual(hard.body, { success: true, deleted: 'to-delete', hard: true });
    assert.equal((await raw('GET', '/api/v1/clients/to-delete')).status, 404);
  });
});
