import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RecentEventView } from '../../src/events/schemas.js';
import { startServer, stopAllServers, type RunningServer } from '../helpers/server.js';
import { callServer, createServerClient } from '../helpers/serverCalls.js';

const ADMIN_KEY = 'mk_live_cursor_0123456789abcdef0123456789ab';
const SENDERS = 12;
const EVENTS_PER_REQUEST = 3;
/** Acknowledged events to collect while polling: the report that found the defect saw 13 of 4,398 skipped. */
const TARGET_ACKS = 4_500;
const PAGE = 500;

/**
 * B7: the live events view polled with `after` = the newest received_at it had seen, and missed
 * events: received_at is stamped when a request arrives, and requests commit in another order.
 * The `after_seq` cursor follows the commit order. Senders write concurrently while pollers
 * follow both cursors; every acknowledged event must reach the after_seq poller.
 */
describe('the live events cursor under concurrent writes, against a server process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-live-cursor-'));
  let server: RunningServer;
  after(async () => {
    await stopAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('an after_seq poller sees exactly the acknowledged events, none skipped', async (t) => {
    server = await startServer({ dataDir, adminKey: ADMIN_KEY, env: { MYTHIC_RATE_LIMIT_PER_IP: '0', MYTHIC_RATE_LIMIT_PER_KEY: '0' } });
    const client = await createServerClient(server, ADMIN_KEY, 'live');
    const acknowledged = new Set<string>();
    let stopped = false;
    const sender = async (): Promise<void> => {
      while (!stopped) {
        const batch = Array.from({ length: EVENTS_PER_REQUEST }, () => ({ event: 'live', distinct_id: 'd', uuid: randomUUID() }));
        const res = await fetch(`${server.baseUrl}/ingest`, {
          method: 'POST',
          headers: { authorization: `Bearer ${client.sk}`, 'content-type': 'application/json' },
          body: JSON.stringify({ batch }),
        });
        await res.arrayBuffer();
        if (res.ok) for (const event of batch) acknowledged.add(event.uuid);
      }
    };
    const page = async (query: string): Promise<RecentEventView[]> => {
      const res = await callServer<RecentEventView[]>(server, 'GET', `/api/v1/clients/live/events?limit=${PAGE}&${query}`, ADMIN_KEY);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.data;
    };
    const bySeq = new Set<string>();
    let seqCursor = 0;
    /** One poll as the dashboard makes it: at once again while pages come back full. */
    const pollBySeq = async (): Promise<number> => {
      for (;;) {
        const events = await page(`after_seq=${seqCursor}`);
        for (const event of events) bySeq.add(event.uuid);
        if (events.length > 0) seqCursor = events[0]!.seq;
        if (events.length < PAGE) return events.length;
      }
    };
    // The old way, for the record: newest received_at seen as the cursor.
    const byReceived = new Set<string>();
    let receivedCursor: string | undefined;
    const pollByReceived = async (): Promise<void> => {
      const events = await page(receivedCursor === undefined ? '' : `after=${encodeURIComponent(receivedCursor)}`);
      for (const event of events) byReceived.add(event.uuid);
      if (events.length > 0) receivedCursor = events[0]!.received_at;
    };

    const senders = Array.from({ length: SENDERS }, () => sender());
    try {
      while (acknowledged.size < TARGET_ACKS) {
        await Promise.all([pollBySeq(), pollByReceived()]);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      stopped = true;
      await Promise.all(senders);
    }
    // Everything acknowledged is readable now; the last polls pick up the rest.
    while ((await pollBySeq()) > 0);
    await pollByReceived();

    const missed = [...acknowledged].filter((uuid) => !bySeq.has(uuid));
    const unacknowledged = [...bySeq].filter((uuid) => !acknowledged.has(uuid));
    const missedByReceived = [...acknowledged].filter((uuid) => !byReceived.has(uuid)).length;
    t.diagnostic(`${acknowledged.size} acknowledged; after_seq missed ${missed.length}; after=received_at missed ${missedByReceived}`);
    assert.deepEqual(missed, [], 'acknowledged events the after_seq poller never saw');
    assert.deepEqual(unacknowledged, [], 'events seen that were never acknowledged');
  });
});
