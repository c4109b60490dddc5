import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Request } from 'playwright-core';
import type { WireEvent } from '../../sdk/src/core/wire.js';
import { startServer, type RunningServer } from '../helpers/server.js';

export type { WireEvent };

/**
 * Shared pieces of the browser end-to-end tests: Debian's Chromium driven by playwright-core, a
 * real `mythic serve` process, and a loopback "customer site" on another port that embeds the
 * loader, so every request the SDK makes is a real cross-origin request.
 */

export const CHROMIUM_PATH = '/usr/bin/chromium';
/**
 * Why the browser tests are skipped, or false. MYTHIC_TEST_SKIP_BROWSER=1 skips them on purpose:
 * CI's second pass (Node 24) runs the server suites again on another Node, while what the browser
 * tests check (the dashboard, the SDK, the loader in Chromium) does not change with the server's
 * Node, and they are a fifth of the suite's time.
 */
export const CHROMIUM_SKIP: string | false =
  process.env.MYTHIC_TEST_SKIP_BROWSER === '1'
    ? 'browser tests skipped: MYTHIC_TEST_SKIP_BROWSER=1 (they ran in the Node 20 pass)'
    : existsSync(CHROMIUM_PATH)
      ? false
      : `browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium; .ci/run installs it)`;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless Chromium announces itself as HeadlessChrome, which ingestion rightly flags as a bot. */
export const DESKTOP_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** A fresh context (own cache, storage and cookies) whose third-party tag requests never leave the machine. */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ userAgent: DESKTOP_USER_AGENT });
  context.setDefaultTimeout(15_000);
  await context.route(/^https?:\/\/(?!127\.0\.0\.1|[\w.-]*localhost)/, (route) => route.abort('blockedbyclient'));
  return context;
}

export const ADMIN_KEY = 'mk_e2e_0123456789abcdef0123456789abcdef';

export interface CreatedClient {
  id: string;
  publishable_key: string;
  global_name: string | null;
}

/** What GET /api/v1/clients/{id}/events returns for one event (the fields the tests read). */
export interface StoredEventView {
  uuid: string;
  event: string;
  distinct_id: string;
  timestamp: string;
  $session_id: string | null;
  $device_id: string | null;
  $anon_distinct_id: string | null;
  properties: Record<string, unknown>;
  path: string | null;
  referrer_host: string | null;
}

export interface MythicServer {
  baseUrl: string;
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  createClient(fields: Record<string, unknown>): Promise<CreatedClient>;
  /** The client's stored events, oldest first. */
  events(clientId: string): Promise<StoredEventView[]>;
  /** Polls the stored events until `done` holds for them; fails with what was stored after `timeoutMs`. */
  waitForEvents(clientId: string, done: (events: StoredEventView[]) => boolean, timeoutMs?: number): Promise<StoredEventView[]>;
  stop(): Promise<void>;
}

export async function startMythic(): Promise<MythicServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-e2e-'));
  let server: RunningServer;
  try {
    server = await startServer({ dataDir, adminKey: ADMIN_KEY });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const baseUrl = server.baseUrl;
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  };
  const events = async (clientId: string): Promise<StoredEventView[]> => {
    const res = await admin<{ data: StoredEventView[] }>('GET', `/api/v1/clients/${clientId}/events?limit=500`);
    if (res.status !== 200) throw new Error(`GET events answered ${res.status}: ${JSON.stringify(res.body)}`);
    return [...res.body.data].reverse();
  };
  return {
    baseUrl,
    admin,
    createClient: async (fields) => {
      const res = await admin<{ data: CreatedClient }>('POST', '/api/v1/clients', fields);
      if (res.status !== 201) throw new Error(`creating a client answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.data;
    },
    events,
    waitForEvents: async (clientId, done, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const stored = await events(clientId);
        if (done(stored)) return stored;
        if (Date.now() > deadline) {
          throw new Error(`timed out waiting for events of ${clientId}; stored: ${JSON.stringify(stored.map((e) => [e.event, e.properties.$pathname]))}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    stop: async () => {
      server.kill('SIGTERM');
      await server.waitForExit();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Site {
  port: number;
  /** e.g. http://shop.localhost:41234: Chromium resolves every *.localhost name to loopback. */
  url(host: string, path?: string): string;
  close(): Promise<void>;
}

/**
 * Customers' sites on 127.0.0.1, told apart by host name: `render` answers every path (as an SPA's
 * server does), or null for a 404.
 */
export async function startSite(render: (host: string, path: string) => string | null): Promise<Site> {
  const server: Server = createServer((request, response) => {
    const host = (request.headers.host ?? '').replace(/:\d+$/, '');
    const page = render(host, new URL(request.url ?? '/', 'http://site').pathname);
    response.writeHead(page === null ? 404 : 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(page ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: (host, path = '/') => `http://${host}:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An HTML page: `head` goes first (inline snippets that queue calls), then the loaders, async. */
export function html(options: { loaders: string[]; head?: string; body?: string; title?: string }): string {
  const loaders = options.loaders.map((src) => `<script async src="${src}"></script>`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${options.title ?? 'Test shop'}</title>${options.head ?? ''}\n${loaders}</head><body><h1>Test shop</h1>${options.body ?? ''}</body></html>`;
}

export interface SentBatch {
  url: URL;
  contentType: string | undefined;
  events: WireEvent[];
}

/**
 * The SDK's event requests as the browser sent them, for checks the server's answer cannot show
 * (that nothing was sent, what the body looked like). Requests sent while a page unloads are not
 * reported by the browser: those are checked on the server.
 */
export class NetworkLog {
  readonly batches: SentBatch[] = [];

  constructor(context: BrowserContext) {
    context.on('request', (request: Request) => {
      const url = new URL(request.url());
      if (request.method() !== 'POST' || url.pathname !== '/e') return;
      const body = request.postData();
      const parsed = body === null ? { batch: [] } : (JSON.parse(body) as { batch: WireEvent[] });
      this.batches.push({ url, contentType: request.headers()['content-type'], events: parsed.batch });
    });
  }

  events(key?: string): WireEvent[] {
    return this.batches.filter((b) => key === undefined || b.url.searchParams.get('key') === key).flatMap((b) => b.events);
  }

  async waitFor(done: (events: WireEvent[]) => boolean, timeoutMs = 10_000): Promise<WireEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.events())) {
      if (Date.now() > deadline) throw new Error(`timed out; sent so far: ${JSON.stringify(this.events().map((e) => e.event))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.events();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
