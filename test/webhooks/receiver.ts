import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Milliseconds instead of minutes: polling, retries, batching and disabling all happen within a test. */
export const FAST_WEBHOOKS = {
  outboundAllow: ['127.0.0.1/32'],
  webhooks: {
    dispatcher: {
      pollMs: 20,
      leaseMs: 2000,
      timeoutMs: 300,
      retry: { firstDelayMs: 30, maxDelayMs: 120, maxAttempts: 3, maxAgeMs: 60_000 },
      disable: { afterFailedDeliveries: 2, afterFailingMs: 60_000 },
      // Always near the top of the jitter range: the back-off is then visible in the arrival times.
      random: () => 0.99,
    },
    publisher: { flushMs: 40 },
  },
};

/** What a receiver does with the next request. */
export type Behaviour = 'ok' | 'fail' | 'hang';

export interface Received {
  at: number;
  /** When the answer was sent (after `delayMs`); null for 'hang'. */
  answeredAt: number | null;
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
  /** Answers this long after the request arrived (a slow receiver, so overlapping senders would show). */
  delayMs = 0;
  private server: Server | null = null;
  port = 0;

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answered = this.next.shift() ?? this.behaviour;
        const received: Received = { at: Date.now(), answeredAt: null, url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered };
        this.received.push(received);
        const answer = (): void => {
          if (answered === 'hang') return; // never answers; the sender's timeout ends it
          received.answeredAt = Date.now();
          if (answered === 'ok') res.writeHead(204).end();
          else res.writeHead(500).end('nope');
        };
        if (this.delayMs > 0) setTimeout(answer, this.delayMs);
        else answer();
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

/** Subscribes the receiver to `events` through the API (admin key); the webhook's signing secret. */
export async function subscribe(api: { request: (method: string, url: string, options?: { body?: unknown }) => Promise<{ status: number; body: unknown }> }, receiver: Receiver, events: string[], path = '/hook'): Promise<string> {
  const res = await api.request('POST', '/api/v1/links/webhooks', { body: { url: receiver.url(path), events } });
  if (res.status !== 201) throw new Error(`webhook not created: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { data: { secret: string } }).data.secret;
}

/** The payloads of the deliveries answered 2xx, in arrival order. */
export function deliveredPayloads(receiver: Receiver): { id: string; event: string; created_at: string; data: Record<string, unknown> }[] {
  return receiver.delivered().map((r) => JSON.parse(r.body) as { id: string; event: string; created_at: string; data: Record<string, unknown> });
}
