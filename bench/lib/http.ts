import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';

/** Loopback only: the benchmark must not expose an admin API with a known key on the network. */
export const BENCH_HOST = '127.0.0.1';

/** Listens on an ephemeral loopback port and returns the origin to aim autocannon at. */
export async function listenOnLoopback(app: FastifyInstance): Promise<string> {
  await app.listen({ host: BENCH_HOST, port: 0 });
  const address = app.server.address() as AddressInfo;
  return `http://${BENCH_HOST}:${address.port}`;
}

/**
 * One real request over the socket before any load: proves the route answers `expectedStatus`
 * with the headers the benchmark will send, and gives the payload size so the report can show
 * that baseline and subject move comparable amounts of data.
 */
export async function preflight(
  origin: string,
  path: string,
  headers: Record<string, string> = {},
  expectedStatus = 200,
  post?: { body: string },
): Promise<{ bodyBytes: number; body: unknown }> {
  const response = await fetch(origin + path, post ? { method: 'POST', headers, body: post.body } : { headers });
  const text = await response.text();
  if (response.status !== expectedStatus) {
    throw new Error(`preflight ${post ? 'POST' : 'GET'} ${path}: expected ${expectedStatus}, got ${response.status}: ${text.slice(0, 300)}`);
  }
  return { bodyBytes: Buffer.byteLength(text), body: JSON.parse(text) as unknown };
}
