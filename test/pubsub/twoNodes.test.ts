// Two `mythic serve` processes on one PostgreSQL and one ClickHouse (chDB over ClickHouse's HTTP
// protocol, see test/multiNode.test.ts), pulling one subscription at the same time while events
// arrive through both: a message is never held by two pullers inside its lease, and every event
// is delivered.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ReceivedMessageView } from '../../src/pubsub/schemas.js';
import { CLICKHOUSE_SKIP_REASON } from '../helpers/clickhouseEngine.js';
import { spawnClickhouseHttp, type ClickhouseHttpProcess } from '../helpers/clickhouseHttp.js';
import { startServer, stopAllServers, type CliOptions, type RunningServer } from '../helpers/server.js';
import { callServer, createServerClient, type ServerClient } from '../helpers/serverCalls.js';
import { freshPostgresSchema, POSTGRES_SKIP_REASON, POSTGRES_URL } from '../helpers/stores.js';

const ADMIN_KEY = 'mk_pubsub_nodes_0123456789abcdef012345678';
const BASE = '/api/v1/admin/pubsub/subscriptions';
const CH_USER = 'mythic';
const CH_PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const CLIENTS = 3;
const BATCHES_PER_NODE = 3;
const PER_BATCH = 15;

const skip = POSTGRES_URL === undefined ? POSTGRES_SKIP_REASON : (CLICKHOUSE_SKIP_REASON ?? false);

describe('Pub/Sub: two nodes pulling one subscription', { skip }, () => {
  const dirs: string[] = [];
  let fixture: ClickhouseHttpProcess;
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let nodes: RunningServer[];

  const newDir = (prefix: string): string => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };

  before(async () => {
    fixture = await spawnClickhouseHttp({ dataDir: newDir('mythic-ps-ch-'), user: CH_USER, password: CH_PASSWORD });
    schema = await freshPostgresSchema(POSTGRES_URL as string);
    const url = new URL(fixture.baseUrl);
    url.username = CH_USER;
    url.password = CH_PASSWORD;
    url.pathname = `/ps_${randomBytes(6).toString('hex')}`;
    const node = (name: string): CliOptions => ({
      dataDir: newDir(`mythic-ps-${name}-`),
      adminKey: ADMIN_KEY,
      databaseUrl: schema.url,
      // A short settle window keeps the test short; both nodes are on this machine.
      env: { MYTHIC_CLICKHOUSE_URL: url.toString(), MYTHIC_PUBSUB_SETTLE_MS: '500', MYTHIC_RATE_LIMIT_PER_IP: '0', MYTHIC_RATE_LIMIT_PER_KEY: '0' },
    });
    nodes = await Promise.all([startServer(node('a')), startServer(node('b'))]);
  });

  after(async () => {
    await stopAllServers();
    await fixture?.stop();
    await schema?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('no message is held by both pullers inside a lease; every event is delivered once, in order per client', async (t) => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    const clients: ServerClient[] = [];
    for (let i = 0; i < CLIENTS; i++) clients.push(await createServerClient(a, ADMIN_KEY, `nodes-${i}`));
    const created = await callServer<{ id: string }>(a, 'POST', BASE, ADMIN_KEY, { name: 'two-nodes', type: 'pull', ack_deadline_seconds: 60 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const sub = created.body.data.id;

    // Events through both nodes. The order of a client's events is their commit order (seq), which
    // two nodes' writers decide: the check is that each client's messages come in seq order.
    const expected = new Map<string, string[]>();
    const send = async (server: RunningServer, client: ServerClient, k: number): Promise<void> => {
      const batch = Array.from({ length: PER_BATCH }, (_, i) => ({ event: `e${k}-${i}`, distinct_id: 'v', uuid: randomUUID() }));
      const res = await fetch(`${server.baseUrl}/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${client.sk}`, 'content-type': 'application/json' },
        body: JSON.stringify({ batch }),
      });
      assert.equal(res.status, 200, await res.text());
      const list = expected.get(client.id) ?? [];
      list.push(...batch.map((e) => `${client.id}:${e.uuid}`));
      expected.set(client.id, list);
    };
    const total = CLIENTS * BATCHES_PER_NODE * 2 * PER_BATCH;
    const sending = (async () => {
      for (let k = 0; k < BATCHES_PER_NODE * 2; k++) {
        await Promise.all(clients.map((client, i) => send((i + k) % 2 === 0 ? a : b, client, k)));
      }
    })();

    /** Every delivery: who got it and when its lease ended (its ack). */
    const held = new Map<string, { node: string; until: number }>();
    const received: Array<{ node: string; message: ReceivedMessageView }> = [];
    const overlaps: string[] = [];
    const done = new Set<string>();
    const deadline = Date.now() + 25_000;
    const puller = async (server: RunningServer, name: string): Promise<void> => {
      while (done.size < total && Date.now() < deadline) {
        const res = await callServer<{ received_messages: ReceivedMessageView[] }>(server, 'POST', `${BASE}/${sub}/pull`, ADMIN_KEY, { max_messages: 25 });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const messages = res.body.data.received_messages;
        const at = Date.now();
        for (const message of messages) {
          const other = held.get(message.message_id);
          if (other !== undefined && other.until > at) overlaps.push(`${message.message_id} held by ${other.node} and ${name}`);
          held.set(message.message_id, { node: name, until: Infinity });
          received.push({ node: name, message });
        }
        if (messages.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, 30));
          continue;
        }
        const acked = await callServer<{ acknowledged: number }>(server, 'POST', `${BASE}/${sub}/acknowledge`, ADMIN_KEY, { ack_ids: messages.map((m) => m.ack_id) });
        assert.equal(acked.body.data.acknowledged, messages.length, 'every ack id was current: nobody else took them');
        for (const message of messages) {
          held.set(message.message_id, { node: name, until: Date.now() });
          done.add(message.message_id);
        }
      }
    };
    const pullStart = Date.now();
    await Promise.all([puller(a, 'a'), puller(b, 'b'), sending]);
    t.diagnostic(`${total} messages pulled by two nodes in ${Date.now() - pullStart} ms`);

    assert.deepEqual(overlaps, []);
    assert.equal(received.length, total, 'each message delivered once');
    assert.equal(done.size, total);
    assert.ok(new Set(received.map((r) => r.node)).size === 2, 'both nodes delivered');
    for (const client of clients) {
      const got = received.filter((r) => r.message.client_id === client.id);
      assert.deepEqual(new Set(got.map((r) => r.message.message_id)), new Set(expected.get(client.id)), `${client.id}: all of them`);
      const seqs = got.map((r) => r.message.event.seq);
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), `${client.id}: in commit order`);
    }
  });
});
