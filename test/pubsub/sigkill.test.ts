// Pub/Sub across a SIGKILL of a real `mythic serve` (SQLite + DuckDB): messages pulled and
// acknowledged never come back, messages pulled and not acknowledged and messages never pulled
// all do, and events ingestion acknowledged just before the kill (still in the journal) are not
// skipped by the subscription's cursor.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ReceivedMessageView } from '../../src/pubsub/schemas.js';
import { startServer, stopAllServers, type CliOptions, type RunningServer } from '../helpers/server.js';
import { callServer, createServerClient, type ServerClient } from '../helpers/serverCalls.js';

const ADMIN_KEY = 'mk_pubsub_kill_0123456789abcdef0123456789';
const BASE = '/api/v1/admin/pubsub/subscriptions';

async function ingest(server: RunningServer, client: ServerClient, names: string[]): Promise<string[]> {
  const batch = names.map((event) => ({ event, distinct_id: 'kill-visitor', uuid: randomUUID() }));
  const res = await fetch(`${server.baseUrl}/batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${client.sk}`, 'content-type': 'application/json' },
    body: JSON.stringify({ batch }),
  });
  assert.equal(res.status, 200, await res.text());
  return batch.map((event) => `${client.id}:${event.uuid}`);
}

async function pull(server: RunningServer, id: string, max: number): Promise<ReceivedMessageView[]> {
  const res = await callServer<{ received_messages: ReceivedMessageView[] }>(server, 'POST', `${BASE}/${id}/pull`, ADMIN_KEY, { max_messages: max });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data.received_messages;
}

async function ack(server: RunningServer, id: string, ackIds: string[]): Promise<number> {
  const res = await callServer<{ acknowledged: number }>(server, 'POST', `${BASE}/${id}/acknowledge`, ADMIN_KEY, { ack_ids: ackIds });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data.acknowledged;
}

/** Waits until `count` messages wait for the subscription (events reach the engine within the writer's linger). */
async function waitForBacklog(server: RunningServer, id: string, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await callServer<{ backlog: { messages: number } }>(server, 'GET', `${BASE}/${id}`, ADMIN_KEY);
    if (res.body.data.backlog.messages >= count || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Pub/Sub across a SIGKILL of the server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-pubsub-kill-'));
  after(async () => {
    await stopAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('after kill -9 and a restart: no acknowledged message comes back, every other one does, no acknowledged event is skipped', async () => {
    const options: CliOptions = { dataDir, adminKey: ADMIN_KEY, env: { MYTHIC_RATE_LIMIT_PER_IP: '0', MYTHIC_RATE_LIMIT_PER_KEY: '0' } };
    let server = await startServer(options);
    const client = await createServerClient(server, ADMIN_KEY, 'kill-client');
    const created = await callServer<{ id: string }>(server, 'POST', BASE, ADMIN_KEY, { name: 'kill-test', type: 'pull' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const sub = created.body.data.id;

    const first = await ingest(server, client, Array.from({ length: 40 }, (_, i) => `e${i}`));
    // One client's messages are leased in order, to one holder at a time: one pull takes them.
    await waitForBacklog(server, sub, first.length);
    const pulled = await pull(server, sub, 25);
    assert.equal(pulled.length, 25);
    assert.deepEqual(pulled.map((m) => m.message_id), first.slice(0, 25), 'in order');
    const acked = pulled.slice(0, 15);
    const held = pulled.slice(15);
    assert.equal(await ack(server, sub, acked.map((m) => m.ack_id)), 15);
    // Acknowledged by ingestion, then the process dies at once: these may still be only in the journal.
    const late = await ingest(server, client, Array.from({ length: 10 }, (_, i) => `late${i}`));
    server.kill('SIGKILL');
    const exit = await server.waitForExit();
    assert.equal(exit.signal, 'SIGKILL');

    server = await startServer(options);
    // The held messages are still leased until their deadline (60 s); the puller that held them gives them back.
    const back = await callServer<{ modified: number }>(server, 'POST', `${BASE}/${sub}/modify-ack-deadline`, ADMIN_KEY, {
      ack_ids: held.map((m) => m.ack_id),
      ack_deadline_seconds: 0,
    });
    assert.equal(back.body.data.modified, held.length, 'the leases survived the kill');
    const expected = [...first.slice(15), ...late];
    const received: ReceivedMessageView[] = [];
    const deadline = Date.now() + 15_000;
    while (received.length < expected.length && Date.now() < deadline) {
      const batch = await pull(server, sub, 100);
      received.push(...batch);
      if (batch.length > 0) await ack(server, sub, batch.map((m) => m.ack_id));
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const ids = received.map((m) => m.message_id);
    const ackedIds = new Set(acked.map((m) => m.message_id));
    assert.deepEqual(ids.filter((id) => ackedIds.has(id)), [], 'no acknowledged message came back');
    assert.deepEqual(ids, expected, 'every other message, once, in order');
    for (const message of received.slice(0, held.length)) assert.equal(message.delivery_attempt, 2, 'a held message is a redelivery');
    assert.deepEqual(await pull(server, sub, 100), []);
  });
});
