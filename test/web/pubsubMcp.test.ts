import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientConfig, mcpUrl } from '../../web/src/mcp/mcpApi.js';
import { lagText, pullCommands, subscriptionBody } from '../../web/src/pubsub/pubsubApi.js';
import { listOf } from '../../web/src/ui/listOf.js';

/** The pure parts of the dashboard's Pub/Sub and MCP pages: what the forms send and what the pages show to copy. */

const empty = { name: '', type: 'pull' as const, push_endpoint: '', ack_deadline_seconds: '', max_delivery_attempts: '', client_ids: '', events: '' };

describe('Pub/Sub page', () => {
  it('sends only what is filled in, so the API’s defaults apply to the rest', () => {
    assert.deepEqual(subscriptionBody({ ...empty, name: ' export ', push_endpoint: 'https://ignored.example' }), { name: 'export', type: 'pull' });
    assert.deepEqual(
      subscriptionBody({ ...empty, name: 'hook', type: 'push', push_endpoint: ' https://h.example/in ', ack_deadline_seconds: '30', max_delivery_attempts: '2', client_ids: 'shop, blog,shop,', events: '' }),
      { name: 'hook', type: 'push', push_endpoint: 'https://h.example/in', ack_deadline_seconds: 30, max_delivery_attempts: 2, filter: { client_ids: ['shop', 'blog'] } },
    );
    assert.deepEqual(subscriptionBody({ ...empty, name: 'x', events: '$pageview\nsignup' }).filter, { events: ['$pageview', 'signup'] });
  });

  it('splits a list field on commas and lines, without blanks and repeats', () => {
    assert.deepEqual(listOf(' a, b\n,a ,, c '), ['a', 'b', 'c']);
    assert.deepEqual(listOf('  '), []);
  });

  it('writes the lag in the unit a person reads', () => {
    assert.equal(lagText(null), '—');
    assert.equal(lagText(4.4), '4 s');
    assert.equal(lagText(125), '2 min');
    assert.equal(lagText(7200), '2 h');
    assert.equal(lagText(7500), '2 h 5 min');
  });

  it('gives curl lines with a placeholder for the admin key, never the key', () => {
    const commands = pullCommands('https://mythic.example', 'sub_abc');
    assert.equal(
      commands.pull,
      `curl -s -X POST "https://mythic.example/api/v1/admin/pubsub/subscriptions/sub_abc/pull" -H "Authorization: Bearer $MYTHIC_ADMIN_KEY" -H 'content-type: application/json' -d '{"max_messages":10}'`,
    );
    assert.ok(commands.acknowledge.endsWith(`/sub_abc/acknowledge" -H "Authorization: Bearer $MYTHIC_ADMIN_KEY" -H 'content-type: application/json' -d '{"ack_ids":["<ack_id>"]}'`));
  });
});

describe('MCP page', () => {
  it('builds the client configuration of the issue, with the key or a placeholder', () => {
    assert.equal(mcpUrl('https://mythic.example'), 'https://mythic.example/mcp');
    assert.deepEqual(JSON.parse(clientConfig('https://mythic.example', 'mak_x')), {
      mcpServers: { mythic: { type: 'http', url: 'https://mythic.example/mcp', headers: { Authorization: 'Bearer mak_x' } } },
    });
    assert.match(clientConfig('http://127.0.0.1:8080', null), /"Authorization": "Bearer <your mak_ key>"/);
  });
});
