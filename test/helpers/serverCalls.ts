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
