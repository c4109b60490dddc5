import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isPublicAddress } from '../src/ingest/geo/nonPublic.js';
import { shippedGeoLookup } from '../src/ingest/geo/openGeoLookup.js';
import { allowEntryProblem } from '../src/outbound/allowList.js';
import { createOutbound } from '../src/outbound/nodeOutbound.js';
import { OutboundRefused, type OutboundRequest } from '../src/outbound/outbound.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A real HTTP receiver on loopback, answering with whatever the test's handler says. */
async function receiver(handler: Handler, host = '127.0.0.1'): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
}

const GET = (url: string, extra: Partial<OutboundRequest> = {}): OutboundRequest => ({
  method: 'GET',
  url,
  timeoutMs: 2000,
  maxRedirects: 3,
  maxBodyBytes: 1024,
  ...extra,
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OutboundRefused, `expected a refusal, got ${String(error)}`);
    return error.reason;
  }
  assert.fail('the request was made');
}

describe('isPublicAddress', () => {
  it('refuses every non-public range in every spelling, and passes public addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '100.64.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '0:0:0:0:0:ffff:a00:1',
      '::127.0.0.1',
      '64:ff9b::a9fe:a9fe',
      '2002:7f00:1::1',
      '2001:0:4136:e378:8000:63bf:80ff:fffe',
      'fd00:ec2::254',
      'fe80::1%eth0',
      'ff02::1',
      '::ffff:0:127.0.0.1',
      '::ffff:0:a01:203',
      '0:0:0:0:ffff:0:a9fe:a9fe',
      'fec0::1',
      'feff:ffff::1',
      'not-an-ip',
    ]) {
      assert.equal(isPublicAddress(ip), false, ip);
    }
    for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '::ffff:0:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', 'ff:ffff::1']) {
      assert.equal(isPublicAddress(ip), true, ip);
    }
  });

  it('leaves the location of public addresses as it was, and places no site-local one', () => {
    const geo = shippedGeoLookup();
    const countries = ['8.8.8.8', '80.128.0.1', '2606:4700::1111', '2a00:1450:4001:81b::200e', 'fec0::1', 'fec0:1234::5'].map((ip) => geo.locate(ip).country);
    assert.deepEqual(countries, ['US', 'DE', 'CA', 'DE', null, null]);
  });
});

describe('outbound requests', () => {
  let open: { server: Server; origin: string };
  let open6: { server: Server; origin: string } | null = null;
  const seen: string[] = [];
  before(async () => {
    open = await receiver((req, res, body) => {
      seen.push(`${req.method} ${req.url} ${body}`);
      if (req.url === '/to-private') {
        res.writeHead(302, { location: 'http://10.0.0.1/' }).end();
      } else if (req.url === '/to-metadata') {
        res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      } else if (req.url === '/hop') {
        res.writeHead(302, { location: '/final?x=1' }).end();
      } else if (req.url === '/loop') {
        res.writeHead(302, { location: '/loop' }).end();
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 1500).unref();
      } else if (req.url === '/big') {
        res.end('x'.repeat(100_000));
      } else {
        res.writeHead(200, { 'x-seen': 'yes' }).end(`hello ${req.method} ${req.url} ${body}`);
      }
    });
    try {
      open6 = await receiver((_req, res) => res.end('six'), '::1');
    } catch {
      open6 = null; // no IPv6 loopback on this machine
    }
  });
  after(() => {
    open.server.close();
    open6?.server.close();
  });

  const strict = createOutbound();
  const allowed = createOutbound({ allow: ['127.0.0.1/32', '::1/128'] });

  it('refuses loopback, private, link-local, metadata, unspecified and mapped addresses unless allowed', async () => {
    const port = new URL(open.origin).port;
    for (const url of [
      `http://127.0.0.1:${port}/`,
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      `http://[::1]:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://0.0.0.0:${port}/`,
      `http://localhost:${port}/`,
      'http://[fd00:ec2::254]/',
    ]) {
      assert.equal(await refusal(strict(GET(url))), 'private_address', url);
    }
    assert.equal(seen.length, 0, 'nothing reached the receiver');
  });

  it('refuses a host name when any of its addresses is private, whatever order DNS gives', async () => {
    const mixed = createOutbound({ resolve: async () => ['93.184.216.34', '127.0.0.1'] });
    assert.equal(await refusal(mixed(GET('http://rebind.example/'))), 'private_address');
    // The refusal names no address: its text reaches clients, and would map this server's network.
    const internal = createOutbound({ resolve: async () => ['10.1.2.3'] });
    const message = await internal(GET('http://intranet.example/')).then(() => '', (error: unknown) => String(error));
    assert.match(message, /address is not public/);
    assert.doesNotMatch(message, /10\.1\.2\.3/);
    const failing = createOutbound({
      resolve: async () => {
        throw new Error('ENOTFOUND');
      },
    });
    assert.equal(await refusal(failing(GET('http://nowhere.invalid/'))), 'dns_failure');
  });

  it('refuses URLs that are not http(s), carry credentials or are no URL at all', async () => {
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'http://user:pw@example.com/', 'not a url', 'javascript:alert(1)']) {
      assert.equal(await refusal(allowed(GET(url))), 'bad_url', url);
    }
  });

  it('connects to the vetted address only: a host name that resolves elsewhere later is not re-resolved', async () => {
    const port = new URL(open.origin).port;
    let calls = 0;
    // The first (checked) answer is the allowed loopback; any later resolution would say 10.0.0.1.
    const pinned = createOutbound({
      allow: ['127.0.0.1/32'],
      resolve: async () => {
        calls += 1;
        return calls === 1 ? ['127.0.0.1'] : ['10.0.0.1'];
      },
    });
    const res = await pinned(GET(`http://receiver.test:${port}/pinned`));
    assert.equal(res.status, 200);
    assert.equal(calls, 1);
    assert.match(res.body, /hello GET \/pinned/);
  });

  it('allowed receivers work: POST with headers and body, by address, by allowed host name and over IPv6', async () => {
    const port = new URL(open.origin).port;
    const res = await allowed({ ...GET(`${open.origin}/post`), method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'hello POST /post {"a":1}');
    assert.equal(res.headers['x-seen'], 'yes');
    assert.equal(res.finalUrl, `${open.origin}/post`);
    assert.ok(res.durationMs >= 0);
    const byName = createOutbound({ allow: ['localhost'] });
    assert.equal((await byName(GET(`http://LOCALHOST:${port}/named`))).status, 200);
    // Every vetted address is tried: ::1 first (nobody listens there), then 127.0.0.1.
    const dual = createOutbound({ allow: ['dual.test'], resolve: async () => ['::1', '127.0.0.1'] });
    assert.equal((await dual(GET(`http://dual.test:${port}/dual`))).status, 200);
    if (open6 !== null) assert.equal((await allowed(GET(`${open6.origin}/`))).body, 'six');
  });

  it('follows redirects hop by hop, refusing a hop to a private address; maxRedirects 0 answers the 3xx', async () => {
    const followed = await allowed(GET(`${open.origin}/hop`));
    assert.equal(followed.status, 200);
    assert.equal(followed.finalUrl, `${open.origin}/final?x=1`);
    assert.equal(await refusal(allowed(GET(`${open.origin}/to-private`))), 'private_address');
    assert.equal(await refusal(allowed({ ...GET(`${open.origin}/to-metadata`), method: 'POST', body: 'x' })), 'private_address');
    assert.equal(await refusal(allowed(GET(`${open.origin}/loop`))), 'too_many_redirects');
    const unfollowed = await allowed(GET(`${open.origin}/to-private`, { maxRedirects: 0 }));
    assert.equal(unfollowed.status, 302);
    assert.equal(unfollowed.headers.location, 'http://10.0.0.1/');
  });

  it('stops at the overall timeout, keeps at most maxBodyBytes and reports a refused connection', async () => {
    const started = Date.now();
    await assert.rejects(allowed(GET(`${open.origin}/slow`, { timeoutMs: 200 })), /within 200 ms/);
    assert.ok(Date.now() - started < 1000);
    const stuck = createOutbound({ resolve: () => new Promise<string[]>(() => {}) });
    await assert.rejects(stuck(GET('http://slow-dns.example/', { timeoutMs: 100 })), /within 100 ms/);
    const big = await allowed(GET(`${open.origin}/big`, { maxBodyBytes: 10 }));
    assert.equal(big.body, 'xxxxxxxxxx');
    const closed = await receiver((_req, res) => res.end());
    const closedOrigin = closed.origin;
    await new Promise((resolve) => closed.server.close(resolve));
    await assert.rejects(allowed(GET(closedOrigin)), /refused/);
  });

  it('checks allow-list entries', () => {
    assert.equal(allowEntryProblem('10.0.0.0/8'), null);
    assert.equal(allowEntryProblem('::1/128'), null);
    assert.equal(allowEntryProblem('hooks.internal'), null);
    assert.notEqual(allowEntryProblem('10.0.0.0/33'), null);
    assert.notEqual(allowEntryProblem('http://x'), null);
    assert.notEqual(allowEntryProblem('a b'), null);
  });
});
