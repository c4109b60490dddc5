// Slow and idle connections against a real server process: 500 connections that each sent part of
// an /e body and then a byte now and then once held hundreds of MiB and were never cut, idle
// keep-alive connections stayed 72 s, and a bad key in the URL was judged only after the body.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkingIntervalMs } from '../../src/http/timeouts.js';
import { ADMIN_KEY } from '../helpers/api.js';
import { startServer, stopAllServers, type RunningServer } from '../helpers/server.js';

const REQUEST_TIMEOUT_S = 3;
const HEADERS_TIMEOUT_S = 1;
const KEEP_ALIVE_TIMEOUT_S = 1;
const INTERVAL_MS = checkingIntervalMs({ requestMs: REQUEST_TIMEOUT_S * 1000, headersMs: HEADERS_TIMEOUT_S * 1000, keepAliveMs: 0 });
/** Room for a busy 2-core machine between the server cutting a connection and this process seeing it. */
const SLACK_MS = 2_500;

const SLOW_UPLOADS = 500;
/** Most of the declared body, as in the attack that took the server to over 700 MiB. */
const SENT_PER_UPLOAD = 960 * 1024;
const DECLARED_LENGTH = 1_000_000;
const DRIP_EVERY_MS = 500;

/** The server's resident memory in MiB, from /proc. */
function rssMiB(pid: number): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(line?.[1], 'VmRSS in /proc/<pid>/status');
  return Number(line[1]) / 1024;
}

interface RawConnection {
  socket: Socket;
  /** Everything the server sent. */
  received(): string;
  /** Resolves with ms since the connection opened when the server closes it (or it fails). */
  closed: Promise<number>;
  /** Resolves once the server has sent something. */
  answered: Promise<string>;
}

/** A plain TCP connection to the server, speaking HTTP by hand so that it can be slow on purpose. */
function rawConnection(baseUrl: string): Promise<RawConnection> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: hostname, port: Number(port) });
    let text = '';
    let onAnswer: (value: string) => void = () => undefined;
    const answered = new Promise<string>((resolveAnswer) => {
      onAnswer = resolveAnswer;
    });
    const closed = new Promise<number>((resolveClosed) => {
      socket.once('close', () => resolveClosed(Date.now() - started));
    });
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      onAnswer(text);
    });
    // A reset after the server cut the connection is expected; it still ends in 'close'.
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => text, closed, answered }));
    socket.once('error', reject);
  });
}

/** Rejects if `promise` takes longer than `ms`; the test then fails instead of hanging. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const statusOf = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
const bodyOf = (response: string): { code?: string; success?: boolean } => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { code?: string };

describe('slow and idle connections, against a real server process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-slow-'));
  let server: RunningServer;
  let pk: string;
  let inactivePk: string;

  const admin = async (method: string, path: string, body?: unknown): Promise<{ data: { publishable_key?: string } }> => {
    const res = await fetch(`${server.baseUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    assert.ok(res.ok, `${method} ${path}: ${res.status}`);
    return (await res.json()) as { data: { publishable_key?: string } };
  };

  before(async () => {
    server = await startServer({
      dataDir,
      adminKey: ADMIN_KEY,
      env: {
        MYTHIC_REQUEST_TIMEOUT: String(REQUEST_TIMEOUT_S),
        MYTHIC_HEADERS_TIMEOUT: String(HEADERS_TIMEOUT_S),
        MYTHIC_KEEP_ALIVE_TIMEOUT: String(KEEP_ALIVE_TIMEOUT_S),
        // Every connection comes from 127.0.0.1: the per-address limit would refuse most of them.
        MYTHIC_RATE_LIMIT_PER_IP: '0',
      },
    });
    pk = (await admin('POST', '/clients', { id: 'slow', name: 'Slow' })).data.publishable_key as string;
    inactivePk = (await admin('POST', '/clients', { id: 'gone', name: 'Gone' })).data.publishable_key as string;
    await admin('DELETE', '/clients/gone');
  });
  after(async () => {
    await stopAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses an unknown, secret or inactive key in the URL, and an unknown bearer key, from the headers alone', async () => {
    const cases = [
      { path: `/e?key=pk_${'0'.repeat(32)}`, auth: '', status: 401, code: 'unauthorized' },
      { path: `/e?key=sk_${'0'.repeat(32)}`, auth: '', status: 401, code: 'unauthorized' },
      { path: `/e?key=${inactivePk}`, auth: '', status: 403, code: 'client_inactive' },
      { path: '/batch', auth: `Authorization: Bearer sk_${'0'.repeat(32)}\r\n`, status: 401, code: 'unauthorized' },
    ];
    for (const { path, auth, status, code } of cases) {
      const connection = await rawConnection(server.baseUrl);
      // Only the headers: the body of 100 KB announced never comes.
      connection.socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\n${auth}Content-Type: text/plain\r\nContent-Length: 100000\r\n\r\n`);
      const answer = await within(connection.answered, REQUEST_TIMEOUT_S * 1000 - 500, `${path} answered before the request timeout`);
      assert.equal(statusOf(answer), status, answer);
      assert.match(answer, /\r\nconnection: close\r\n/i, 'the unread body is not waited for');
      await within(connection.closed, 2_000, 'closed after the answer');
      assert.equal(bodyOf(connection.received()).code, code);
    }
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const connection = await rawConnection(server.baseUrl);
    connection.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const answer = await within(connection.answered, 5_000, 'healthz');
    assert.equal(statusOf(answer), 200);
    const openFor = await within(connection.closed, KEEP_ALIVE_TIMEOUT_S * 1000 + SLACK_MS + 2_000, 'the idle connection closed');
    assert.ok(openFor < KEEP_ALIVE_TIMEOUT_S * 1000 + SLACK_MS, `closed after ${openFor} ms`);
  });

  it('cuts a connection whose headers do not arrive within the header timeout, with a 408 in the error envelope', async () => {
    const connection = await rawConnection(server.baseUrl);
    connection.socket.write(`POST /e?key=${pk} HTTP/1.1\r\nHost: localhost\r\n`);
    const drip = setInterval(() => connection.socket.write('X-Slow: 1\r\n'), 200);
    try {
      const openFor = await within(connection.closed, HEADERS_TIMEOUT_S * 1000 + INTERVAL_MS + SLACK_MS + 2_000, 'cut');
      assert.ok(openFor < HEADERS_TIMEOUT_S * 1000 + INTERVAL_MS + SLACK_MS, `cut after ${openFor} ms`);
      assert.equal(statusOf(connection.received()), 408, connection.received());
      assert.deepEqual(bodyOf(connection.received()), { success: false, data: null, error: 'The request was not received in time', code: 'request_timeout' });
    } finally {
      clearInterval(drip);
    }
  });

  it('answers an upload refused from its headers even to a client still sending its body and reading late', async () => {
    // 40 uploads of 1 MB at once from one address: the first 8 fit its 8 MiB budget, the rest are
    // refused (503); then five with an unknown key (401). Each keeps sending its body and reads
    // only after 500 ms, as a busy client does. Closed at once, such a connection fails the
    // client's next write (EPIPE) and the answer it had not read yet is lost: all 32 refusals were.
    const send = (path: string): Promise<string> =>
      new Promise((resolve) => {
        const { hostname, port } = new URL(server.baseUrl);
        const socket = connect({ host: hostname, port: Number(port) });
        let text = '';
        socket.setEncoding('latin1');
        socket.on('data', (chunk: string) => {
          text += chunk;
        });
        socket.on('error', () => undefined);
        socket.once('close', () => resolve(text));
        socket.once('connect', () => {
          socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: ${DECLARED_LENGTH}\r\n\r\n`);
          socket.pause();
          let sent = 0;
          const drip = setInterval(() => {
            if (socket.destroyed || sent >= DECLARED_LENGTH) return clearInterval(drip);
            socket.write(Buffer.alloc(50_000, 0x20));
            sent += 50_000;
          }, 20);
          setTimeout(() => socket.resume(), 500);
        });
      });
    const answers = await within(Promise.all(Array.from({ length: 40 }, () => send(`/e?key=${pk}`))), 15_000, 'every upload answered or closed');
    const statuses = answers.map(statusOf);
    // The 8 taken in end in a 400: spaces are no JSON.
    assert.deepEqual(
      [...statuses].sort((a, b) => a - b),
      [...Array<number>(8).fill(400), ...Array<number>(32).fill(503)],
      `statuses (0: no answer): ${statuses.join(' ')}`,
    );
    for (const answer of answers.filter((a) => statusOf(a) === 503)) assert.equal(bodyOf(answer).code, 'overloaded');
    // Refused by the ingestion gate (an unknown key), once the budget is free again.
    const unknownKey = await within(Promise.all(Array.from({ length: 5 }, () => send(`/e?key=pk_${'0'.repeat(32)}`))), 15_000, 'every upload answered or closed');
    assert.deepEqual(unknownKey.map(statusOf), [401, 401, 401, 401, 401]);
  });

  it(`cuts or refuses ${SLOW_UPLOADS} slow /e uploads of nearly 1 MiB each, with memory bounded and /healthz answering`, async () => {
    const pid = server.child.pid as number;
    const rssBefore = rssMiB(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssMiB(pid));
    }, 100);
    const health: { status: number; ms: number }[] = [];
    let checking = true;
    const healthChecks = (async () => {
      while (checking) {
        const started = Date.now();
        const res = await fetch(`${server.baseUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
        await res.arrayBuffer();
        health.push({ status: res.status, ms: Date.now() - started });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();

    const chunk = Buffer.alloc(SENT_PER_UPLOAD, 0x20);
    const uploads: RawConnection[] = [];
    const drips: NodeJS.Timeout[] = [];
    try {
      for (let i = 0; i < SLOW_UPLOADS; i += 1) {
        const upload = await rawConnection(server.baseUrl);
        upload.socket.write(
          `POST /e?key=${pk} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: ${DECLARED_LENGTH}\r\n\r\n`,
        );
        upload.socket.write(chunk);
        const drip = setInterval(() => {
          if (!upload.socket.destroyed) upload.socket.write(' ');
        }, DRIP_EVERY_MS);
        drips.push(drip);
        void upload.closed.then(() => clearInterval(drip));
        uploads.push(upload);
      }
      const bound = REQUEST_TIMEOUT_S * 1000 + INTERVAL_MS + SLACK_MS;
      // Each is measured from its own start; the wait as a whole is bounded so the test stops by itself.
      const openFor = await within(Promise.all(uploads.map((u) => u.closed)), bound + 3_000, `all ${SLOW_UPLOADS} slow uploads cut`);
      const longest = Math.max(...openFor);
      const timedOut = uploads.filter((u) => statusOf(u.received()) === 408).length;
      const refused = uploads.filter((u) => statusOf(u.received()) === 503 && bodyOf(u.received()).code === 'overloaded').length;
      const rssAfter = rssMiB(pid);
      process.stdout.write(
        `# ${SLOW_UPLOADS} slow uploads of ${SENT_PER_UPLOAD / 1024} KiB each: RSS ${rssBefore.toFixed(0)} MiB before, ` +
          `${rssPeak.toFixed(0)} MiB at most, ${rssAfter.toFixed(0)} MiB after; longest open ${longest} ms; ` +
          `${timedOut} answered 408, ${refused} refused at once (503); /healthz ${health.length} × ${[...new Set(health.map((h) => h.status))].join('/')}, slowest ${Math.max(...health.map((h) => h.ms))} ms\n`,
      );
      assert.ok(longest < bound, `every slow upload was cut within ${bound} ms (the longest: ${longest} ms)`);
      assert.ok(timedOut + refused > SLOW_UPLOADS * 0.9, `most were told why (408 or 503): ${timedOut} + ${refused}`);
      assert.ok(refused > 0, 'bodies beyond what may arrive at once were refused from their headers');
      // 500 × 960 KiB would be 469 MiB of bodies; one address may have at most 8 MiB (and everyone
      // together at most 64 MiB) taken in at once; the rest is sockets and the heap's growth.
      assert.ok(rssPeak - rssBefore < 200, `RSS grew by ${(rssPeak - rssBefore).toFixed(0)} MiB`);
    } finally {
      for (const drip of drips) clearInterval(drip);
      for (const upload of uploads) upload.socket.destroy();
      checking = false;
      await healthChecks;
      clearInterval(sampler);
    }
    assert.ok(health.length >= 3, `/healthz was asked throughout (${health.length} times)`);
    assert.ok(
      health.every((h) => h.status === 200),
      `/healthz answered 200 every time: ${health.map((h) => h.status).join(',')}`,
    );
    const res = await fetch(`${server.baseUrl}/e?key=${pk}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ event: 'after', distinct_id: 'u' }) });
    assert.equal(res.status, 200, 'ingestion works once they are gone');
    // Their room is given back: a body of nearly 1 MiB fits again (and is judged, not refused).
    const big = await fetch(`${server.baseUrl}/e?key=${pk}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `${' '.repeat(DECLARED_LENGTH - 2)}{}` });
    assert.equal(big.status, 400, await big.text());
  });
});
