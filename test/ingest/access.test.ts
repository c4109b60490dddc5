import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sha256Hex } from '../../src/keys/secrets.js';
import type { AppOverrides, Envelope } from '../helpers/api.js';
import { pageview, startIngestApi, type Answer } from '../helpers/ingest.js';
import { describeEachStoreAndEngine, type EngineKind } from '../helpers/engines.js';
import type { StoreKind } from '../helpers/stores.js';

const HOUR = 60 * 60 * 1000;
const PROXY_KEY = 'proxy-secret-0123456789';

/** Runs `test` against a fresh app (rate limits are per app), closing it whatever happens. */
async function withApi(kind: StoreKind, engine: EngineKind, overrides: AppOverrides, test: (context: Awaited<ReturnType<typeof startIngestApi>>) => Promise<void>): Promise<void> {
  const context = await startIngestApi(kind, overrides, engine);
  try {
    await test(context);
  } finally {
    await context.api.close();
  }
}

const statuses = (answers: Answer[]): number[] => answers.map((a) => a.status);

describeEachStoreAndEngine('ingestion: who is limited, and what a refusal leaves', (kind, engine) => {
  it('limits a made-up proxy key by the connection’s address, without using up the client’s allowance', async () => {
    const rateLimits = { perIp: { perSecond: 1, burst: 2 }, perKey: { perSecond: 1, burst: 5 } };
    await withApi(kind, engine, { ingest: { rateLimits } }, async ({ send, createClient, stored }) => {
      const client = await createClient({ proxy_api_key: PROXY_KEY });
      const fromProxy = (proxyKey: string, visitor: string) =>
        send(`/e?key=${client.pk}`, { body: pageview(), headers: { 'x-mythic-proxy-key': proxyKey, 'x-forwarded-for': visitor }, remoteAddress: '203.0.113.66' });
      const junk: Answer[] = [];
      for (let i = 0; i < 8; i += 1) junk.push(await fromProxy('made-up', `198.51.100.${i}`));
      assert.deepEqual(statuses(junk), [401, 401, 429, 429, 429, 429, 429, 429], 'the claim counts for nothing: the connection is limited');
      for (const answer of junk.slice(2)) assert.match(answer.body.error ?? '', /address/);

      const visitor = () => send(`/e?key=${client.pk}`, { body: pageview(), remoteAddress: '192.0.2.10' });
      assert.deepEqual(statuses([await visitor(), await visitor()]), [200, 200], 'the refused requests used none of the key’s allowance');
      // The real proxy, on the very connection that was limited: its visitors are limited one by one instead.
      assert.deepEqual(statuses([await fromProxy(PROXY_KEY, '198.51.100.1'), await fromProxy(PROXY_KEY, '198.51.100.2')]), [200, 200]);
      assert.equal((await stored(client)).length, 4);
    });
  });

  it('changes no key’s last use when it refuses bad input, and records it for a request it takes', async () => {
    await withApi(kind, engine, {}, async ({ api, send, createClient }) => {
      const client = await createClient();
      const lastUsed = async (key: string) => (await api.store.findKeyByHash(sha256Hex(key)))?.last_used_at;
      assert.equal(await lastUsed(client.sk), null);
      const refused = [
        await send('/batch', { body: { batch: [pageview(), pageview({ uuid: '' })] }, headers: { authorization: `Bearer ${client.sk}` } }),
        await send('/ingest', { body: pageview({ $ip: 'not an address' }), headers: { authorization: `Bearer ${client.sk}` } }),
        await send(`/e?key=${client.pk}`, { body: { batch: [{ event: '' }] } }),
        await send(`/e?key=${client.pk}`, { body: { event: 'x', distinct_id: 'u', properties: { pad: 'p'.repeat(40_000) } } }),
      ];
      assert.deepEqual(statuses(refused), [400, 400, 400, 413]);
      assert.equal(await lastUsed(client.sk), null, 'the secret key is as it was');
      assert.equal(await lastUsed(client.pk), null, 'the publishable key is as it was');

      assert.equal((await send('/batch', { body: { batch: [pageview()] }, headers: { authorization: `Bearer ${client.sk}` } })).status, 200);
      assert.equal(await lastUsed(client.sk), api.clock.now, 'a request taken records the key’s use');
    });
  });

  it('accepts a rotated-out secret key on /batch during its grace period, and 401 after it', async () => {
    await withApi(kind, engine, {}, async ({ api, send, createClient, stored }) => {
      const client = await createClient();
      const rotated = await api.request<Envelope<{ secret_key: string }>>('POST', `/api/v1/clients/${client.id}/keys/rotate`, {
        body: { key: 'secret', grace_seconds: 3600 },
      });
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      const fresh = rotated.body.data.secret_key;
      assert.notEqual(fresh, client.sk);
      const batch = (key: string) => send('/batch', { body: { batch: [pageview(), pageview()] }, headers: { authorization: `Bearer ${key}` } });

      assert.equal((await batch(client.sk)).status, 200, 'the old key within its grace period');
      assert.equal((await batch(fresh)).status, 200);
      api.clock.advance(HOUR - 1);
      assert.equal((await batch(client.sk)).status, 200, 'until the last millisecond of it');
      assert.equal((await stored(client)).length, 6);

      api.clock.advance(1);
      const expired = await batch(client.sk);
      assert.equal(expired.status, 401, JSON.stringify(expired.body));
      assert.equal(expired.body.code, 'unauthorized');
      assert.equal((await stored(client)).length, 6, 'nothing of the refused batch was stored');
      assert.equal((await batch(fresh)).status, 200, 'the new key goes on working');
    });
  });

  it('takes the visitor’s address from X-Forwarded-For only from a peer trust-proxy names', async () => {
    const rateLimits = { perIp: { perSecond: 1, burst: 1 } };
    const cases: Array<{ trustProxy?: boolean | string[]; peer: string; believed: boolean }> = [
      { peer: '10.0.0.2', believed: false },
      { trustProxy: true, peer: '10.0.0.2', believed: true },
      { trustProxy: ['10.0.0.0/8'], peer: '10.0.0.2', believed: true },
      { trustProxy: ['10.0.0.0/8'], peer: '192.0.2.1', believed: false },
    ];
    for (const { trustProxy, peer, believed } of cases) {
      const label = `trustProxy ${JSON.stringify(trustProxy)} from ${peer}`;
      await withApi(kind, engine, { ingest: { rateLimits }, ...(trustProxy === undefined ? {} : { trustProxy }) }, async ({ send, createClient, stored }) => {
        const client = await createClient();
        const via = (forwarded: string) => send(`/e?key=${client.pk}`, { body: pageview(), headers: { 'x-forwarded-for': forwarded }, remoteAddress: peer });
        assert.equal((await via('198.51.100.7')).status, 200, label);
        // Limited per address: the forwarded one when believed, else the peer's.
        assert.equal((await via('198.51.100.7')).status, 429, label);
        assert.equal((await via('198.51.100.8')).status, believed ? 200 : 429, label);
        const ips = (await stored(client)).map((e) => e.ip);
        assert.deepEqual(ips.sort(), believed ? ['198.51.100.0', '198.51.100.0'] : [peer.replace(/\.\d+$/, '.0')], label);
      });
    }
  });
});
