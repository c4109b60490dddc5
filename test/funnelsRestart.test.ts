import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { SavedFunnelView } from '../src/funnels/schemas.js';
import { startServer, stopAllServers } from './helpers/server.js';
import { callServer, createServerClient } from './helpers/serverCalls.js';
import { describeEachStore, freshPostgresSchema, POSTGRES_URL } from './helpers/stores.js';

const ADMIN_KEY = 'funnels-admin-key-0123456789abcdef';

describeEachStore('saved funnels survive a crash of the server process', (kind) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-funnels-'));
  let databaseUrl: string | undefined;
  let dropSchema: (() => Promise<void>) | undefined;
  before(async () => {
    if (kind.name === 'postgres') {
      const schema = await freshPostgresSchema(POSTGRES_URL as string);
      databaseUrl = schema.url;
      dropSchema = schema.drop;
    }
  });
  after(async () => {
    await stopAllServers();
    await dropSchema?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a funnel saved with the client’s sk_ is listed after a SIGKILL and a restart', async () => {
    let server = await startServer({ dataDir, adminKey: ADMIN_KEY, databaseUrl });
    const client = await createServerClient(server, ADMIN_KEY, 'restarted-shop');
    const saved = await callServer<SavedFunnelView>(server, 'POST', '/api/v1/clients/restarted-shop/funnels', client.sk, {
      name: 'Checkout',
      steps: [{ path: '/' }, { event: 'Order Completed' }],
      window_seconds: 1_800,
    });
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    server.kill('SIGKILL');
    assert.equal((await server.waitForExit()).signal, 'SIGKILL');

    server = await startServer({ dataDir, adminKey: ADMIN_KEY, databaseUrl });
    const listed = await callServer<SavedFunnelView[]>(server, 'GET', '/api/v1/clients/restarted-shop/funnels', client.sk);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(listed.body.data, [saved.body.data]);
    server.kill('SIGTERM');
    await server.waitForExit();
  });
});
