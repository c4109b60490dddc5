import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import { DUCKDB_FILE } from '../../src/engines/openEventStore.js';
import type { RecentEventView } from '../../src/events/schemas.js';
import { startServer, stopAllServers, type RunningServer } from '../helpers/server.js';
import { callServer, createServerClient, type ServerClient } from '../helpers/serverCalls.js';
import { describeEachStore, freshPostgresSchema, POSTGRES_URL } from '../helpers/stores.js';

const ADMIN_KEY = 'mk_hard_delete_race_0123456789abcdef012345';
const CLIENT_ID = 'reborn';
const SENDERS = 8;
const ROUNDS = 5;
/** Acknowledged requests of a life before it is erased: enough that requests are in flight then. */
const ACKS_PER_LIFE = 60;

/**
 * B1: requests authenticated (from the key cache) just before a hard delete were stored after it,
 * and a client created again with the same id saw them. Each event names the life it was sent
 * for; after every round of delete-and-recreate under load, no event or identity link of an
 * earlier life may be visible.
 */
describeEachStore('a hard delete during live ingestion, against a server process', (kind) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-hard-delete-'));
  let server: RunningServer;
  let databaseUrl: string | undefined;
  let dropSchema: (() => Promise<void>) | undefined;
  before(async () => {
    if (kind.name !== 'postgres') return;
    const schema = await freshPostgresSchema(POSTGRES_URL as string);
    databaseUrl = schema.url;
    dropSchema = schema.drop;
  });
  after(async () => {
    await stopAllServers();
    await dropSchema?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves no event or identity link of an earlier life visible to the client created again', async () => {
    const env = { MYTHIC_RATE_LIMIT_PER_IP: '0', MYTHIC_RATE_LIMIT_PER_KEY: '0' };
    server = await startServer({ dataDir, adminKey: ADMIN_KEY, env, ...(databaseUrl === undefined ? {} : { databaseUrl }) });
    let life = 0;
    let client: ServerClient = await createServerClient(server, ADMIN_KEY, CLIENT_ID);
    let acks = 0;
    let stopped = false;
    const sender = async (id: number): Promise<void> => {
      for (let n = 0; !stopped; n++) {
        const sentFor = life;
        const batch = [
          { event: 'tick', distinct_id: `life-${sentFor}-sender-${id}`, properties: { life: sentFor } },
          // Each identify links an anonymous id to a person named after the life.
          { event: '$identify', distinct_id: `person-${sentFor}`, $anon_distinct_id: `anon-${sentFor}-${id}-${n}`, properties: { life: sentFor } },
        ];
        const res = await fetch(`${server.baseUrl}/ingest`, {
          method: 'POST',
          headers: { authorization: `Bearer ${client.sk}`, 'content-type': 'application/json' },
          body: JSON.stringify({ batch }),
        });
        await res.arrayBuffer();
        if (res.ok) acks++;
      }
    };
    const senders = Array.from({ length: SENDERS }, (_, id) => sender(id));
    const waitForAcks = async (count: number): Promise<void> => {
      const target = acks + count;
      while (acks < target) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const leaks: string[] = [];
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        await waitForAcks(ACKS_PER_LIFE);
        const deleted = await callServer(server, 'DELETE', `/api/v1/clients/${CLIENT_ID}?hard=true`, ADMIN_KEY);
        assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
        life = round;
        client = await createServerClient(server, ADMIN_KEY, CLIENT_ID);
        await waitForAcks(ACKS_PER_LIFE / 4);
        const res = await callServer<RecentEventView[]>(server, 'GET', `/api/v1/clients/${CLIENT_ID}/events?limit=500`, ADMIN_KEY);
        assert.equal(res.status, 200);
        const old = res.body.data.filter((event) => event.properties.life !== life);
        if (old.length > 0) leaks.push(`round ${round}: ${old.length} events of earlier lives visible`);
      }
    } finally {
      stopped = true;
      await Promise.all(senders);
    }
    server.kill('SIGTERM');
    await server.waitForExit();

    // Everything, not just the newest page: straight from the stored file.
    const store = await DuckDbEventStore.open(join(dataDir, DUCKDB_FILE));
    try {
      const events = await store.inspect({ sql: "SELECT count(*) FROM events WHERE client_id = $1 AND CAST(properties->>'life' AS INTEGER) <> $2", params: [CLIENT_ID, life] });
      const links = await store.inspect({ sql: 'SELECT count(*) FROM identities WHERE client_id = $1 AND person_id <> $2', params: [CLIENT_ID, `person-${life}`] });
      const current = await store.inspect({ sql: 'SELECT count(*) FROM events WHERE client_id = $1', params: [CLIENT_ID] });
      assert.ok(Number(current[0]?.[0]) > 0, 'the current life’s events are stored');
      assert.deepEqual(leaks, []);
      assert.equal(Number(events[0]?.[0]), 0, 'events of earlier lives in the store');
      assert.equal(Number(links[0]?.[0]), 0, 'identity links of earlier lives in the store');
    } finally {
      await store.close();
    }
  });
});

/**
 * B5: the erasure check compared an identity link with its event's timestamp, which a secret key
 * may set years back (a backfill): a client created again after a hard delete lost the links of
 * a backfilled $identify. Erasure decisions go by when the server received the event.
 */
describe('identity links of a backfilled $identify after a hard delete, against a server process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-backfill-link-'));
  after(async () => {
    await stopAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the links and events of the client created again, whatever their timestamp', async () => {
    const server = await startServer({ dataDir, adminKey: ADMIN_KEY });
    const first = await createServerClient(server, ADMIN_KEY, 'backfilled');
    const send = (sk: string, body: unknown) => callServer(server, 'POST', '/ingest', sk, body);
    assert.equal((await send(first.sk, { event: '$identify', distinct_id: 'old-person', $anon_distinct_id: 'old-anon' })).status, 200);
    assert.equal((await callServer(server, 'DELETE', '/api/v1/clients/backfilled?hard=true', ADMIN_KEY)).status, 200);
    const second = await createServerClient(server, ADMIN_KEY, 'backfilled');
    const lastYear = new Date(Date.now() - 365 * 86_400_000).toISOString();
    const identify = { event: '$identify', distinct_id: 'customer-1', $anon_distinct_id: 'anon-1', timestamp: lastYear };
    const alias = { event: '$create_alias', distinct_id: 'customer-1', properties: { alias: 'crm-1' }, timestamp: lastYear };
    assert.equal((await send(second.sk, { batch: [identify, alias] })).status, 200);
    const events = await callServer<RecentEventView[]>(server, 'GET', '/api/v1/clients/backfilled/events', ADMIN_KEY);
    assert.deepEqual(events.body.data.map((e) => e.event).sort(), ['$create_alias', '$identify']);
    server.kill('SIGTERM');
    await server.waitForExit();
    const store = await DuckDbEventStore.open(join(dataDir, DUCKDB_FILE));
    try {
      const links = await store.identityLinks('backfilled');
      assert.deepEqual(
        links.map((l) => [l.distinct_id, l.person_id]).sort(),
        [
          ['anon-1', 'customer-1'],
          ['crm-1', 'customer-1'],
        ],
      );
    } finally {
      await store.close();
    }
  });
});
