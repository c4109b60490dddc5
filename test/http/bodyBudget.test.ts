// The bytes of bodies arriving at once, against a real server process: one address that announces
// bodies and never sends them may hold only its own share, whatever the route or method (an
// OPTIONS with a body and a POST to no route are read as well), and never refuse anyone else.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_BODY_BUDGET } from '../../src/http/bodyBudget.js';
import { ADMIN_KEY } from '../helpers/api.js';
import { startServer, stopAllServers, type RunningServer } from '../helpers/server.js';

const DECLARED = 1_000_000;
/** How many announced bodies of DECLARED bytes one address may have arriving at once. */
const SHARE = Math.floor(DEFAULT_BODY_BUDGET.perAddressBytes / DECLARED);

interface Held {
  socket: Socket;
  /** What the server answered within `ms`, or null when it is still waiting for the body. */
  answerWithin(ms: number): Promise<string | null>;
}

/** Sends only the headers of a request announcing DECLARED bytes, from `localAddress`. */
function announce(baseUrl: string, localAddress: string, requestLine: string, contentType: string): Promise<Held> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port), localAddress });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write(`${requestLine}\r\nHost: localhost\r\nContent-Type: ${contentType}\r\nContent-Length: ${DECLARED}\r\n\r\n`);
      resolve({
        socket,
        answerWithin: async (ms) => {
          const deadline = Date.now() + ms;
          while (text === '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
          return text === '' ? null : text;
        },
      });
    });
    socket.once('error', reject);
  });
}

const statusOf = (answer: string | null): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer ?? '')?.[1] ?? 0);

describe('bodies arriving at once, against a real server process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-body-budget-'));
  let server: RunningServer;
  let pk: string;
  const held: Socket[] = [];

  before(async () => {
    // The per-address request limit is off, so that only the body budget refuses anything here.
    server = await startServer({ dataDir, adminKey: ADMIN_KEY, env: { MYTHIC_RATE_LIMIT_PER_IP: '0' } });
    const res = await fetch(`${server.baseUrl}/api/v1/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'budget', name: 'Budget' }),
    });
    assert.equal(res.status, 201);
    pk = ((await res.json()) as { data: { publishable_key: string } }).data.publishable_key;
  });
  after(async () => {
    for (const socket of held) socket.destroy();
    await stopAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const sendEvent = (localAddress: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ event: '$pageview', distinct_id: 'visitor', properties: { $current_url: 'https://budget.example/' } });
      const { port } = new URL(server.baseUrl);
      const socket = connect({ host: '127.0.0.1', port: Number(port), localAddress }, () => {
        socket.write(`POST /e?key=${pk} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      });
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.once('close', () => resolve(statusOf(text)));
      socket.once('error', reject);
    });

  for (const [what, requestLine, contentType] of [
    ['POST /batch without a key', 'POST /batch HTTP/1.1', 'text/plain'],
    ['OPTIONS /e with a body', 'OPTIONS /e HTTP/1.1', 'text/plain'],
    ['a JSON POST to no route', 'POST /no-such-route HTTP/1.1', 'application/json'],
  ] as const) {
    it(`lets one address hold only its share with ${what}, refusing the rest from their headers, and serves another address`, async () => {
      const attacker = '127.0.0.1';
      const announced: Held[] = [];
      for (let i = 0; i < SHARE + 6; i += 1) announced.push(await announce(server.baseUrl, attacker, requestLine, contentType));
      held.push(...announced.map((a) => a.socket));
      const answers = await Promise.all(announced.map((a) => a.answerWithin(1_500)));
      const waiting = answers.filter((a) => a === null).length;
      const refused = answers.filter((a) => statusOf(a) === 503 && /"code":"overloaded"/.test(a ?? '')).length;
      assert.equal(waiting, SHARE, `${SHARE} bodies of ${DECLARED} bytes fit one address's share: ${answers.map(statusOf).join(',')}`);
      assert.equal(refused, 6, 'the rest are refused at once');
      assert.ok(answers.every((a) => a === null || /retry-after: 1/i.test(a)), 'with Retry-After');

      assert.equal(await sendEvent('127.0.0.2'), 200, 'another address is not refused');
      // The share comes back once the held bodies are gone.
      for (const a of announced) a.socket.destroy();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await sendEvent(attacker), 200, 'the address may send again once its bodies are gone');
    });
  }
});
