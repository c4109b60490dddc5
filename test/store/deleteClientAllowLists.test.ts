// A hard-deleted client leaves every allow list that named it (MCP keys, subscription filters), in
// the same transaction: a client created later with the same id is another tenant. An emptied list
// stays an empty list (no client), never null (every client).
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { McpKeyRow } from '../../src/mcp/mcpKeyRows.js';
import { PUBSUB_TOPIC, type SubscriptionRow } from '../../src/pubsub/pubsubRows.js';
import { clientFields } from '../helpers/rows.js';
import { describeEachStore, storeOfSuite } from '../helpers/stores.js';

const T0 = 1_800_000_000_000;

const key = (id: string, clientIds: string[] | null): McpKeyRow => ({
  id, name: id, key_hash: `hash-${id}`, key_last4: 'ab12', scopes: ['tools:read'], client_ids: clientIds,
  expires_at: null, revoked_at: null, last_used_at: null, created_at: T0,
});

const subscription = (id: string, filter: SubscriptionRow['filter']): SubscriptionRow => ({
  id, name: id, name_key: id, topic: PUBSUB_TOPIC, type: 'pull', push_endpoint: null, push_secret_sealed: null,
  ack_deadline_seconds: 60, max_delivery_attempts: 5, filter, state: 'active', cursor_seq: 0, dropped_messages: 0,
  push_next_attempt_at: null, push_failures: 0, push_last_status: null, push_last_error: null, push_last_attempt_at: null,
  lease_owner: null, lease_until: null, created_at: T0, updated_at: T0,
});

describeEachStore('deleting a client clears it from allow lists', (kind) => {
  const suite = storeOfSuite(kind);
  before(async () => {
    for (const id of ['keep', 'gone', 'gone-2']) await suite.store.insertClient(clientFields(id), []);
  });

  it('removes the id from MCP keys and subscription filters; an emptied list stays empty, others untouched', async () => {
    await suite.store.insertMcpKey(key('mck_both', ['keep', 'gone']));
    await suite.store.insertMcpKey(key('mck_only', ['gone']));
    await suite.store.insertMcpKey(key('mck_all', null));
    await suite.store.insertMcpKey(key('mck_prefix', ['gone-2']));
    await suite.store.insertSubscription(subscription('sub_both', { client_ids: ['gone', 'keep'], events: ['signup'] }));
    await suite.store.insertSubscription(subscription('sub_only', { client_ids: ['gone'], events: null }));
    await suite.store.insertSubscription(subscription('sub_all', { client_ids: null, events: ['signup'] }));
    await suite.store.insertSubscription(subscription('sub_prefix', { client_ids: ['gone-2'], events: null }));

    assert.equal(await suite.store.deleteClient('gone'), true);

    assert.deepEqual((await suite.store.getMcpKey('mck_both'))?.client_ids, ['keep']);
    assert.deepEqual((await suite.store.getMcpKey('mck_only'))?.client_ids, [], 'no client, not every client');
    assert.equal((await suite.store.getMcpKey('mck_all'))?.client_ids, null);
    assert.deepEqual((await suite.store.getMcpKey('mck_prefix'))?.client_ids, ['gone-2']);
    assert.deepEqual((await suite.store.getSubscription('sub_both'))?.filter, { client_ids: ['keep'], events: ['signup'] });
    assert.deepEqual((await suite.store.getSubscription('sub_only'))?.filter, { client_ids: [], events: null });
    assert.deepEqual((await suite.store.getSubscription('sub_all'))?.filter, { client_ids: null, events: ['signup'] });
    assert.deepEqual((await suite.store.getSubscription('sub_prefix'))?.filter, { client_ids: ['gone-2'], events: null });
    // The same id created again is not let back in.
    await suite.store.insertClient(clientFields('gone'), []);
    assert.deepEqual((await suite.store.getMcpKey('mck_only'))?.client_ids, []);
    assert.deepEqual((await suite.store.getSubscription('sub_only'))?.filter.client_ids, []);
    assert.equal(await suite.store.deleteClient('nobody'), false);
  });
});
