// What a real server process writes to its logs: no key in any spelling, at any level; and no
// line per request at the default level (issue 11, B4 and C).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { ApiError } from '../src/http/apiError.js';
import { installErrorHandling } from '../src/http/errorHandler.js';
import { loggerOptions, RequestLog } from '../src/http/logging.js';
import type { ClientView } from '../src/clients/schemas.js';
import type { Envelope } from './helpers/api.js';
import { ContractChecker, servedContract } from './helpers/contract.js';
import { startServer, stopAllServers, type Exit, type RunningServer } from './helpers/server.js';

const root = mkdtempSync(join(tmpdir(), 'mythic-logging-test-'));
let dirs = 0;
const newDataDir = (): string => join(root, `data-${(dirs += 1)}`);

after(async () => {
  await stopAllServers();
  rmSync(root, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: Envelope<unknown> | undefined;
}

let contract: ContractChecker | undefined;

/**
 * One request with the path sent byte for byte as given (fetch would normalise some of it), and
 * its JSON answer checked against the served OpenAPI document.
 */
async function send(server: RunningServer, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const url = new URL(server.baseUrl);
  const answer = await new Promise<{ status: number; type: string; text: string }>((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const parsed = answer.type.includes('json') && answer.text !== '' ? (JSON.parse(answer.text) as Envelope<unknown>) : undefined;
  if (parsed !== undefined) (contract ??= await servedContract()).check(method, path, answer.status, parsed);
  return { status: answer.status, body: parsed };
}

const output = (exit: Exit): string => `--- stdout ---\n${exit.stdout}\n--- stderr ---\n${exit.stderr}`;

interface LogLine {
  level?: number;
  msg?: string;
  reqId?: string;
  req?: { method?: string; route?: string };
}

const logLines = (exit: Exit): LogLine[] =>
  (exit.stdout + exit.stderr)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

/** Byte arrays in log lines (a Buffer logged as JSON is `{"type":"Buffer","data":[71,69,…]}`), as text. */
function loggedBytes(value: unknown): string[] {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => typeof v === 'number')) return [Buffer.from(value as number[]).toString('latin1')];
    return value.flatMap(loggedBytes);
  }
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(loggedBytes);
  return [];
}

/** Each character as %XX, in the given case. */
const percentAll = (text: string, upper: boolean): string =>
  [...Buffer.from(text)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).map((s) => (upper ? s.toUpperCase() : s)).join('');
/** Every other character as %XX: a mix of encoded and plain. */
const percentAlternate = (text: string): string => [...text].map((c, i) => (i % 2 === 0 ? percentAll(c, true) : c)).join('');

/** The spellings of a key put into URLs. */
function urlSpellings(key: string): string[] {
  return [key, percentAll(key, true), percentAll(key, false), percentAlternate(key), key.replace('_', '%5F'), `+${key}+`];
}

/** Strings that must never appear in a log: the key and every form of it the test sent, and its base64. */
function forbidden(key: string): string[] {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return [
    key,
    key.slice(3),
    key.slice(-16),
    ...urlSpellings(key).filter((s) => s !== `+${key}+`),
    b64(key),
    Buffer.from(key).toString('base64url'),
    b64(`${key}:`),
    b64(`:${key}`),
  ];
}

const EVENT = '{"event":"$pageview","distinct_id":"visitor-1","properties":{"$current_url":"https://shop.example/"}}';

describe('no credential reaches the log, in any encoding', () => {
  it('logs each request at trace, and never an admin, secret, publishable or proxy key', async () => {
    const admin = `mk_${randomBytes(24).toString('hex')}`;
    const proxy = `px_${randomBytes(24).toString('hex')}`;
    const server = await startServer({ dataDir: newDataDir(), adminKey: admin, logLevel: 'trace' });
    const bearer = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
    const created = await send(server, 'POST', '/api/v1/clients', bearer, JSON.stringify({ id: 'logged', name: 'Logged', proxy_api_key: proxy }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const client = created.body?.data as ClientView;
    const pk = client.publishable_key as string;
    const sk = client.secret_key as string;
    assert.match(pk, /^pk_/);
    assert.match(sk, /^sk_/);

    let sent = 1;
    let undecodable = 0;
    const go = async (method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> => {
      sent += 1;
      return send(server, method, path, headers, body);
    };
    const text = { 'content-type': 'text/plain' };
    for (const key of [admin, sk, pk, proxy]) {
      for (const k of urlSpellings(key)) {
        // The documented names, their encoded aliases, and parameters no route knows.
        for (const query of [`admin_key=${k}`, `admin%5Fkey=${k}`, `admin%5fkey=${k}`, `%61dmin_key=${k}`, `foo=${k}`, `${k}=1`, `token=${k}&api_key=${k}`, `q=Bearer+${k}`]) {
          await go('GET', `/api/v1/clients?${query}`);
          await go('GET', `/api/v1/clients/logged/events?${query}`);
        }
        for (const query of [`key=${k}`, `%6Bey=${k}`, `k%65y=${k}`, `key=${k}&compression=${k}`]) await go('POST', `/e?${query}`, text, EVENT);
        // The path of a 404, of the loader, of a route with a parameter.
        for (const path of [`/${k}`, `/api/v1/${k}`, `/s/${k}.js`, `/api/v1/clients/${k}`, `/e/${k}`]) await go('GET', path);
        // A URL Fastify cannot decode: answered with an incoming line but no completed line.
        assert.equal((await go('GET', `/api/v1/clients/%E0%A4%A${k}`)).status, 400);
        undecodable += 1;
      }
      // In every header a key travels in, and some it does not.
      await go('GET', '/api/v1/clients', { authorization: `Bearer ${key}` });
      await go('GET', '/api/v1/clients', { authorization: key });
      await go('GET', '/api/v1/clients', { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });
      await go('GET', '/api/v1/clients/logged/events', { authorization: `Bearer ${key}` });
      await go('POST', '/api/v1/public/query', { 'x-publishable-key': key, 'content-type': 'application/json' }, '{"client_id":"logged","metrics":["pageviews"]}');
      await go('POST', '/e', { ...text, 'x-mythic-proxy-key': key, 'x-forwarded-for': '203.0.113.9' }, EVENT.replace('{', `{"api_key":"${pk}",`));
      await go('POST', '/batch', { authorization: `Bearer ${key}`, 'x-mythic-proxy-key': key, 'content-type': 'application/json' }, EVENT);
      await go('GET', '/healthz', { cookie: `key=${key}`, 'x-api-key': key, 'request-id': key, 'x-request-id': key, referer: `https://x.example/?key=${key}` });
    }
    // A request Node cannot parse: Fastify logs the error at trace, and Node attaches its bytes.
    await new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(server.baseUrl).port), '127.0.0.1', () => {
        socket.write(`GET /e?key=${pk} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nX-Mythic-Proxy-Key: ${proxy}\r\nbad header ${sk}\r\n\r\n`);
      });
      socket.on('data', () => undefined);
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });

    server.kill('SIGTERM');
    const exit = await server.waitForExit();
    assert.equal(exit.code, 0, output(exit));
    const lines = logLines(exit);
    const bytes = lines.flatMap(loggedBytes).join('\n');
    for (const key of [admin, sk, pk, proxy]) {
      for (const secret of forbidden(key)) {
        assert.ok(!exit.stdout.includes(secret), `${secret} (a form of ${key.slice(0, 3)}…) is on stdout`);
        assert.ok(!exit.stderr.includes(secret), `${secret} (a form of ${key.slice(0, 3)}…) is on stderr`);
        assert.ok(!bytes.includes(secret), `${secret} (a form of ${key.slice(0, 3)}…) is logged as bytes`);
      }
    }
    // The log is not empty: every request has its lines, named by route.
    const incoming = lines.filter((line) => line.msg === 'incoming request');
    assert.equal(incoming.length, sent, output(exit));
    assert.equal(lines.filter((line) => line.msg === 'request completed').length, sent - undecodable, output(exit));
    assert.ok(incoming.some((line) => line.req?.route === '/api/v1/clients/:id/events'), 'matched routes are named by their pattern');
    assert.ok(incoming.some((line) => line.req?.route === '(no route)'), 'unknown paths are logged without the path');
    assert.ok(lines.some((line) => line.msg === 'client error'), 'the unparsable request was logged');
  });
});

describe('request lines by level', () => {
  const traffic = async (server: RunningServer, admin: string): Promise<number> => {
    const paths = ['/healthz', '/api/v1/clients', '/api/v1/clients/missing', '/no-such-page', '/api/v1/clients?bogus=1'];
    for (const path of paths) await send(server, 'GET', path, { authorization: `Bearer ${admin}` });
    return paths.length;
  };

  it('writes no line per request at the default level, info', async () => {
    const admin = `mk_${randomBytes(24).toString('hex')}`;
    const server = await startServer({ dataDir: newDataDir(), adminKey: admin, logLevel: 'info' });
    await traffic(server, admin);
    server.kill('SIGTERM');
    const exit = await server.waitForExit();
    assert.equal(exit.code, 0, output(exit));
    const perRequest = logLines(exit).filter((line) => line.reqId !== undefined || line.req !== undefined);
    assert.deepEqual(perRequest, [], output(exit));
  });

  it('writes each request’s lines at debug', async () => {
    const admin = `mk_${randomBytes(24).toString('hex')}`;
    const server = await startServer({ dataDir: newDataDir(), adminKey: admin, logLevel: 'debug' });
    const count = await traffic(server, admin);
    server.kill('SIGTERM');
    const exit = await server.waitForExit();
    assert.equal(exit.code, 0, output(exit));
    const lines = logLines(exit);
    assert.equal(lines.filter((line) => line.msg === 'incoming request' && line.level === 20).length, count, output(exit));
    assert.equal(lines.filter((line) => line.msg === 'request completed' && line.level === 20).length, count, output(exit));
  });
});

describe('what stays visible at info', () => {
  it('logs a request answered 5xx at warn and a bug at error, with the request id, and nothing for the others', async () => {
    const written: LogLine[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(JSON.parse(chunk.toString()) as LogLine);
        done();
      },
    });
    const app = Fastify({ logger: { ...loggerOptions('info'), stream }, logController: new RequestLog() });
    installErrorHandling(app);
    app.get('/fine', async () => ({ ok: true }));
    app.get('/refused', async () => {
      throw new ApiError(400, 'validation_error', 'no');
    });
    app.get('/busy', async () => {
      throw new ApiError(503, 'overloaded', 'busy');
    });
    app.get('/bug', async () => {
      throw new Error('a bug');
    });
    for (const url of ['/fine', '/refused', '/missing', '/busy', '/bug']) await app.inject({ method: 'GET', url });
    await app.close();
    const summary = written.map((line) => [line.level, line.msg, line.req?.route, typeof line.reqId]);
    assert.deepEqual(summary, [
      [40, 'request failed', '/busy', 'string'],
      [50, 'unhandled error', undefined, 'string'],
      [40, 'request failed', '/bug', 'string'],
    ]);
  });
});

describe('credentials in the query string only under their exact name', () => {
  it('refuses ?admin_key= and ?key= under an encoded name with a 401, and stores nothing from such a request', async () => {
    const admin = `mk_${randomBytes(24).toString('hex')}`;
    const server = await startServer({ dataDir: newDataDir(), adminKey: admin });
    const created = await send(server, 'POST', `/api/v1/clients?admin_key=${admin}`, { 'content-type': 'application/json' }, '{"id":"exact","name":"Exact"}');
    assert.equal(created.status, 201, 'the exact name authenticates');
    const { publishable_key: pk, secret_key: sk } = created.body?.data as ClientView;

    for (const name of ['admin%5Fkey', 'admin%5fkey', '%61dmin_key', 'admin_k%65y', '%61%64%6D%69%6E%5F%6B%65%79']) {
      const refused = await send(server, 'GET', `/api/v1/clients?${name}=${admin}`);
      assert.equal(refused.status, 401, name);
      assert.equal(refused.body?.code, 'unauthorized');
      assert.match(refused.body?.error ?? '', /\?admin_key= exactly/);
      // Refused even beside a valid header: an alias is never silently ignored.
      assert.equal((await send(server, 'GET', `/api/v1/clients?${name}=x`, { authorization: `Bearer ${admin}` })).status, 401, `${name} with a header`);
      assert.equal((await send(server, 'GET', `/api/v1/clients/exact/events?${name}=${sk}`)).status, 401, `${name} with the secret key`);
      const write = await send(server, 'POST', `/api/v1/clients?${name}=${admin}`, { 'content-type': 'application/json' }, '{"id":"aliased","name":"Aliased"}');
      assert.equal(write.status, 401);
    }
    assert.equal((await send(server, 'GET', `/api/v1/clients?admin_key=${admin}&admin_key=${admin}`)).status, 401, 'the key given twice');
    assert.equal((await send(server, 'GET', `/api/v1/clients/exact/events?admin_key=${sk}`)).status, 200, 'the exact name takes a secret key where one is accepted');
    assert.equal((await send(server, 'GET', `/api/v1/clients/aliased?admin_key=${admin}`)).status, 404, 'no aliased create was stored');

    const text = { 'content-type': 'text/plain' };
    assert.equal((await send(server, 'POST', `/e?key=${pk}`, text, EVENT)).status, 200, 'the exact name on /e');
    for (const name of ['%6Bey', 'k%65y', '%6b%65%79']) {
      const refused = await send(server, 'POST', `/e?${name}=${pk}`, text, EVENT);
      assert.equal(refused.status, 401, name);
      assert.match(refused.body?.error ?? '', /\?key= exactly/);
      // Not even with the key also in the body.
      assert.equal((await send(server, 'POST', `/e?${name}=${pk}`, text, EVENT.replace('{', `{"api_key":"${pk}",`))).status, 401, `${name} with api_key`);
    }
    const events = await send(server, 'GET', `/api/v1/clients/exact/events?admin_key=${admin}`);
    assert.equal(events.status, 200);
    assert.equal((events.body?.data as unknown[]).length, 1, 'only the exactly keyed event was stored');
    server.kill('SIGTERM');
    await server.waitForExit();
  });
});
