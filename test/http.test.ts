import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { ADMIN, ADMIN_KEY, SEED_CLIENT, startApi, type Envelope, type TestApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[] }>>;
  components: { securitySchemes: Record<string, { type: string; in?: string; name?: string; scheme?: string }> };
}

describeEachStore('HTTP layer', (kind) => {
  let api: TestApi;
  before(async () => {
    api = await startApi(kind);
  });
  after(async () => api.close());

  const count = async () => (await api.request('GET', '/api/v1/clients')).body.count;

  it('requires the admin key on every admin route, as Bearer or ?admin_key=', async () => {
    const routes: [string, string][] = [
      ['GET', '/api/v1/clients'],
      ['POST', '/api/v1/clients'],
      ['GET', '/api/v1/clients/x'],
      ['PATCH', '/api/v1/clients/x'],
      ['DELETE', '/api/v1/clients/x'],
      ['POST', '/api/v1/clients/x/keys/rotate'],
      ['GET', '/api/v1/clients/x/keys'],
      ['GET', '/api/v1/agencies'],
      ['POST', '/api/v1/agencies'],
      ['GET', '/api/v1/agencies/x'],
      ['PATCH', '/api/v1/agencies/x'],
      ['DELETE', '/api/v1/agencies/x'],
      ['GET', '/api/v1/agencies/x/clients'],
      ['GET', '/api/v1/tag-templates'],
      ['GET', '/api/v1/clients/x/tags'],
      ['PUT', '/api/v1/clients/x/tags'],
      ['GET', '/api/v1/clients/x/snippets'],
      ['PUT', '/api/v1/clients/x/snippets'],
      ['GET', '/api/v1/clients/x/hostnames'],
      ['POST', '/api/v1/clients/x/hostnames'],
      ['DELETE', '/api/v1/clients/x/hostnames/a.example'],
      ['GET', '/api/v1/clients/x/loader'],
      ['POST', '/api/v1/links/webhooks'],
      ['GET', '/api/v1/links/webhooks'],
      ['GET', '/api/v1/links/webhooks/x'],
      ['PATCH', '/api/v1/links/webhooks/x'],
      ['DELETE', '/api/v1/links/webhooks/x'],
      ['POST', '/api/v1/links/webhooks/x/test'],
      ['POST', '/api/v1/links/webhooks/x/rotate-secret'],
      ['GET', '/api/v1/links/webhooks/x/deliveries'],
    ];
    const wrongs: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${ADMIN_KEY}x` },
      { authorization: `Bearer ${ADMIN_KEY.slice(0, -1)}` },
      { authorization: ADMIN_KEY },
      { authorization: `Basic ${ADMIN_KEY}` },
      { authorization: 'Bearer' },
    ];
    for (const [method, url] of routes) {
      for (const headers of wrongs) {
        const res = await api.request(method, url, { anonymous: true, headers, body: method === 'GET' || method === 'DELETE' ? undefined : SEED_CLIENT });
        assert.equal(res.status, 401, `${method} ${url} ${JSON.stringify(headers)}`);
        assert.equal(res.body.code, 'unauthorized');
        assert.equal(res.headers['www-authenticate'], 'Bearer realm="mythic"');
      }
    }
    assert.equal((await api.request('GET', `/api/v1/clients?admin_key=wrong`, { anonymous: true })).status, 401);
    assert.equal((await api.request('GET', `/api/v1/clients?admin_key=${ADMIN_KEY}`, { anonymous: true })).status, 200);
    assert.equal((await api.request('GET', '/api/v1/clients', { anonymous: true, headers: { authorization: `bearer ${ADMIN_KEY}` } })).status, 200);
    assert.equal(await count(), 0, 'no refused request created anything');
  });

  it('takes the key from the query without treating it as a filter', async () => {
    const res = await api.request('POST', `/api/v1/clients?admin_key=${ADMIN_KEY}`, { anonymous: true, body: SEED_CLIENT });
    assert.equal(res.status, 201);
    const list = await api.request('GET', `/api/v1/clients?admin_key=${ADMIN_KEY}&status=true`, { anonymous: true });
    assert.equal(list.body.count, 1);
  });

  it('answers Fastify’s own failures in the one error envelope', async () => {
    const before = await count();
    const cases: { name: string; method: string; url: string; raw?: string | Buffer; headers?: Record<string, string>; status: number; code: string }[] = [
      { name: 'unknown route', method: 'GET', url: '/api/v1/nothing-here', status: 404, code: 'not_found' },
      { name: 'unknown method on a route', method: 'PUT', url: '/api/v1/clients', raw: '{}', headers: { 'content-type': 'application/json' }, status: 404, code: 'not_found' },
      { name: 'broken JSON', method: 'POST', url: '/api/v1/clients', raw: '{"id": "x",', headers: { 'content-type': 'application/json' }, status: 400, code: 'invalid_json' },
      { name: 'JSON that is not an object', method: 'POST', url: '/api/v1/clients', raw: '[1,2]', headers: { 'content-type': 'application/json' }, status: 400, code: 'validation_error' },
      { name: 'prototype poisoning', method: 'POST', url: '/api/v1/clients', raw: '{"id":"p","name":"P","__proto__":{"x":1}}', headers: { 'content-type': 'application/json' }, status: 400, code: 'invalid_json' },
      { name: 'text/plain body', method: 'POST', url: '/api/v1/clients', raw: JSON.stringify(SEED_CLIENT), headers: { 'content-type': 'text/plain' }, status: 415, code: 'unsupported_media_type' },
      { name: 'form body', method: 'POST', url: '/api/v1/clients', raw: 'id=x&name=y', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' },
      { name: 'body over 1 MiB', method: 'POST', url: '/api/v1/clients', raw: JSON.stringify({ id: 'big', name: 'Big', api_metadata: { x: 'y'.repeat(1024 * 1024) } }), headers: { 'content-type': 'application/json' }, status: 413, code: 'payload_too_large' },
      { name: 'NUL in a path parameter', method: 'GET', url: '/api/v1/clients/a%00b', status: 400, code: 'validation_error' },
      { name: 'NUL in a body string', method: 'POST', url: '/api/v1/clients', raw: '{"id":"nul","name":"a\\u0000b"}', headers: { 'content-type': 'application/json' }, status: 400, code: 'validation_error' },
      { name: 'broken percent-encoding', method: 'GET', url: '/api/v1/clients/%E0%A4%A', status: 400, code: 'validation_error' },
      { name: 'offset beyond any table', method: 'GET', url: '/api/v1/clients?offset=99999999999999999999', status: 400, code: 'validation_error' },
      { name: 'null rotate body', method: 'POST', url: '/api/v1/clients/acme-retail/keys/rotate', raw: 'null', headers: { 'content-type': 'application/json' }, status: 400, code: 'validation_error' },
      { name: 'lone surrogate in metadata', method: 'POST', url: '/api/v1/clients', raw: '{"id":"sur","name":"S","api_metadata":{"k":"\\ud800"}}', headers: { 'content-type': 'application/json' }, status: 400, code: 'validation_error' },
    ];
    for (const c of cases) {
      const res = await api.request(c.method, c.url, { raw: c.raw, headers: c.headers });
      assert.equal(res.status, c.status, `${c.name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, c.code, c.name);
      assert.equal(res.body.success, false, c.name);
      assert.equal(res.body.data, null, c.name);
      assert.equal(typeof res.body.error, 'string', c.name);
    }
    assert.equal(await count(), before, 'no malformed request stored anything');
  });

  it('refuses a body that is not valid UTF-8, as ingestion does, and stores nothing of it', async () => {
    // A name with a lone 0xFF byte: decoded leniently it would be stored as "Bad \uFFFD name".
    const broken = (json: string): Buffer => {
      const [head, tail] = json.split('@@') as [string, string];
      return Buffer.concat([Buffer.from(head), Buffer.from([0xff]), Buffer.from(tail)]);
    };
    const before = await count();
    const created = await api.request('POST', '/api/v1/clients', { raw: broken('{"id":"utf8-bad","name":"Bad @@ name"}'), headers: { 'content-type': 'application/json' } });
    assert.equal(created.status, 400, JSON.stringify(created.body));
    assert.equal(created.body.code, 'invalid_json');
    assert.equal(created.body.error, 'The body is not valid UTF-8');
    assert.equal(await count(), before, 'the refused create stored nothing');
    assert.equal((await api.request('GET', '/api/v1/clients/utf8-bad')).status, 404);

    await api.request('POST', '/api/v1/clients', { body: { id: 'utf8-patch', name: 'Good name' } });
    // Also an overlong encoding (C0 AF) and a truncated sequence (E2 82) at the end of a string.
    for (const raw of [
      broken('{"name":"Bad @@ name"}'),
      Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
      Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]),
    ]) {
      const patched = await api.request('PATCH', '/api/v1/clients/utf8-patch', { raw, headers: { 'content-type': 'application/json' } });
      assert.equal(patched.status, 400, JSON.stringify(patched.body));
      assert.equal(patched.body.code, 'invalid_json');
    }
    const kept = await api.request('GET', '/api/v1/clients/utf8-patch');
    assert.equal(kept.body.data.name, 'Good name', 'the refused PATCHes changed nothing');
    // Valid multi-byte UTF-8 still goes through.
    const ok = await api.request('PATCH', '/api/v1/clients/utf8-patch', { raw: Buffer.from('{"name":"Café ☕ 🎉"}'), headers: { 'content-type': 'application/json' } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.data.name, 'Café ☕ 🎉');
  });

  it('treats an empty body sent as JSON as no body', async () => {
    await api.request('POST', '/api/v1/clients', { body: { id: 'empty-body', name: 'E' } });
    const res = await api.request('DELETE', '/api/v1/clients/empty-body', { raw: '', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    const rotated = await api.request('POST', '/api/v1/clients/empty-body/keys/rotate', { raw: '', headers: { 'content-type': 'application/json' } });
    assert.equal(rotated.status, 200, 'an empty rotate body means the defaults');
    const missing = await api.request('POST', '/api/v1/clients', { raw: '', headers: { 'content-type': 'application/json' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.code, 'validation_error');
  });

  it('sends a request id with every answer', async () => {
    const res = await api.request('GET', '/api/v1/clients');
    assert.ok(res.headers['x-request-id']);
  });

  it('serves an OpenAPI 3.1 document, to the admin, describing every route and both ways to authenticate', async () => {
    assert.equal((await api.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).statusCode, 401);
    const res = await api.app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: ADMIN });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as OpenApiDoc;
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      '/api/v1/admin/pubsub/subscriptions',
      '/api/v1/admin/pubsub/subscriptions/{id}',
      '/api/v1/admin/pubsub/subscriptions/{id}/acknowledge',
      '/api/v1/admin/pubsub/subscriptions/{id}/dead-letters',
      '/api/v1/admin/pubsub/subscriptions/{id}/dead-letters/replay',
      '/api/v1/admin/pubsub/subscriptions/{id}/modify-ack-deadline',
      '/api/v1/admin/pubsub/subscriptions/{id}/pause',
      '/api/v1/admin/pubsub/subscriptions/{id}/pull',
      '/api/v1/admin/pubsub/subscriptions/{id}/resume',
      '/api/v1/admin/pubsub/subscriptions/{id}/rotate-secret',
      '/api/v1/agencies',
      '/api/v1/agencies/{id}',
      '/api/v1/agencies/{id}/clients',
      '/api/v1/clients',
      '/api/v1/clients/{id}',
      '/api/v1/clients/{id}/events',
      '/api/v1/clients/{id}/funnels',
      '/api/v1/clients/{id}/funnels/{funnelId}',
      '/api/v1/clients/{id}/hostnames',
      '/api/v1/clients/{id}/hostnames/{hostname}',
      '/api/v1/clients/{id}/keys',
      '/api/v1/clients/{id}/keys/rotate',
      '/api/v1/clients/{id}/links',
      '/api/v1/clients/{id}/links/{linkId}',
      '/api/v1/clients/{id}/links/{linkId}/analytics',
      '/api/v1/clients/{id}/loader',
      '/api/v1/clients/{id}/snippets',
      '/api/v1/clients/{id}/tags',
      '/api/v1/links',
      '/api/v1/links/webhooks',
      '/api/v1/links/webhooks/{id}',
      '/api/v1/links/webhooks/{id}/deliveries',
      '/api/v1/links/webhooks/{id}/rotate-secret',
      '/api/v1/links/webhooks/{id}/test',
      '/api/v1/links/{id}',
      '/api/v1/links/{id}/uptime/start',
      '/api/v1/links/{id}/uptime/status',
      '/api/v1/links/{id}/uptime/stop',
      '/api/v1/public/query',
      '/api/v1/query',
      '/api/v1/query/funnel',
      '/api/v1/tag-templates',
      '/api/v1/whoami',
      '/array/{token}/config',
      '/batch',
      '/e',
      '/flags',
      '/healthz',
      '/ingest',
      '/l/{slug}',
    ]);
    assert.equal(doc.components.securitySchemes.adminBearer?.scheme, 'bearer');
    assert.deepEqual([doc.components.securitySchemes.adminQuery?.in, doc.components.securitySchemes.adminQuery?.name], ['query', 'admin_key']);
    assert.deepEqual(doc.paths['/healthz']?.get?.security, [], 'health needs no key');
  });

  it('reports liveness and store readiness on /healthz', async () => {
    const res = await api.request<Envelope<{ status: string; meta_store: { engine: string; ready: boolean } }>>('GET', '/healthz', { anonymous: true });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.status, 'ok');
    assert.deepEqual(res.body.data.meta_store, { engine: kind.name, ready: true });
  });
});

describeEachStore('HTTP layer with a closed store', (kind) => {
  it('answers /healthz with 503 when the store does not answer', async () => {
    const api = await startApi(kind);
    await api.store.close();
    const res = await api.request('GET', '/healthz', { anonymous: true });
    assert.equal(res.status, 503);
    assert.equal(res.body.code, 'unavailable');
    await api.app.close();
    await api.opened.dispose();
  });
});
