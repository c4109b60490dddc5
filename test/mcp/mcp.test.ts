import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ADMIN_KEY, startApi, type Envelope, type TestApi } from '../helpers/api.js';
import { STORE_KINDS } from '../helpers/stores.js';
import { insert, view } from '../query/support.js';
import { sha256Hex } from '../../src/keys/secrets.js';
import type { McpKeyWithSecretView } from '../../src/mcp/schemas.js';
import type { QueryResultView } from '../../src/query/schemas.js';
import { callTool, INITIALIZE, mcpClient, rawPost, textOf } from './support.js';

const sqlite = STORE_KINDS[0]!;
const ALL_TOOLS = ['list_clients', 'list_links', 'query_analytics', 'recent_events', 'run_funnel'];

async function listen(api: TestApi): Promise<string> {
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
}

describe('MCP server (/mcp) with the SDK client', () => {
  let api: TestApi;
  let base: string;
  const sk: Record<string, string> = {};
  const newKey = async (body: Record<string, unknown>): Promise<McpKeyWithSecretView> => {
    const res = await api.request<Envelope<McpKeyWithSecretView>>('POST', '/api/v1/mcp/api-keys', { body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data;
  };

  before(async () => {
    api = await startApi(sqlite);
    base = await listen(api);
    for (const id of ['mcp-a', 'mcp-b']) {
      const res = await api.request('POST', '/api/v1/clients', { body: { id, name: id.toUpperCase(), timezone: 'UTC' } });
      assert.equal(res.status, 201);
      sk[id] = res.body.data.secret_key as string;
    }
    // The test clock stands at 2026-03-01T12:00Z.
    await insert(api, 'mcp-a', [
      view('2026-02-27T10:00:00Z', '/pricing', 'v1'),
      view('2026-02-27T10:01:00Z', '/signup', 'v1', 's-v1', { event: 'signup' }),
      view('2026-02-28T09:00:00Z', '/pricing', 'v2'),
      view('2026-02-28T09:05:00Z', '/blog', 'v3'),
    ]);
    await insert(api, 'mcp-b', [view('2026-02-28T09:00:00Z', '/secret-b-page', 'w1')]);
  });
  after(() => api.close());

  it('lists the tools each kind of key may use', async () => {
    const names = async (key: string): Promise<string[]> => {
      const client = await mcpClient(base, key);
      try {
        const { tools } = await client.listTools();
        for (const tool of tools) assert.equal(tool.inputSchema.type, 'object', tool.name);
        return tools.map((tool) => tool.name).sort();
      } finally {
        await client.close();
      }
    };
    assert.deepEqual(await names(ADMIN_KEY), ALL_TOOLS);
    assert.deepEqual(await names(sk['mcp-a']!), ALL_TOOLS.filter((name) => name !== 'list_clients'));
    assert.deepEqual(await names((await newKey({ name: 'reader', scopes: ['tools:read'] })).key), ALL_TOOLS);
    // The query tool takes the query API's own schema.
    const client = await mcpClient(base, ADMIN_KEY);
    const query = (await client.listTools()).tools.find((tool) => tool.name === 'query_analytics');
    await client.close();
    assert.deepEqual(query?.inputSchema.required, ['client_id']);
    assert.ok(query?.inputSchema.properties && 'metrics' in query.inputSchema.properties && 'filters' in query.inputSchema.properties);
  });

  it('answers query_analytics with the numbers of POST /api/v1/query, as a table and as JSON', async () => {
    const body = { client_id: 'mcp-a', metrics: ['unique_visitors', 'page_views'], dimensions: ['path'], period: '7d', order_by: [{ column: 'page_views', direction: 'desc' }] };
    const http = await api.request<Envelope<QueryResultView>>('POST', '/api/v1/query', { body });
    assert.equal(http.status, 200);
    assert.ok(http.body.data.rows.length >= 3);
    const result = await callTool(base, ADMIN_KEY, 'query_analytics', body);
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(result.structuredContent, http.body.data);
    const text = textOf(result);
    assert.match(text, /^Client mcp-a, 2026-02-2\dT.* \(exclusive\), days in UTC; 3 of 3 rows\./);
    assert.match(text, /\| path +\| unique_visitors \| page_views \|/);
    assert.match(text, /\| \/pricing +\| 2 +\| 2 +\|/);
  });

  it('runs the other tools through the same services', async () => {
    const funnel = await callTool(base, ADMIN_KEY, 'run_funnel', { client_id: 'mcp-a', steps: [{ path: '/pricing' }, { event: 'signup' }], period: '7d' });
    assert.equal(funnel.isError, undefined, textOf(funnel));
    assert.deepEqual((funnel.structuredContent as { steps: { count: number }[] }).steps.map((s) => s.count), [2, 1]);
    const recent = await callTool(base, sk['mcp-a']!, 'recent_events', { client_id: 'mcp-a', limit: 2 });
    assert.equal(recent.isError, undefined, textOf(recent));
    assert.equal((recent.structuredContent as { events: unknown[] }).events.length, 2);
    assert.match(textOf(recent), /\| seq +\| received_at/);
    const created = await api.request('POST', '/api/v1/clients/mcp-a/links', { body: { destination_url: 'https://acme.test/offer', slug: 'offer-a' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const links = await callTool(base, sk['mcp-a']!, 'list_links', { client_id: 'mcp-a' });
    assert.equal(links.isError, undefined, textOf(links));
    assert.match(textOf(links), /\/l\/offer-a/);
    const clients = await callTool(base, ADMIN_KEY, 'list_clients', {});
    assert.deepEqual((clients.structuredContent as { clients: { id: string }[] }).clients.map((c) => c.id).sort(), ['mcp-a', 'mcp-b']);
  });

  it('answers invalid arguments with the API’s validation message, as a tool error', async () => {
    const result = await callTool(base, ADMIN_KEY, 'query_analytics', { client_id: 'mcp-a', metrics: ['nope'], extra: 1 });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /^unknown_field: Unknown field: extra \(extra is not a recognised field; metrics\.0 must be one of: page_views, /);
  });

  it('keeps a client’s sk_ to its own client', async () => {
    const own = await callTool(base, sk['mcp-a']!, 'query_analytics', { client_id: 'mcp-a', metrics: ['page_views'], period: '7d' });
    assert.equal(own.isError, undefined, textOf(own));
    for (const [tool, args] of [
      ['query_analytics', { client_id: 'mcp-b', metrics: ['page_views'], dimensions: ['path'] }],
      ['recent_events', { client_id: 'mcp-b' }],
      ['run_funnel', { client_id: 'mcp-b', steps: [{ path: '/a' }, { path: '/b' }] }],
      ['list_links', { client_id: 'mcp-b' }],
      ['list_clients', {}],
    ] as const) {
      const result = await callTool(base, sk['mcp-a']!, tool, args);
      assert.equal(result.isError, true, tool);
      assert.match(textOf(result), /^forbidden: /, tool);
      assert.doesNotMatch(JSON.stringify(result), /secret-b-page|mcp-b"/, tool);
    }
  });

  it('keeps an MCP key to its allow list', async () => {
    const key = (await newKey({ name: 'only a', scopes: ['tools:read', 'tools:execute'], client_ids: ['mcp-a'] })).key;
    const own = await callTool(base, key, 'query_analytics', { client_id: 'mcp-a', metrics: ['page_views'], period: '7d' });
    assert.equal(own.isError, undefined, textOf(own));
    for (const [tool, args] of [
      ['query_analytics', { client_id: 'mcp-b', metrics: ['page_views'], dimensions: ['path'] }],
      ['recent_events', { client_id: 'mcp-b' }],
      ['list_links', { client_id: 'mcp-b' }],
    ] as const) {
      const result = await callTool(base, key, tool, args);
      assert.equal(result.isError, true, tool);
      assert.equal(textOf(result), "forbidden: This MCP key may not read client 'mcp-b'", tool);
    }
    const clients = await callTool(base, key, 'list_clients', {});
    assert.deepEqual((clients.structuredContent as { clients: { id: string }[] }).clients.map((c) => c.id), ['mcp-a']);
    // Paged one at a time (mcp-b, the newer, comes first in the full list): the allowed client
    // on the first page, and no cursor that names another client.
    const paged = await callTool(base, key, 'list_clients', { limit: 1 });
    const data = paged.structuredContent as { clients: { id: string }[]; count: number; next_cursor: string | null };
    assert.deepEqual(data.clients.map((c) => c.id), ['mcp-a']);
    assert.equal(data.count, 1);
    assert.equal(data.next_cursor, null);
    assert.doesNotMatch(JSON.stringify(paged), /mcp-b/);
  });

  it('lets a key without tools:execute list the tools but not call them, and one without tools:read call but not list', async () => {
    const reader = (await newKey({ name: 'reader', scopes: ['tools:read'] })).key;
    const result = await callTool(base, reader, 'list_clients', {});
    assert.equal(result.isError, true);
    assert.match(textOf(result), /^forbidden: .*tools:execute/);
    assert.equal(result.structuredContent, undefined);
    const executor = (await newKey({ name: 'executor', scopes: ['tools:execute'] })).key;
    const client = await mcpClient(base, executor);
    await assert.rejects(client.listTools(), /tools:read/);
    const called = (await client.callTool({ name: 'list_clients', arguments: {} })) as CallToolResult;
    assert.equal(called.isError, undefined);
    await client.close();
  });

  it('refuses an expired or revoked MCP key, an unknown key and no key with 401 and WWW-Authenticate', async () => {
    const expiring = await newKey({ name: 'short', scopes: ['tools:read', 'tools:execute'], expires_at: new Date(api.clock.now + 60_000).toISOString() });
    const revoked = await newKey({ name: 'revoked', scopes: ['tools:read', 'tools:execute'] });
    assert.equal((await callTool(base, revoked.key, 'list_clients', {})).isError, undefined);
    assert.equal((await api.request('DELETE', `/api/v1/mcp/api-keys/${revoked.id}`)).status, 200);
    const usable = await mcpClient(base, expiring.key);
    await usable.close();
    api.clock.advance(60_000);
    for (const key of [expiring.key, revoked.key, `mak_${'A'.repeat(32)}`, 'sk_00000000000000000000000000000000', 'wrong']) {
      await assert.rejects(mcpClient(base, key), /401|Unauthorized/, key);
      const res = await rawPost(base, INITIALIZE, { authorization: `Bearer ${key}` });
      assert.equal(res.status, 401, key);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
      const body = (await res.json()) as { jsonrpc: string; error: { code: number; message: string }; id: null };
      assert.equal(body.jsonrpc, '2.0');
      assert.match(body.error.message, /^Unauthorized/);
    }
    const anonymous = await rawPost(base, INITIALIZE);
    assert.equal(anonymous.status, 401);
  });

  it('answers GET and DELETE with 405, and bounds the body', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(new URL('/mcp', base), { method, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'POST');
      assert.equal(((await res.json()) as { jsonrpc: string }).jsonrpc, '2.0');
    }
    const big = await rawPost(base, { ...INITIALIZE, padding: 'x'.repeat(70_000) }, { authorization: `Bearer ${ADMIN_KEY}` });
    assert.equal(big.status, 413);
    assert.match(((await big.json()) as { error: { message: string } }).error.message, /^payload_too_large: The body is larger than the limit of 64 KiB/);
    const empty = await rawPost(base, '', { authorization: `Bearer ${ADMIN_KEY}` });
    assert.equal(empty.status, 400);
    assert.match(((await empty.json()) as { error: { message: string } }).error.message, /^invalid_json: /);
    const text = await rawPost(base, JSON.stringify(INITIALIZE), { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    const broken = await rawPost(base, '{"jsonrpc":', { authorization: `Bearer ${ADMIN_KEY}` });
    assert.equal(broken.status, 400);
    assert.match(((await broken.json()) as { error: { message: string } }).error.message, /^invalid_json: /);
  });
});

describe('MCP rate limit', () => {
  let api: TestApi;
  let base: string;
  before(async () => {
    api = await startApi(sqlite, { mcp: { rateLimit: { perSecond: 1, burst: 3 } } });
    base = await listen(api);
  });
  after(() => api.close());

  it('answers 429 with Retry-After once a key has used its burst, per key', async () => {
    const headers = { authorization: `Bearer ${ADMIN_KEY}` };
    for (let i = 0; i < 3; i += 1) assert.equal((await rawPost(base, INITIALIZE, headers)).status, 200, `request ${i + 1}`);
    const refused = await rawPost(base, INITIALIZE, headers);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal(((await refused.json()) as { jsonrpc: string }).jsonrpc, '2.0');
    // Another key has its own bucket; the test clock does not move, so the first stays empty.
    const res = await api.request<Envelope<McpKeyWithSecretView>>('POST', '/api/v1/mcp/api-keys', { body: { name: 'other', scopes: ['tools:read'] } });
    assert.equal((await rawPost(base, INITIALIZE, { authorization: `Bearer ${res.body.data.key}` })).status, 200);
    assert.equal((await rawPost(base, INITIALIZE, headers)).status, 429);
    api.clock.advance(1000);
    assert.equal((await rawPost(base, INITIALIZE, headers)).status, 200);
  });
});

describe('MCP logging', () => {
  let api: TestApi;
  let base: string;
  let log = '';
  before(async () => {
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString('utf8');
        done();
      },
    });
    // trace: the most the app ever writes.
    api = await startApi(sqlite, { logLevel: 'trace', logStream });
    base = await listen(api);
  });
  after(() => api.close());

  it('logs every tool call with key id, tool, client, outcome and time, and never a key', async () => {
    const sk = (await api.request('POST', '/api/v1/clients', { body: { id: 'log-a', name: 'Log A' } })).body.data.secret_key as string;
    await api.request('POST', '/api/v1/clients', { body: { id: 'log-b', name: 'Log B' } });
    const created = (
      await api.request<Envelope<McpKeyWithSecretView>>('POST', '/api/v1/mcp/api-keys', { body: { name: 'assistant', scopes: ['tools:read', 'tools:execute'], client_ids: ['log-a'] } })
    ).body.data;
    const skId = (await api.store.findKeyByHash(sha256Hex(sk)))?.id;
    const calls = [
      { key: ADMIN_KEY, kind: 'admin', keyId: 'admin', tool: 'list_clients', args: {}, client: null, outcome: 'ok' },
      { key: sk, kind: 'secret', keyId: skId, tool: 'recent_events', args: { client_id: 'log-a' }, client: 'log-a', outcome: 'ok' },
      { key: sk, kind: 'secret', keyId: skId, tool: 'recent_events', args: { client_id: 'log-b' }, client: 'log-b', outcome: 'refused' },
      { key: created.key, kind: 'gateway', keyId: created.id, tool: 'query_analytics', args: { client_id: 'log-a', metrics: ['page_views'] }, client: 'log-a', outcome: 'ok' },
      { key: created.key, kind: 'gateway', keyId: created.id, tool: 'query_analytics', args: { client_id: 'log-a', metrics: ['nope'] }, client: 'log-a', outcome: 'invalid' },
    ];
    for (const call of calls) await callTool(base, call.key, call.tool, call.args);
    // A refused key makes no tool call, and is not written either.
    const wrong = `mak_${'Z'.repeat(32)}`;
    assert.equal((await rawPost(base, INITIALIZE, { authorization: `Bearer ${wrong}` })).status, 401);

    assert.match(log, /"msg":"incoming request"/, 'the capture sees the app’s log');
    for (const secret of [ADMIN_KEY, sk, created.key, wrong, created.key.slice(4), sk.slice(3)]) assert.ok(!log.includes(secret), 'a key reached the log');
    const lines = log
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; level: number; mcp?: Record<string, unknown> })
      .filter((line) => line.msg === 'mcp tool call');
    assert.deepEqual(
      lines.map((line) => {
        const { ms, ...rest } = line.mcp as { ms: number };
        assert.equal(typeof ms, 'number');
        return { level: line.level, ...rest };
      }),
      calls.map((call) => ({ level: 30, key_id: call.keyId, key_kind: call.kind, tool: call.tool, client_id: call.client, outcome: call.outcome })),
    );
  });
});
