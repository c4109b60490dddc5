import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a receiver does with the next request. */
export type Behaviour = 'ok' | 'fail' | 'hang';

export interface Received {
  at: number;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: Behaviour;
}

/**
 * A real HTTP receiver on loopback, for webhook tests: answers 204, 500 or nothing at all as the
 * test says (a queue of behaviours, then a default), and keeps every request it got.
 */
export class Receiver {
  readonly received: Received[] = [];
  behaviour: Behaviour = 'ok';
  readonly next: Behaviour[] = [];
  private server: Server | null = null;
  port = 0;

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answered = this.next.shift() ?? this.behaviour;
        this.received.push({ at: Date.now(), url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
        if (answered === 'ok') res.writeHead(204).end();
        else if (answered === 'fail') res.writeHead(500).end('nope');
        // 'hang': never answers; the sender's timeout ends it.
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Deliveries answered 2xx (a delivery may arrive more than once: at least once). */
  delivered(): Received[] {
    return this.received.filter((r) => r.answered === 'ok');
  }

  async waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting; received: ${this.received.map((r) => `${r.answered} ${r.body.slice(0, 80)}`).join(' | ')}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Verifies Mythic-Signature as the README tells receivers to (with a 5-minute tolerance). */
export function signatureValid(secret: string, header: string | string[] | undefined, body: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(typeof header === 'string' ? header : '');
  if (!match) return false;
  const [, t, v1] = match as unknown as [string, string, string];
  if (Math.abs(nowSeconds - Number(t)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return timingSafeEqual(Buffer.from(expected), Buffer.from(v1));
}
