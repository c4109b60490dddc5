// Every ingestion request is charged to one address's allowance, however it fails: a made-up
// X-Mythic-Proxy-Key once exempted undecodable bodies (1,200 of them: 0 × 429 with the header).
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, it } from 'node:test';
import type { TestApi } from '../helpers/api.js';
import { pageview, startIngestApi, type Answer, type Client, type Send } from '../helpers/ingest.js';
import { describeEachStore } from '../helpers/stores.js';

const BURST = 3;
const PROXY_KEY = 'proxy-secret-0123456789';

describeEachStore('per-address limit of ingestion', (kind) => {
  let api: TestApi;
  let send: (url: string, options?: Send) => Promise<Answer>;
  let acme: Client;
  let n = 0;
  /** A fresh visitor address for each case, so the cases do not share a bucket. */
  const freshAddress = (): string => {
    n += 1;
    return `198.51.100.${n}`;
  };

  before(async () => {
    let createClient: (fields?: Record<string, unknown>) => Promise<Client>;
    // The test clock stands still: no bucket refills during a case.
    ({ api, send, createClient } = await startIngestApi(kind, {
      ingest: { rateLimits: { perIp: { perSecond: 1, burst: BURST }, perKey: { perSecond: 0 } } },
    }));
    acme = await createClient({ proxy_api_key: PROXY_KEY });
  });
  after(async () => {
    await api.close();
  });

  const forged = { 'x-mythic-proxy-key': 'made-up-proxy-key', 'x-forwarded-for': '203.0.113.50' };
  const invalidUtf8 = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);

  const cases: { name: string; status: number; request: (remoteAddress: string) => Promise<Answer> }[] = [
    {
      name: 'an undecodable body with a forged proxy header',
      status: 400,
      request: (remoteAddress) => send(`/e?key=${acme.pk}`, { raw: invalidUtf8, headers: { 'content-type': 'text/plain', ...forged }, remoteAddress }),
    },
    {
      name: 'an undecodable body without one',
      status: 400,
      request: (remoteAddress) => send(`/e?key=${acme.pk}`, { raw: invalidUtf8, headers: { 'content-type': 'text/plain' }, remoteAddress }),
    },
    {
      name: 'a body that is not gzip though it says so, with a forged proxy header',
      status: 400,
      request: (remoteAddress) =>
        send(`/e?key=${acme.pk}`, { raw: 'plain', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...forged }, remoteAddress }),
    },
    {
      name: 'a gzip bomb-sized body that is too large once inflated, with a forged proxy header',
      status: 413,
      request: (remoteAddress) =>
        send(`/e?key=${acme.pk}`, {
          raw: gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)),
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...forged },
          remoteAddress,
        }),
    },
    {
      name: 'an unknown key in the URL, with a forged proxy header',
      status: 401,
      request: (remoteAddress) => send(`/e?key=pk_${'0'.repeat(32)}`, { body: pageview(), headers: forged, remoteAddress }),
    },
    {
      name: 'an unknown bearer key, with a forged proxy header',
      status: 401,
      request: (remoteAddress) =>
        send('/batch', { body: pageview(), headers: { authorization: `Bearer sk_${'0'.repeat(32)}`, ...forged }, remoteAddress }),
    },
    {
      name: 'an unknown key in the body, with a forged proxy header',
      status: 401,
      request: (remoteAddress) => send('/e', { body: { api_key: `pk_${'0'.repeat(32)}`, batch: [pageview()] }, headers: forged, remoteAddress }),
    },
    {
      name: 'a wrong content type, with a forged proxy header',
      status: 415,
      request: (remoteAddress) =>
        send(`/e?key=${acme.pk}`, { raw: '{}', headers: { 'content-type': 'multipart/form-data; boundary=x', ...forged }, remoteAddress }),
    },
    {
      name: 'a valid event with a forged proxy header',
      status: 401,
      request: (remoteAddress) => send(`/e?key=${acme.pk}`, { body: pageview(), headers: forged, remoteAddress }),
    },
    {
      name: 'the right proxy key forwarding something that is not an address',
      status: 400,
      request: (remoteAddress) =>
        send(`/e?key=${acme.pk}`, { body: pageview(), headers: { 'x-mythic-proxy-key': PROXY_KEY, 'x-forwarded-for': 'unknown' }, remoteAddress }),
    },
  ];

  for (const { name, status, request } of cases) {
    it(`charges ${name}, and answers 429 past the limit`, async () => {
      const address = freshAddress();
      for (let i = 0; i < BURST; i += 1) {
        const res = await request(address);
        assert.equal(res.status, status, `request ${i + 1}: ${JSON.stringify(res.body)}`);
      }
      const limited = await request(address);
      assert.equal(limited.status, 429, JSON.stringify(limited.body));
      assert.equal(limited.body.code, 'rate_limited');
      assert.equal(limited.headers['retry-after'], '1');
      // Its own allowance only: another address is untouched.
      assert.equal((await request(freshAddress())).status, status);
    });
  }

  it('counts an IPv6 /64 as one address, so changing the address within it is no way past the limit', async () => {
    const inNetwork = (host: number) => `2001:db8:0:42::${host.toString(16)}`;
    for (let i = 0; i < BURST; i += 1) {
      assert.equal((await send(`/e?key=${acme.pk}`, { body: pageview(), remoteAddress: inNetwork(i + 1) })).status, 200);
    }
    const limited = await send(`/e?key=${acme.pk}`, { body: pageview(), remoteAddress: inNetwork(0xbeef) });
    assert.equal(limited.status, 429, 'another address of the same /64 shares its allowance');
    const neighbour = await send(`/e?key=${acme.pk}`, { body: pageview(), remoteAddress: '2001:db8:0:43::1' });
    assert.equal(neighbour.status, 200, 'the next /64 is another address');
  });

  it('charges a verified proxy’s requests to the address it forwards, not to its own', async () => {
    const proxy = freshAddress();
    const through = (visitor: string) =>
      send(`/e?key=${acme.pk}`, { body: pageview(), headers: { 'x-mythic-proxy-key': PROXY_KEY, 'x-forwarded-for': visitor }, remoteAddress: proxy });
    for (let i = 0; i < 2 * BURST; i += 1) {
      const res = await through(`203.0.113.${100 + i}`);
      assert.equal(res.status, 200, `visitor ${i + 1} through the proxy: ${JSON.stringify(res.body)}`);
    }
    const visitor = '203.0.113.99';
    for (let i = 0; i < BURST; i += 1) assert.equal((await through(visitor)).status, 200);
    const limited = await through(visitor);
    assert.equal(limited.status, 429, 'one visitor behind the proxy is limited like any other address');
    assert.equal(limited.body.code, 'rate_limited');
    const direct = await send(`/e?key=${acme.pk}`, { body: pageview(), remoteAddress: proxy });
    assert.equal(direct.status, 200, 'the proxy’s own address was never charged for its visitors');
  });
});
