import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RecentEventView } from '../../src/events/schemas.js';
import type { QueryResultView } from '../../src/query/schemas.js';
import { startServer, stopAllServers } from '../helpers/server.js';
import { callServer, createServerClient, pollReport } from '../helpers/serverCalls.js';

const ADMIN_KEY = 'mk_read_your_writes_0123456789abcdef0123';

/**
 * Read-your-writes is asked for, not a cost of every read: the live view waits for what was
 * acknowledged before it; reports answer from what is applied and see new events within the
 * writer's linger (1 s).
 */
describe('what reads see of events just acknowledged, against a server process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-read-your-writes-'));
  after(async () => {
    await stopAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows them in the live view at once, and in reports within the linger', async () => {
    const server = await startServer({ dataDir, adminKey: ADMIN_KEY });
    const client = await createServerClient(server, ADMIN_KEY, 'fresh');
    const sent = await callServer(server, 'POST', '/ingest', client.sk, { batch: [{ event: 'Signed Up', distinct_id: 'u-1' }, { event: 'Signed Up', distinct_id: 'u-2' }] });
    assert.equal(sent.status, 200);
    const ackedAt = Date.now();
    const live = await callServer<RecentEventView[]>(server, 'GET', '/api/v1/clients/fresh/events', ADMIN_KEY);
    assert.deepEqual(live.body.data.map((event) => event.event), ['Signed Up', 'Signed Up'], 'the live view waited for them');
    const report = await pollReport<QueryResultView>(
      server,
      ADMIN_KEY,
      '/api/v1/query',
      { client_id: 'fresh', metrics: ['events', 'unique_visitors'], period: 'today', filters: { include_bots: true } },
      (data) => data.rows[0]?.[0] === 2,
    );
    assert.deepEqual(report.rows, [[2, 2]]);
    assert.ok(Date.now() - ackedAt < 2_500, `reported ${Date.now() - ackedAt} ms after the acknowledgement`);
  });
});
