/**
 * JSON calls to a server process over the network (see server.ts), each answer checked against
 * the OpenAPI document the application serves, for tests of a real `mythic serve`.
 */
import assert from 'node:assert/strict';
import type { Envelope } from './api.js';
import { servedContract, type ContractChecker } from './contract.js';
import type { RunningServer } from './server.js';

export interface ServerReply<T> {
  status: number;
  body: Envelope<T>;
}

let contract: Promise<ContractChecker> | undefined;

export async function callServer<T = unknown>(server: RunningServer, method: string, path: string, key: string, body?: unknown): Promise<ServerReply<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  (await (contract ??= servedContract())).check(method, path, response.status, parsed);
  return { status: response.status, body: parsed as Envelope<T> };
}

/** A client created through the admin API, with both its keys in full. */
export interface ServerClient {
  id: string;
  pk: string;
  sk: string;
}

export async function createServerClient(server: RunningServer, adminKey: string, id: string, fields: Record<string, unknown> = {}): Promise<ServerClient> {
  const res = await callServer<{ id: string; publishable_key: string; secret_key: string }>(server, 'POST', '/api/v1/clients', adminKey, { id, name: id, ...fields });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id, pk: res.body.data.publishable_key, sk: res.body.data.secret_key };
}

/**
 * Reports do not wait for the event writer: they see an acknowledged event within its linger (1 s),
 * and another node's events once that node applied them. A server-process test that ingests and
 * then reports says so by polling until `done` holds (or the time is up: the last answer is
 * returned, for the test's assertion to show).
 */
export async function pollReport<T>(
  server: RunningServer,
  key: string,
  path: '/api/v1/query' | '/api/v1/query/funnel',
  body: Record<string, unknown>,
  done: (data: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await callServer<T>(server, 'POST', path, key, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    if (done(res.body.data) || Date.now() >= deadline) return res.body.data;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
