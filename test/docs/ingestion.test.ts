/**
 * The docs' "Ingestion as integrators send it" and "Error envelope" sections
 * (../shared/reference/mythic-docs-examples.md), against a real server process: a Shopify app
 * posts server-side events to /ingest with `Authorization: Bearer pk_…` and its own order ids as
 * `uuid`, retrying on webhook redelivery, and reads errors by `success` and `error`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RecentEventView } from '../../src/events/schemas.js';
import { startServer, stopAllServers, type RunningServer } from '../helpers/server.js';
import { callServer, createServerClient, type ServerClient } from '../helpers/serverCalls.js';

const ADMIN_KEY = 'mk_docs_ingestion_0123456789abcdef01234567';

describe('the docs’ ingestion as integrators send it, against a server process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-docs-ingestion-'));
  let server: RunningServer;
  let shop: ServerClient;
  before(async () => {
    server = await startServer({ dataDir, adminKey: ADMIN_KEY });
    shop = await createServerClient(server, ADMIN_KEY, 'acme-retail', { domain: 'acme-retail.com' });
  });
  after(async () => {
    await stopAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const orderPaid = { event: 'Order Completed', distinct_id: 'customer-5012', uuid: 'shopify-order-5012345678', properties: { revenue: 42.5 } };

  it('stores an order posted with a publishable key and a shopify-order uuid once, however often the webhook is redelivered', async () => {
    for (let delivery = 0; delivery < 3; delivery += 1) {
      const res = await callServer<unknown>(server, 'POST', '/ingest', shop.pk, orderPaid);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    const recent = await callServer<RecentEventView[]>(server, 'GET', `/api/v1/clients/${shop.id}/events?limit=50`, ADMIN_KEY);
    assert.equal(recent.status, 200, JSON.stringify(recent.body));
    const stored = recent.body.data.filter((event) => event.event === 'Order Completed');
    assert.equal(stored.length, 1, JSON.stringify(stored));
    assert.equal(stored[0]?.uuid, 'shopify-order-5012345678', 'the debugger shows the uuid as sent');
    assert.equal(stored[0]?.distinct_id, 'customer-5012');
  });

  it('answers a wrong key in an envelope with the fields a client of the docs reads (success, data, error)', async () => {
    const res = await callServer<unknown>(server, 'POST', '/ingest', 'pk_not_a_key_of_anyone_0123456789', orderPaid);
    assert.equal(res.status, 401);
    const body = res.body as unknown as Record<string, unknown>;
    assert.equal(body.success, false);
    assert.equal(body.data, null);
    assert.equal(typeof body.error, 'string');
    assert.ok((body.error as string).length > 0);
  });
});
