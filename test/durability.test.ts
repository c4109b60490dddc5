import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDbEventStore } from '../src/engines/duckdb/duckdbEventStore.js';
import { DUCKDB_FILE } from '../src/engines/openEventStore.js';
import { assertCleanExit, startServer, stopAllServers, type RunningServer } from './helpers/server.js';

const ADMIN_KEY = 'durability-admin-key-0123456789abcdef';
const SENDERS = 12;
const EVENTS_PER_REQUEST = 25;
/** Acknowledgements to collect before the crash: enough that commits are in flight when it comes. */
const ACKS_BEFORE_KILL = 150;

interface Sent {
  acknowledged: Set<string>;
  /** Requests that got an answer other than 2xx, or none (cut by the crash). */
  unanswered: number;
}

/**
 * Sends batches from several concurrent senders until `stop()`; records the uuids of every batch
 * answered 2xx. Nothing else counts as acknowledged, whatever reached the server.
 */
function sendUntilStopped(server: RunningServer, secretKey: string): { sent: Promise<Sent>; acks: () => number; stop: () => void } {
  const acknowledged = new Set<string>();
  let unanswered = 0;
  let stopped = false;
  const sender = async (id: number): Promise<void> => {
    for (let round = 0; !stopped; round++) {
      const batch = Array.from({ length: EVENTS_PER_REQUEST }, (_, i) => ({
        event: 'load_test',
        distinct_id: `sender-${id}`,
        uuid: randomUUID(),
        properties: { round, i },
      }));
      try {
        const res = await fetch(`${server.baseUrl}/ingest`, {
          method: 'POST',
          headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ batch }),
        });
        await res.arrayBuffer();
        if (res.ok) for (const e of batch) acknowledged.add(e.uuid);
        else unanswered++;
      } catch {
        unanswered++;
        return; // the server is gone
      }
    }
  };
  const sent = Promise.all(Array.from({ length: SENDERS }, (_, id) => sender(id))).then(() => ({ acknowledged, unanswered }));
  return { sent, acks: () => acknowledged.size / EVENTS_PER_REQUEST, stop: () => (stopped = true) };
}

describe('durability: events acknowledged before a SIGKILL survive it', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-durability-'));
  after(async () => {
    await stopAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds every acknowledged event after the server is killed mid-stream and restarted', async () => {
    let server = await startServer({ dataDir, adminKey: ADMIN_KEY });
    const created = await fetch(`${server.baseUrl}/api/v1/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'durable', name: 'Durable' }),
    });
    assert.equal(created.status, 201);
    const { secret_key: secretKey } = ((await created.json()) as { data: { secret_key: string } }).data;

    const load = sendUntilStopped(server, secretKey);
    const deadline = Date.now() + 60_000;
    while (load.acks() < ACKS_BEFORE_KILL && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(load.acks() >= ACKS_BEFORE_KILL, `only ${load.acks()} batches were acknowledged in 60 s`);
    // Killed while the senders are still going: some requests are mid-commit, some mid-flight.
    server.kill('SIGKILL');
    const exit = await server.waitForExit();
    load.stop();
    const { acknowledged, unanswered } = await load.sent;
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(!exit.stdout.includes('Received'), 'no graceful shutdown happened');
    assert.ok(unanswered > 0, 'the crash cut requests in flight');

    // The restarted server recovers the store and serves it.
    server = await startServer({ dataDir, adminKey: ADMIN_KEY });
    const recent = await fetch(`${server.baseUrl}/api/v1/clients/durable/events?limit=5`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(recent.status, 200);
    server.kill('SIGTERM');
    assertCleanExit(await server.waitForExit());

    // Every acknowledged uuid is in the store (read directly: there are thousands).
    const store = await DuckDbEventStore.open(join(dataDir, DUCKDB_FILE));
    try {
      const stored = new Set((await store.recentEvents('durable', { limit: 1_000_000 })).map((e) => e.uuid));
      const lost = [...acknowledged].filter((uuid) => !stored.has(uuid));
      assert.equal(lost.length, 0, `${lost.length} of ${acknowledged.size} acknowledged events were lost`);
      process.stdout.write(`# durability: ${acknowledged.size} acknowledged events, all found among ${stored.size} stored; ${unanswered} requests cut\n`);
    } finally {
      await store.close();
    }
  });
});
