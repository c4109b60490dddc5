import assert from 'node:assert/strict';
import type { StoredEvent } from '../../src/events/eventStore.js';
import { startApi, type AppOverrides, type Envelope, type TestApi } from './api.js';
import { DUCKDB_ENGINE, type EngineKind } from './engines.js';
import type { StoreKind } from './stores.js';

/** An ingestion endpoint's answer. */
export interface Answer {
  status: number;
  body: Envelope<{ received: number } | null>;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface Send {
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  remoteAddress?: string;
}

/** A client created for ingestion tests, with both its keys in full. */
export interface Client {
  id: string;
  pk: string;
  sk: string;
}

/** The ingestion side of a test app: raw requests with any headers and peer address, each checked against the OpenAPI document. */
export function ingestClient(api: TestApi) {
  const send = async (url: string, options: Send = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...options.headers };
    let payload = options.raw;
    if (payload === undefined && options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await api.app.inject({ method: 'POST', url, headers, payload, remoteAddress: options.remoteAddress });
    const body = response.json() as Answer['body'];
    api.contract.check('POST', url, response.statusCode, body);
    return { status: response.statusCode, body, headers: response.headers };
  };
  let n = 0;
  const createClient = async (fields: Record<string, unknown> = {}): Promise<Client> => {
    n += 1;
    const res = await api.request('POST', '/api/v1/clients', { body: { id: `ingest-${n}`, name: `Ingest ${n}`, ...fields } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.data.id, pk: res.body.data.publishable_key as string, sk: res.body.data.secret_key as string };
  };
  const stored = async (client: Client): Promise<StoredEvent[]> => {
    await api.settled();
    return api.events.recentEvents(client.id, { limit: 2000 });
  };
  return { send, createClient, stored };
}

export const pageview = (extra: Record<string, unknown> = {}) => ({
  event: '$pageview',
  distinct_id: 'visitor-1',
  properties: { $current_url: 'https://acme.test/products/1?utm_source=newsletter', $referrer: 'https://www.google.com/' },
  ...extra,
});

export async function startIngestApi(kind: StoreKind, overrides: AppOverrides = {}, engine: EngineKind = DUCKDB_ENGINE) {
  const api = await startApi(kind, overrides, engine);
  return { api, ...ingestClient(api) };
}
