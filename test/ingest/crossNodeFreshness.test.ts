/**
 * Several nodes on one PostgreSQL MetaStore: a change made through one node (a key rotated, a
 * client paused or moved to another domain, a tag set, a hostname added or added again) reaches
 * the other within MYTHIC_META_CACHE_TTL, the one bound on every in-process cache of MetaStore
 * rows. The node that made the change sees it at once. Both nodes share one test clock, as two
 * machines share the wall clock.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import type { HostnameView } from '../../src/hostnames/schemas.js';
import { sha256Hex } from '../../src/keys/secrets.js';
import { PostgresMetaStore } from '../../src/store/postgres/postgresMetaStore.js';
import { ADMIN, ADMIN_KEY, TestClock } from '../helpers/api.js';
import { pageview } from '../helpers/ingest.js';
import { freshPostgresSchema, POSTGRES_SKIP_REASON, POSTGRES_URL } from '../helpers/stores.js';

/** Not the default (1 s): shows that the setting, not a constant, bounds every cache. */
const TTL_MS = 5_000;

interface Node {
  app: FastifyInstance;
  close(): Promise<void>;
}

describe('a change made through one node reaches the other within the MetaStore cache lifetime', { skip: POSTGRES_URL === undefined ? POSTGRES_SKIP_REASON : false }, () => {
  const clock = new TestClock();
  let schema: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let a: Node;
  let b: Node;

  const startNode = async (url: string): Promise<Node> => {
    const store = new PostgresMetaStore(url);
    await store.migrate();
    const events = await DuckDbEventStore.open(':memory:');
    await events.migrate();
    const journalDir = mkdtempSync(join(tmpdir(), 'mythic-node-journal-'));
    const app = await buildApp({
      logLevel: false,
      store,
      events,
      journalDir,
      adminKeyHash: sha256Hex(ADMIN_KEY),
      clock: clock.read,
      ingest: { metaCacheTtlMs: TTL_MS },
    });
    return {
      app,
      close: async () => {
        await app.close();
        await events.close();
        await store.close();
        rmSync(journalDir, { recursive: true, force: true });
      },
    };
  };

  before(async () => {
    schema = await freshPostgresSchema(POSTGRES_URL as string);
    a = await startNode(schema.url);
    b = await startNode(schema.url);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await schema?.drop();
  });

  const admin = async (node: Node, method: string, url: string, body?: unknown) => {
    const response = await node.app.inject({ method: method as 'POST', url, headers: ADMIN, ...(body === undefined ? {} : { payload: body as object }) });
    assert.ok(response.statusCode < 300, `${method} ${url}: ${response.statusCode} ${response.body}`);
    return response.json() as { data: Record<string, unknown> };
  };
  const withSecretKey = async (node: Node, sk: string) =>
    (await node.app.inject({ method: 'POST', url: '/ingest', headers: { authorization: `Bearer ${sk}` }, payload: pageview() })).statusCode;
  const fromPage = async (node: Node, pk: string, origin: string, url = `${origin}/`) =>
    (await node.app.inject({ method: 'POST', url: `/e?key=${pk}`, headers: { origin }, payload: pageview({ properties: { $current_url: url } }) })).statusCode;
  const createClient = async (id: string, domain: string) => {
    const { data } = await admin(a, 'POST', '/api/v1/clients', { id, name: id, domain });
    return { pk: data.publishable_key as string, sk: data.secret_key as string };
  };

  it('a secret key rotated through one node stops working on the other within the lifetime, not later', async () => {
    const { sk } = await createClient('rotated', 'rotated.test');
    assert.equal(await withSecretKey(b, sk), 200, 'node b has looked the key up');
    const { data } = await admin(a, 'POST', '/api/v1/clients/rotated/keys/rotate', { key: 'secret', grace_seconds: 0 });
    const next = data.secret_key as string;
    assert.equal(await withSecretKey(a, sk), 401, 'the node that rotated refuses the old key at once');
    clock.advance(TTL_MS - 100);
    assert.equal(await withSecretKey(b, sk), 200, 'node b may still use what it read, within the lifetime');
    clock.advance(100);
    assert.equal(await withSecretKey(b, sk), 401, 'after the lifetime node b refuses it');
    assert.equal(await withSecretKey(b, next), 200);
  });

  it('a client paused, and resumed, through one node is refused, and accepted again, by the other within the lifetime', async () => {
    const { sk } = await createClient('paused', 'paused.test');
    assert.equal(await withSecretKey(b, sk), 200);
    await admin(a, 'PATCH', '/api/v1/clients/paused', { status: false });
    clock.advance(TTL_MS);
    assert.equal(await withSecretKey(b, sk), 403);
    await admin(a, 'PATCH', '/api/v1/clients/paused', { status: true });
    clock.advance(TTL_MS);
    assert.equal(await withSecretKey(b, sk), 200);
  });

  it('a domain moved through one node governs the other node’s origin check within the lifetime', async () => {
    const { pk } = await createClient('moving', 'before-move.test');
    assert.equal(await fromPage(b, pk, 'https://before-move.test'), 200);
    await admin(a, 'PATCH', '/api/v1/clients/moving', { domain: 'after-move.test' });
    clock.advance(TTL_MS);
    assert.equal(await fromPage(b, pk, 'https://after-move.test'), 200);
    assert.equal(await fromPage(b, pk, 'https://before-move.test'), 403);
  });

  it('tags set through one node are in the other node’s loader at once: nothing caches them', async () => {
    const { pk } = await createClient('tagged', 'tagged.test');
    const loader = async () => (await b.app.inject({ method: 'GET', url: `/s/${pk}.js` })).body;
    assert.ok(!(await loader()).includes('G-FRESH1234'));
    await admin(a, 'PUT', '/api/v1/clients/tagged/tags', { tags: [{ tag_id: 'ga4', enabled: true, params: { measurement_id: 'G-FRESH1234' }, trigger_rules: {} }] });
    assert.ok((await loader()).includes('G-FRESH1234'), 'the next fetch from node b carries the tag');
  });

  it('a hostname added, or removed and added again, through one node is verified by events the other takes within the lifetime', async () => {
    const { pk } = await createClient('verified', 'verified.test');
    const shop = 'https://shop.verified-eu.test/cart';
    const verified = async (): Promise<boolean> => {
      // The install check records after the answer: wait for it, at most 5 s.
      for (const deadline = Date.now() + 5_000; ; await new Promise((resolve) => setTimeout(resolve, 20))) {
        const { data } = await admin(a, 'GET', '/api/v1/clients/verified/hostnames');
        const row = (data as unknown as HostnameView[]).find((h) => h.hostname === 'shop.verified-eu.test');
        if (row?.verified === true || Date.now() > deadline) return row?.verified === true;
      }
    };
    // A page on the domain whose event names the shop: node b learns the shop is none of the client's hosts.
    assert.equal(await fromPage(b, pk, 'https://verified.test', shop), 200);
    await admin(a, 'POST', '/api/v1/clients/verified/hostnames', { hostname: 'shop.verified-eu.test' });
    clock.advance(TTL_MS);
    assert.equal(await fromPage(b, pk, 'https://verified.test', shop), 200);
    assert.equal(await verified(), true, 'node b looked the shop up again and recorded its first event');

    await admin(a, 'DELETE', '/api/v1/clients/verified/hostnames/shop.verified-eu.test');
    await admin(a, 'POST', '/api/v1/clients/verified/hostnames', { hostname: 'shop.verified-eu.test' });
    clock.advance(TTL_MS);
    assert.equal(await fromPage(b, pk, 'https://verified.test', shop), 200);
    assert.equal(await verified(), true, 'node b no longer trusts that it recorded the shop once');
  });
});
