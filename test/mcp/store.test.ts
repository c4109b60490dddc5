import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { McpKeyRow } from '../../src/mcp/mcpKeyRows.js';
import { UniqueViolation } from '../../src/store/metaStore.js';
import { describeEachStore, storeOfSuite } from '../helpers/stores.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

const key = (id: string, extra: Partial<McpKeyRow> = {}): McpKeyRow => ({
  id,
  name: `key ${id}`,
  key_hash: `hash-${id}`,
  key_last4: 'ab12',
  scopes: ['tools:read', 'tools:execute'],
  client_ids: null,
  expires_at: null,
  revoked_at: null,
  last_used_at: null,
  created_at: T0,
  ...extra,
});

describeEachStore('MCP key store', (kind) => {
  const suite = storeOfSuite(kind);

  it('keeps keys: insert, read back every field, list newest first with paging, find by hash', async () => {
    const a = key('mck_a', { scopes: ['tools:read'], client_ids: ['c-1', 'c-2'], expires_at: T0 + 86_400_000 });
    const b = key('mck_b', { created_at: T0 + 1 });
    const c = key('mck_c', { created_at: T0 + 1 });
    for (const row of [a, b, c]) await suite.store.insertMcpKey(row);
    assert.deepEqual(await suite.store.getMcpKey('mck_a'), a);
    assert.equal(await suite.store.getMcpKey('mck_none'), null);
    const first = await suite.store.listMcpKeys({ limit: 2 });
    assert.equal(first.total, 3);
    assert.deepEqual(first.rows.map((r) => r.id), ['mck_c', 'mck_b']);
    const next = await suite.store.listMcpKeys({ limit: 2, after: { created_at: T0 + 1, id: 'mck_b' } });
    assert.deepEqual(next.rows, [a]);
    assert.deepEqual(await suite.store.findMcpKeyByHash('hash-mck_b'), b);
    assert.equal(await suite.store.findMcpKeyByHash('hash-none'), null);
    await assert.rejects(suite.store.insertMcpKey(key('mck_d', { key_hash: 'hash-mck_a' })), (error) => error instanceof UniqueViolation && error.field === 'key');
    await assert.rejects(suite.store.insertMcpKey(key('mck_a', { key_hash: 'hash-other' })), (error) => error instanceof UniqueViolation && error.field === 'id');
  });

  it('revokes once (the first instant stays) and records use', async () => {
    await suite.store.insertMcpKey(key('mck_r'));
    assert.equal((await suite.store.revokeMcpKey('mck_r', T0 + 10))?.revoked_at, T0 + 10);
    assert.equal((await suite.store.revokeMcpKey('mck_r', T0 + 20))?.revoked_at, T0 + 10);
    assert.equal(await suite.store.revokeMcpKey('mck_none', T0), null);
    await suite.store.touchMcpKey('mck_r', T0 + 30);
    assert.equal((await suite.store.getMcpKey('mck_r'))?.last_used_at, T0 + 30);
  });
});
