/**
 * B9 against real server processes: the embed code's address comes from MYTHIC_PUBLIC_URL when it
 * is set, and otherwise from the Host header only when that is a valid host. Requests are written
 * on a raw socket, so the forged Host headers reach the server exactly as an attacker sends them.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, startServer, stopAllServers, type RunningServer } from '../helpers/server.js';

const ADMIN_KEY = 'mk_public_url_test_0123456789abcdef';
const root = mkdtempSync(join(tmpdir(), 'mythic-public-url-'));
let dirs = 0;
const dataDir = (): string => join(root, `data-${(dirs += 1)}`);

after(async () => {
  await stopAllServers();
  rmSync(root, { recursive: true, force: true });
});

interface RawAnswer {
  status: number;
  body: string;
}

/** One HTTP/1.1 request with exactly the header lines given (`host` null: no Host line at all). */
function rawRequest(server: RunningServer, method: string, path: string, host: string | null, body?: string, extraLines: string[] = []): Promise<RawAnswer> {
  const { hostname, port } = new URL(server.baseUrl);
  const lines = [`${method} ${path} HTTP/1.1`, `Authorization: Bearer ${ADMIN_KEY}`, 'Connection: close', ...extraLines];
  if (host !== null) lines.push(`Host: ${host}`);
  if (body !== undefined) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`));
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]);
      resolve({ status, body: received.slice(received.indexOf('\r\n\r\n') + 4) });
    });
  });
}

async function clientWithKey(server: RunningServer): Promise<string> {
  const created = await rawRequest(server, 'POST', '/api/v1/clients', 'localhost', JSON.stringify({ id: 'embed-me', name: 'Embed me' }));
  assert.equal(created.status, 201, created.body);
  return (JSON.parse(created.body) as { data: { publishable_key: string } }).data.publishable_key;
}

const embedOf = (answer: RawAnswer): { script_url: string; html: string } => {
  assert.equal(answer.status, 200, answer.body);
  return (JSON.parse(answer.body) as { data: { script_url: string; html: string } }).data;
};

const FORGED = ['evil.example"><script>alert(1)</script>', 'a b', '', 'evil.example/x?y'];

describe('embed code address (MYTHIC_PUBLIC_URL) on a real server', () => {
  it('without MYTHIC_PUBLIC_URL, uses a valid Host and refuses a forged one with 400', async () => {
    const server = await startServer({ dataDir: dataDir(), adminKey: ADMIN_KEY });
    const pk = await clientWithKey(server);
    const url = '/api/v1/clients/embed-me/loader';
    assert.equal(embedOf(await rawRequest(server, 'GET', url, 'Analytics.Example.com:8443')).script_url, `http://analytics.example.com:8443/s/${pk}.js`);
    for (const host of FORGED) {
      const answer = await rawRequest(server, 'GET', url, host);
      assert.equal(answer.status, 400, `Host ${JSON.stringify(host)}: ${answer.body}`);
      assert.ok(!answer.body.includes('<script>'), 'the forged host is not echoed as markup');
      const body = JSON.parse(answer.body) as { success: boolean; code: string; error: string };
      assert.equal(body.success, false);
      assert.equal(body.code, 'validation_error');
      assert.match(body.error, /MYTHIC_PUBLIC_URL/);
    }
    // No Host line at all: HTTP/1.1 requires one, and Node refuses the request before we see it.
    assert.equal((await rawRequest(server, 'GET', url, null)).status, 400);
    server.kill();
    await server.waitForExit();
  });

  it('behind a trusted proxy, takes X-Forwarded-Proto only when it is http or https', async () => {
    const server = await startServer({ dataDir: dataDir(), adminKey: ADMIN_KEY, env: { MYTHIC_TRUST_PROXY: 'loopback' } });
    const pk = await clientWithKey(server);
    const url = '/api/v1/clients/embed-me/loader';
    const viaProxy = (proto: string) => rawRequest(server, 'GET', url, 'stats.example.org', undefined, [`X-Forwarded-Proto: ${proto}`]);
    assert.equal(embedOf(await viaProxy('https')).script_url, `https://stats.example.org/s/${pk}.js`);
    for (const proto of ['javascript:alert(1)//"><img src=x onerror=alert(1)>', 'ftp', 'https://evil.example/x?']) {
      const answer = await viaProxy(proto);
      assert.equal(answer.status, 400, `X-Forwarded-Proto ${JSON.stringify(proto)}: ${answer.body}`);
      assert.ok(!answer.body.includes('<img'), 'the forged scheme is not echoed as markup');
      assert.equal((JSON.parse(answer.body) as { details: { field: string }[] }).details[0]?.field, 'X-Forwarded-Proto');
    }
    server.kill();
    await server.waitForExit();
  });

  it('with MYTHIC_PUBLIC_URL, the embed code names it whatever the Host says', async () => {
    const server = await startServer({ dataDir: dataDir(), adminKey: ADMIN_KEY, env: { MYTHIC_PUBLIC_URL: 'https://Stats.Example.org/' } });
    const pk = await clientWithKey(server);
    const expected = `https://stats.example.org/s/${pk}.js`;
    for (const host of ['localhost', 'other.example:9000', ...FORGED]) {
      const embed = embedOf(await rawRequest(server, 'GET', '/api/v1/clients/embed-me/loader', host));
      assert.equal(embed.script_url, expected, `Host ${JSON.stringify(host)}`);
      assert.equal(embed.html, `<script async src="${expected}"></script>`);
    }
    server.kill();
    await server.waitForExit();
  });

  it('refuses to start with a MYTHIC_PUBLIC_URL or --public-url that is not an http(s) origin', async () => {
    for (const options of [{ env: { MYTHIC_PUBLIC_URL: 'stats.example.org' } }, { args: ['--public-url', 'https://stats.example.org/mythic'] }]) {
      const exit = await runCli('serve', { dataDir: dataDir(), adminKey: ADMIN_KEY, ...options });
      assert.equal(exit.code, 2, exit.stderr);
      assert.match(exit.stderr, /(MYTHIC_PUBLIC_URL|--public-url) must be the http:\/\/ or https:\/\/ origin/);
    }
  });
});
