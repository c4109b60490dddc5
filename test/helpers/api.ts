import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { after, before } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientView } from '../../src/clients/schemas.js';
import type { FieldProblem } from '../../src/http/apiError.js';
import { buildApp, type AppOptions } from '../../src/app.js';
import type { EventStore } from '../../src/events/eventStore.js';
import { sha256Hex } from '../../src/keys/secrets.js';
import type { MetaStore } from '../../src/store/metaStore.js';
import { ContractChecker } from './contract.js';
import { DUCKDB_ENGINE, type EngineKind } from './engines.js';
import type { OpenedStore, StoreKind } from './stores.js';

export const ADMIN_KEY = 'mk_test_0123456789abcdef0123456789abcdef';
export const ADMIN = { authorization: `Bearer ${ADMIN_KEY}` };

/** A clock the test moves by hand; starts at a fixed instant so results do not depend on today. */
export class TestClock {
  constructor(public now = Date.parse('2026-03-01T12:00:00.000Z')) {}
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export interface Reply<T = Envelope> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

/** Every response body of the API: the envelope, with the fields each kind of answer carries. */
export interface Envelope<T = ClientView> {
  success: boolean;
  data: T;
  count?: number;
  next_cursor?: string | null;
  error?: string;
  code?: string;
  details?: FieldProblem[];
  /** true for hostnames and agencies; the client's id for a client (as the docs show). */
  deleted?: boolean | string;
  hard?: boolean;
  detached_clients?: number;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw payload sent as-is (with the headers given), for malformed-input tests. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  /** Send without the admin key. */
  anonymous?: boolean;
}

export interface TestApi {
  app: FastifyInstance;
  store: MetaStore;
  /** A real event store of the engine under test (DuckDB in memory by default), private to this app. */
  events: EventStore;
  /** Waits until every acknowledged event is in `events` (they reach it from the journal moments later). */
  settled(): Promise<void>;
  opened: OpenedStore;
  clock: TestClock;
  contract: ContractChecker;
  request<T = Envelope>(method: string, url: string, options?: RequestOptions): Promise<Reply<T>>;
  close(): Promise<void>;
}

/** Options of the app under test other than its stores, key and clock (rate limits, queue bounds…). */
export type AppOverrides = Partial<Omit<AppOptions, 'store' | 'events' | 'journalDir' | 'adminKeyHash' | 'clock'>>;

/**
 * Builds the real app on a real MetaStore of `kind` and a real event store of `engine`; every
 * response is checked against the OpenAPI document.
 */
export async function startApi(kind: StoreKind, overrides: AppOverrides = {}, engine: EngineKind = DUCKDB_ENGINE): Promise<TestApi> {
  const opened = await kind.open();
  const engineOpened = await engine.open();
  const events = engineOpened.store;
  const journalDir = mkdtempSync(join(tmpdir(), 'mythic-journal-'));
  const clock = new TestClock();
  const app = await buildApp({
    logLevel: false,
    ...overrides,
    store: opened.store,
    events,
    journalDir,
    adminKeyHash: sha256Hex(ADMIN_KEY),
    clock: clock.read,
  });
  await app.ready();
  const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: ADMIN })).json();
  const contract = new ContractChecker(doc);
  const request = async <T = Envelope>(method: string, url: string, options: RequestOptions = {}): Promise<Reply<T>> => {
    const headers: Record<string, string> = { ...(options.anonymous ? {} : ADMIN), ...options.headers };
    let payload: string | Buffer | undefined;
    if (options.raw !== undefined) payload = options.raw;
    else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await app.inject({ method: method as 'GET', url, headers, payload });
    const body = response.body === '' ? undefined : (response.json() as T);
    contract.check(method, url, response.statusCode, body);
    return { status: response.statusCode, body: body as T, headers: response.headers };
  };
  return {
    app,
    store: opened.store,
    events,
    settled: () => app.eventsSettled(),
    opened,
    clock,
    contract,
    request,
    close: async () => {
      await app.close();
      await engineOpened.dispose();
      await opened.dispose();
      rmSync(journalDir, { recursive: true, force: true });
    },
  };
}

/** The body of the "Create client" page, exactly as the original documentation shows it. */
export const SEED_CLIENT = {
  id: 'acme-retail',
  name: 'Acme Retail',
  status: true,
  domain: 'acme-retail.com',
  email: 'ops@acme-retail.com',
  phone: '+1-415-555-0198',
  website: 'https://acme-retail.com',
  timezone: 'America/Los_Angeles',
  global_name: 'acmeRetail',
  company_id: 'cmp_7kH3nPqR',
  agency_id: 'example_string',
  api_metadata: { plan: 'enterprise', region: 'us-west' },
  ghl_location_id: 'example_string',
  proxy_api_key: 'example_string',
};

/**
 * One app for a whole suite: started before its tests, closed after them with a check that the
 * OpenAPI contract was exercised. `newClient` creates `<prefix>-1`, `<prefix>-2`, … and returns the id.
 */
export function suiteApi(kind: StoreKind, prefix: string, engine: EngineKind = DUCKDB_ENGINE): { api(): TestApi; newClient(extra?: Record<string, unknown>): Promise<string> } {
  let started: TestApi | undefined;
  let n = 0;
  const api = (): TestApi => {
    if (started === undefined) throw new Error('the suite app is used before its before() hook ran');
    return started;
  };
  before(async () => {
    started = await startApi(kind, {}, engine);
  });
  after(async () => {
    assert.ok(api().contract.checked > 0, 'responses were checked against the OpenAPI document');
    await api().close();
  });
  const newClient = async (extra: Record<string, unknown> = {}): Promise<string> => {
    n += 1;
    const id = `${prefix}-${n}`;
    const res = await api().request('POST', '/api/v1/clients', { body: { id, name: `${prefix} ${n}`, ...extra } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return id;
  };
  return { api, newClient };
}
