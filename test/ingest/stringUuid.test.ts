import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbEventStore, eventKey } from '../../src/engines/duckdb/duckdbEventStore.js';
import { DUCKDB_MIGRATIONS } from '../../src/engines/duckdb/schema.js';
import type { RecentEventView } from '../../src/events/schemas.js';
import { storedEvent } from '../helpers/events.js';
import { startServer, stopAllServers, type RunningServer } from '../helpers/server.js';
import { callServer, createServerClient, type ServerClient } from '../helpers/serverCalls.js';

const ADMIN_KEY = 'mk_string_uuid_0123456789abcdef0123456789';
const ORDER = 'shopify-order-5012345678';

describe('ingestion uuids of any printable text, against a server process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-string-uuid-'));
  let server: RunningServer;
  let shop: ServerClient;
  after(async () => {
    await stopAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const ingest = (body: unknown) => callServer<{ received: number } | null>(server, 'POST', '/ingest', shop.sk, body);
  const recent = async (): Promise<RecentEventView[]> => {
    const res = await callServer<RecentEventView[]>(server, 'GET', `/api/v1/clients/${shop.id}/events?limit=500`, ADMIN_KEY);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data;
  };
  const order = (extra: Record<string, unknown> = {}) => ({ event: 'order_paid', distinct_id: 'customer-7', uuid: ORDER, ...extra });

  it('stores a webhook redelivered with the same string uuid once, and shows the uuid as sent', async () => {
    server = await startServer({ dataDir, adminKey: ADMIN_KEY });
    shop = await createServerClient(server, ADMIN_KEY, 'shop');
    assert.equal((await ingest(order())).status, 200);
    const retry = await ingest({ batch: [order({ event: 'redelivered' }), { event: 'x', distinct_id: 'c', uuid: 'Order #42 (Ünïcode) ✓' }] });
    assert.equal(retry.status, 200, 'a retry is acknowledged like the first delivery');
    const events = await recent();
    assert.deepEqual(events.map((e) => e.uuid).sort(), ['Order #42 (Ünïcode) ✓', ORDER].sort(), 'kept as sent, letter case included');
    assert.equal(events.find((e) => e.uuid === ORDER)?.event, 'order_paid', 'the first delivery is the one kept');
  });

  it('still stores a retried string uuid once after the server restarts', async () => {
    server.kill('SIGTERM');
    await server.waitForExit();
    server = await startServer({ dataDir, adminKey: ADMIN_KEY });
    assert.equal((await ingest(order({ event: 'after_restart' }))).status, 200);
    assert.equal((await ingest({ batch: [{ event: 'x', distinct_id: 'c', uuid: 'Order #42 (Ünïcode) ✓' }] })).status, 200);
    const events = await recent();
    assert.equal(events.length, 2, JSON.stringify(events.map((e) => e.uuid)));
    assert.equal(events.find((e) => e.uuid === ORDER)?.event, 'order_paid');
  });

  it('a UUID is still one key in any letter case, and a string differing only in case is another', async () => {
    const uuid = '0190F3A4-5B6C-7D8E-9F00-112233445566';
    assert.equal((await ingest({ batch: [{ event: 'a', distinct_id: 'c', uuid }, { event: 'b', distinct_id: 'c', uuid: uuid.toLowerCase() }] })).status, 200);
    assert.equal((await ingest({ event: 'c', distinct_id: 'c', uuid: ORDER.toUpperCase() })).status, 200);
    const uuids = (await recent()).map((e) => e.uuid);
    assert.equal(uuids.filter((u) => u === uuid.toLowerCase()).length, 1);
    assert.ok(uuids.includes(ORDER.toUpperCase()));
  });

  it('refuses an empty, over-long or non-printable uuid, naming the event, and stores nothing of the request', async () => {
    const before = await recent();
    const bad = ['', 'x'.repeat(201), 'tab\there', 'line\nbreak', 'bell\u0007', 'zero\u200bwidth', 'para\u2029graph', 'del\u007f'];
    const res = await ingest({ batch: [{ event: 'fine', distinct_id: 'c', uuid: 'y'.repeat(200) }, ...bad.map((uuid) => ({ event: 'x', distinct_id: 'c', uuid }))] });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.code, 'validation_error');
    const fields = (res.body.details ?? []).map((d) => d.field);
    assert.deepEqual(fields, bad.map((_, i) => `batch[${i + 1}].uuid`));
    assert.equal(res.body.details?.[1]?.message, 'must be at most 200 characters');
    assert.match(res.body.details?.[2]?.message ?? '', /printable/);
    assert.deepEqual(await recent(), before);
    const alone = await ingest({ event: 'x', distinct_id: 'c', uuid: 'nul\u0001' });
    assert.deepEqual(alone.body.details?.map((d) => d.field), ['uuid']);
  });
});

describe('DuckDB migrations of files made by earlier schemas', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mythic-uuid-migration-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps events stored under the UUID column, and their deduplication', async () => {
    const path = join(dir, 'events.duckdb');
    const old = storedEvent({ client_id: 'legacy', uuid: '0190f3a4-5b6c-7d8e-9f00-112233445566' });
    // A file as the first schema left it: the UUID column and one stored event with its key.
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)');
    await connection.run(DUCKDB_MIGRATIONS[0]!.sql);
    await connection.run("INSERT INTO schema_migrations VALUES (1, 'events and identity links', now())");
    await connection.run(
      `INSERT INTO events (client_id, uuid, event, distinct_id, "timestamp", received_at, properties, is_bot)
       VALUES ($1, $2::UUID, $3, $4, make_timestamp(CAST($5 AS BIGINT) * 1000)::TIMESTAMPTZ, make_timestamp(CAST($6 AS BIGINT) * 1000)::TIMESTAMPTZ, $7, false)`,
      [old.client_id, old.uuid.toUpperCase(), old.event, old.distinct_id, old.timestamp, old.received_at, old.properties],
    );
    await connection.run('INSERT INTO event_keys VALUES ($1::UUID)', [eventKey(old.client_id, old.uuid)]);
    connection.closeSync();
    instance.closeSync();

    const store = await DuckDbEventStore.open(path);
    try {
      await store.migrate();
      const [row] = await store.recentEvents('legacy', { limit: 5 });
      assert.equal(row?.uuid, old.uuid, 'the stored UUID reads back in canonical lowercase');
      assert.equal(row?.event, old.event);
      assert.deepEqual((await store.append([{ ...old, event: 'retry' }], [])).duplicateIndexes, [0], 'a retry of an old event is still a duplicate');
      const text = storedEvent({ client_id: 'legacy', uuid: ORDER });
      assert.deepEqual((await store.append([text, text], [])).duplicateIndexes, [1]);
      await store.deleteClient('legacy');
      assert.deepEqual((await store.append([old, text], [])).duplicateIndexes, [], 'a hard delete forgets the keys of both kinds');
    } finally {
      await store.close();
    }
  });

  it('numbers events stored before seq existed in received order, and later ones after them, across a reopen', async () => {
    const path = join(dir, 'seq.duckdb');
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)');
    for (const migration of DUCKDB_MIGRATIONS.slice(0, 2)) {
      await connection.run(migration.sql);
      await connection.run('INSERT INTO schema_migrations VALUES ($1, $2, now())', [migration.version, migration.name]);
    }
    for (const [event, receivedAt] of [['second', 2_000], ['first', 1_000], ['third', 3_000]] as const) {
      await connection.run(
        `INSERT INTO events (client_id, uuid, event, distinct_id, "timestamp", received_at, properties, is_bot)
         VALUES ('numbered', $1, $1, 'd', now(), make_timestamp(CAST($2 AS BIGINT) * 1000)::TIMESTAMPTZ, '{}', false)`,
        [event, receivedAt],
      );
    }
    connection.closeSync();
    instance.closeSync();
    const first = await DuckDbEventStore.open(path);
    await first.migrate();
    await first.append([storedEvent({ client_id: 'numbered', event: 'fourth' })], []);
    await first.close();
    const second = await DuckDbEventStore.open(path);
    try {
      await second.migrate();
      await second.append([storedEvent({ client_id: 'numbered', event: 'fifth' })], []);
      const rows = await second.recentEvents('numbered', { limit: 10 });
      assert.deepEqual(rows.map((r) => [r.event, r.seq]), [['fifth', 5], ['fourth', 4], ['third', 3], ['second', 2], ['first', 1]]);
    } finally {
      await second.close();
    }
  });
});
