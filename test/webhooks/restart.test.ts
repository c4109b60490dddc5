import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startServer, stopAllServers } from '../helpers/server.js';
import { Receiver, signatureValid } from './receiver.js';

const ADMIN_KEY = 'webhooks-restart-admin-key-0123456789abcdef';
const auth = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

/**
 * The real CLI: deliveries queued while the receiver is down survive a kill -9 of the server, and
 * the restarted server delivers every one of them, signed. The whole log of both runs (at debug,
 * where every request is logged) never shows the signing secret.
 */
describe('webhook deliveries survive a SIGKILL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-webhooks-'));
  after(async () => {
    await stopAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers after a restart what was queued before the crash; the secret is never logged', async () => {
    // A port with nobody listening: the receiver is down.
    const receiver = await new Receiver().start();
    const port = receiver.port;
    await receiver.stop();
    const options = { dataDir, adminKey: ADMIN_KEY, logLevel: 'debug', env: { MYTHIC_OUTBOUND_ALLOW: '127.0.0.1/32' } };

    const first = await startServer(options);
    const created = await fetch(`${first.baseUrl}/api/v1/links/webhooks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ url: `http://127.0.0.1:${port}/hook`, events: ['link.created'] }),
    });
    assert.equal(created.status, 201);
    const { id, secret } = ((await created.json()) as { data: { id: string; secret: string } }).data;
    const queued: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await fetch(`${first.baseUrl}/api/v1/links/webhooks/${id}/test`, { method: 'POST', headers: { authorization: auth.authorization } });
      const delivery = ((await res.json()) as { data: { id: string; status: string; last_error: string } }).data;
      assert.equal(delivery.status, 'pending', 'the receiver is down: the first attempt failed');
      assert.match(delivery.last_error, /refused/);
      queued.push(delivery.id);
    }
    first.kill('SIGKILL');
    const killed = await first.waitForExit();
    assert.equal(killed.signal, 'SIGKILL');

    await receiver.start(port);
    const second = await startServer(options);
    // The first retry comes within 10 s (full jitter over the first back-off step).
    await receiver.waitFor(() => new Set(receiver.delivered().map((r) => r.headers['mythic-delivery-id'])).size === queued.length, 15_000);
    for (const got of receiver.delivered()) {
      assert.ok(queued.includes(String(got.headers['mythic-delivery-id'])));
      assert.ok(signatureValid(secret, got.headers['mythic-signature'], got.body));
    }
    const log = await fetch(`${second.baseUrl}/api/v1/links/webhooks/${id}/deliveries`, { headers: { authorization: auth.authorization } });
    const listed = ((await log.json()) as { data: { status: string }[] }).data;
    for (let i = 0; i < 100 && !listed.every((d) => d.status === 'delivered'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const again = await fetch(`${second.baseUrl}/api/v1/links/webhooks/${id}/deliveries`, { headers: { authorization: auth.authorization } });
      listed.splice(0, listed.length, ...((await again.json()) as { data: { status: string }[] }).data);
    }
    assert.deepEqual(listed.map((d) => d.status), ['delivered', 'delivered', 'delivered']);
    second.kill('SIGTERM');
    const stopped = await second.waitForExit();
    await receiver.stop();

    const everything = `${killed.stdout}${killed.stderr}${stopped.stdout}${stopped.stderr}`;
    assert.match(everything, /webhook delivery attempt failed/, 'the log was captured (failed attempts are logged)');
    assert.ok(!everything.includes(secret.slice('whsec_'.length)), 'the secret is never logged');
  });
});
