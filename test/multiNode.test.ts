/**
 * Several nodes, as issue 12 asks them checked: two `mythic serve` processes sharing one PostgreSQL
 * MetaStore and one ClickHouse (real ClickHouse: chDB served over ClickHouse's HTTP interface by
 * the fixture process, since chDB takes one data dir per process), each with its own data dir and
 * journal. Events go to both, some with the same uuid to both; one node is SIGKILLed while a
 * request is in flight and restarted. Read through the other node, every acknowledged event is
 * counted exactly once, in reports and in the live view; a hard delete through one node leaves
 * nothing on either, nor in ClickHouse. Both nodes pull one Pub/Sub subscription at once: no message
 * is held by both inside a lease, and every event is delivered.
 */

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { CLICKHOUSE_SKIP_REASON } from './helpers/clickhouseEngine.js';
import { spawnClickhouseHttp, type ClickhouseHttpProcess } from './helpers/clickhouseHttp.js';
import { startServer, stopAllServers, type CliOptions, type RunningServer } from './helpers/server.js';
import type { ReceivedMessageView } from '../src/pubsub/schemas.js';
import { callServer, createServerClient, type ServerClient } from './helpers/serverCalls.js';
import { freshPostgresSchema, POSTGRES_SKIP_REASON, POSTGRES_URL } from './helpers/stores.js';

const ADMIN_KEY = 'mk_multi_node_0123456789abcdef0123456789ab';
const CH_USER = 'mythic';
const CH_PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
/** Batches each node is sent, events per batch (the last of each is also sent to the other node). */
const BATCHES = 40;
const PER_BATCH = 25;
/** Node b is killed after acknowledging this many batches, with the next one in flight. */
const KILL_AFTER = 15;

/** Pub/Sub: clients, batches each node is sent per client, events per batch. */
const PUBSUB_CLIENTS = 3;
const PUBSUB_BATCHES_PER_NODE = 3;
const PUBSUB_PER_BATCH = 15;
const PUBSUB = '/api/v1/admin/pubsub/subscriptions';

const skip = POSTGRES_URL === undefined ? POSTGRES_SKIP_REASON : (CLICKHOUSE_SKIP_REASON ?? false);

interface LiveEvent {
  uuid: string;
  seq: number;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('two nodes sharing PostgreSQL and ClickHouse', { skip }, () => {
  const dirs: string[] = [];
  let fixture: ClickhouseHttpProcess;
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let database: string;
  let options: { a: CliOptions; b: CliOptions };
  let a: RunningServer;
  let b: RunningServer;

  const newDir = (prefix: string): string => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };

  before(async () => {
    fixture = await spawnClickhouseHttp({ dataDir: newDir('mythic-multi-ch-'), user: CH_USER, password: CH_PASSWORD });
    schema = await freshPostgresSchema(POSTGRES_URL as string);
    database = `multi_${randomBytes(6).toString('hex')}`;
    const url = new URL(fixture.baseUrl);
    url.username = CH_USER;
    url.password = CH_PASSWORD;
    url.pathname = `/${database}`;
    const node = (name: string): CliOptions => ({
      dataDir: newDir(`mythic-multi-${name}-`),
      adminKey: ADMIN_KEY,
      databaseUrl: schema.url,
      logLevel: 'info',
      // Limits are per node and not under test: the stream comes from one address.
      // Pub/Sub's settle window short: both nodes are on this machine, and the pull test waits it out.
      env: { MYTHIC_CLICKHOUSE_URL: url.toString(), MYTHIC_RATE_LIMIT_PER_IP: '0', MYTHIC_RATE_LIMIT_PER_KEY: '0', MYTHIC_PUBSUB_SETTLE_MS: '500' },
    });
    options = { a: node('a'), b: node('b') };
    // Both at once: migrations of both stores must be safe from several nodes.
    [a, b] = await Promise.all([startServer(options.a), startServer(options.b)]);
  });

  after(async () => {
    await stopAllServers();
    await fixture?.stop();
    await schema?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** Every event of the client as the live view pages them through `server`, oldest page first. */
  const liveView = async (server: RunningServer, clientId: string): Promise<LiveEvent[]> => {
    const all: LiveEvent[] = [];
    for (let after = 0; ; ) {
      const res = await callServer<LiveEvent[]>(server, 'GET', `/api/v1/clients/${clientId}/events?limit=500&after_seq=${after}`, ADMIN_KEY);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      all.push(...res.body.data);
      if (res.body.data.length < 500) return all;
      after = Math.max(...res.body.data.map((event) => event.seq));
    }
  };
  const eventsReported = async (server: RunningServer, clientId: string): Promise<number> => {
    const res = await callServer<{ rows: number[][] }>(server, 'POST', '/api/v1/query', ADMIN_KEY, {
      client_id: clientId,
      metric: 'events',
      period: '24h',
      filters: { include_bots: true },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data.rows[0]?.[0] ?? 0;
  };

  it('counts every acknowledged event exactly once, read through the node that stayed up, though the other died mid-stream', async (t) => {
    const started = Date.now();
    const client = await createServerClient(a, ADMIN_KEY, 'multi-node');
    const sent = new Set<string>();
    const acked = new Set<string>();
    let cutRequests = 0;
    const at = Date.now() - 60_000;
    const batchFor = (node: string, k: number): Array<Record<string, unknown> & { uuid: string }> => {
      const events: Array<Record<string, unknown> & { uuid: string }> = Array.from({ length: PER_BATCH - 1 }, (_, i) => ({
        event: '$pageview',
        uuid: randomUUID(),
        distinct_id: `visitor-${node}-${i % 7}`,
        timestamp: new Date(at + k * 100 + i).toISOString(),
        properties: { $current_url: `https://multi.test/${node}/${k}/${i}` },
      }));
      // The same event, uuid and all, sent to both nodes: a retry that reached another node.
      events.push({ event: 'retried', uuid: `shared-${k}`, distinct_id: 'visitor-shared', timestamp: new Date(at + k * 100).toISOString(), properties: { $current_url: 'https://multi.test/shared' } });
      return events;
    };
    const post = async (server: RunningServer, batch: Array<{ uuid: string }>): Promise<void> => {
      for (const event of batch) sent.add(event.uuid);
      try {
        const response = await fetch(`${server.baseUrl}/batch`, {
          method: 'POST',
          headers: { authorization: `Bearer ${client.sk}`, 'content-type': 'application/json' },
          body: JSON.stringify({ batch }),
        });
        if (response.status === 200) for (const event of batch) acked.add(event.uuid);
        else assert.fail(`${response.status} ${await response.text()}`);
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        // The connection was cut by the kill: not acknowledged, so it may or may not be stored.
        cutRequests += 1;
      }
    };

    let streamAMs = 0;
    let restartMs = 0;
    let onlyInJournal = 0;
    let killedOutput = '';
    const streamA = async () => {
      for (let k = 0; k < BATCHES; k += 1) await post(a, batchFor('a', k));
      streamAMs = Date.now() - started;
    };
    const streamB = async () => {
      const beforeKill: string[] = [];
      for (let k = 0; k < KILL_AFTER; k += 1) {
        const batch = batchFor('b', k);
        await post(b, batch);
        beforeKill.push(...batch.map((event) => event.uuid).filter((uuid) => !uuid.startsWith('shared-')));
      }
      const inFlight = post(b, batchFor('b', KILL_AFTER));
      await delay(2);
      b.kill('SIGKILL');
      const exit = await b.waitForExit();
      assert.equal(exit.signal, 'SIGKILL');
      killedOutput = exit.stdout + exit.stderr;
      await inFlight;
      // What b acknowledged but had not yet moved from its journal into ClickHouse when it died.
      const seen = new Set((await liveView(a, client.id)).map((event) => event.uuid));
      onlyInJournal = beforeKill.filter((uuid) => !seen.has(uuid)).length;
      // Restarted on its own data dir: the journal's acknowledged events are applied first.
      const restarting = Date.now();
      b = await startServer(options.b);
      restartMs = Date.now() - restarting;
      for (let k = KILL_AFTER + 1; k < BATCHES; k += 1) await post(b, batchFor('b', k));
    };
    await Promise.all([streamA(), streamB()]);
    const streamed = Date.now();

    // Node b applies its journal within about a second of acknowledging: wait for every acknowledged event.
    let live: LiveEvent[] = [];
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await delay(200)) {
      live = await liveView(a, client.id);
      const seen = new Set(live.map((event) => event.uuid));
      if ([...acked].every((uuid) => seen.has(uuid))) break;
    }
    const uuids = live.map((event) => event.uuid);
    const distinct = new Set(uuids);
    const missing = [...acked].filter((uuid) => !distinct.has(uuid));
    assert.deepEqual(missing, [], 'every acknowledged event is in the live view');
    assert.equal(uuids.length, distinct.size, 'no event twice in the live view, shared uuids included');
    assert.deepEqual([...distinct].filter((uuid) => !sent.has(uuid)), [], 'nothing that was not sent');
    assert.ok(acked.has('shared-0') && distinct.has('shared-0'));
    // Reports through either node count each stored event once: the same number as the live view.
    assert.equal(await eventsReported(a, client.id), distinct.size, 'report through node a');
    assert.equal(await eventsReported(b, client.id), distinct.size, 'report through the restarted node b');
    for (const output of [a.stdout() + a.stderr(), b.stdout() + b.stderr(), killedOutput]) {
      assert.match(output, /events: clickhouse at http:\/\/127\.0\.0\.1:\d+ as mythic/, 'the start-up line names the engine');
      assert.ok(!output.includes(CH_PASSWORD), 'the ClickHouse password is in no start-up line or log');
    }
    t.diagnostic(
      `sent ${sent.size} distinct events (${BATCHES} shared by both nodes) in ${2 * BATCHES} requests; ` +
        `acknowledged ${acked.size}; cut by the kill ${cutRequests} request(s); stored ${distinct.size} ` +
        `(${distinct.size - acked.size} unacknowledged but journaled); ${onlyInJournal} acknowledged events were only in b's journal when it died; ` +
        `node a's ${BATCHES} requests took ${streamAMs} ms, b's restart ${restartMs} ms; streamed in ${streamed - started} ms, ` +
        `all visible through node a ${Date.now() - streamed} ms later`,
    );
  });

  it('a hard delete through one node leaves nothing on either node, nor in ClickHouse', async () => {
    const client = await createServerClient(a, ADMIN_KEY, 'erased-everywhere');
    const batch = (n: number) => ({ batch: Array.from({ length: n }, (_, i) => ({ event: '$pageview', distinct_id: `v${i}`, properties: { $current_url: `https://erased.test/${i}` } })) });
    for (const server of [a, b]) {
      const res = await callServer(server, 'POST', '/batch', client.sk, batch(30));
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    for (const deadline = Date.now() + 30_000; (await liveView(a, client.id)).length < 60 && Date.now() < deadline; ) await delay(200);
    assert.equal(await eventsReported(a, client.id), 60);

    const removed = await callServer(b, 'DELETE', `/api/v1/clients/${client.id}?hard=true`, ADMIN_KEY);
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    const clickhouse = createClient({ url: fixture.baseUrl, username: CH_USER, password: CH_PASSWORD, log: { level: ClickHouseLogLevel.OFF } });
    try {
      for (const table of ['events', 'identities']) {
        const rows = await (await clickhouse.query({ query: `SELECT count() AS n FROM ${database}.${table} WHERE client_id = {id:String}`, query_params: { id: client.id }, format: 'JSONEachRow' })).json<{ n: number | string }>();
        assert.equal(Number(rows[0]?.n), 0, `nothing of the client left in ClickHouse's ${table}`);
      }
    } finally {
      await clickhouse.close();
    }
    // Created again with the same id through the other node: a new life, with none of the old events.
    await createServerClient(a, ADMIN_KEY, 'erased-everywhere');
    for (const server of [a, b]) {
      assert.equal(await eventsReported(server, client.id), 0);
      assert.deepEqual(await liveView(server, client.id), []);
    }
  });

  // Pub/Sub: one subscription pulled through both nodes while events arrive through both.
  it('no message is held by both pullers inside a lease; every event is delivered once, in order per client', async (t) => {
        const clients: ServerClient[] = [];
    for (let i = 0; i < PUBSUB_CLIENTS; i++) clients.push(await createServerClient(a, ADMIN_KEY, `nodes-${i}`));
    const created = await callServer<{ id: string }>(a, 'POST', PUBSUB, ADMIN_KEY, { name: 'two-nodes', type: 'pull', ack_deadline_seconds: 60 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const sub = created.body.data.id;

    // Events through both nodes. The order of a client's events is their commit order (seq), which
    // two nodes' writers decide: the check is that each client's messages come in seq order.
    const expected = new Map<string, string[]>();
    const send = async (server: RunningServer, client: ServerClient, k: number): Promise<void> => {
      const batch = Array.from({ length: PUBSUB_PER_BATCH }, (_, i) => ({ event: `e${k}-${i}`, distinct_id: 'v', uuid: randomUUID() }));
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
    const total = PUBSUB_CLIENTS * PUBSUB_BATCHES_PER_NODE * 2 * PUBSUB_PER_BATCH;
    const sending = (async () => {
      for (let k = 0; k < PUBSUB_BATCHES_PER_NODE * 2; k++) {
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
        const res = await callServer<{ received_messages: ReceivedMessageView[] }>(server, 'POST', `${PUBSUB}/${sub}/pull`, ADMIN_KEY, { max_messages: 25 });
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
        const acked = await callServer<{ acknowledged: number }>(server, 'POST', `${PUBSUB}/${sub}/acknowledge`, ADMIN_KEY, { ack_ids: messages.map((m) => m.ack_id) });
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
