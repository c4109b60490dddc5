import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import { storedEvent } from '../helpers/events.js';
import { duckdbFileAtVersion } from '../helpers/duckdbFile.js';

/**
 * Review finding: the next seq was max(seq) + 1 at open, so a hard delete of the client holding
 * the newest events made a restarted store hand out numbers again, and a poller holding an old
 * cursor skipped the events that got them. seq must never go back, across reopen.
 */
describe('live cursor seq after deleting the newest events and reopening', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mythic-seq-high-water-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const highestSeq = async (store: DuckDbEventStore, clientId: string): Promise<number> =>
    Math.max(0, ...(await store.recentEvents(clientId, { limit: 10_000 })).map((event) => event.seq));

  /** Stores for `other`, then for `victim` (newest), erases `victim`, reopens, stores again for `other`. */
  const deleteNewestAndReopen = async (path: string, victimEvents: number, laterEvents: number): Promise<void> => {
    const first = await DuckDbEventStore.open(path);
    await first.migrate();
    await first.append(Array.from({ length: 3 }, () => storedEvent({ client_id: 'other' })), []);
    // More than the appender's group size takes the JSON path; both must be covered.
    await first.append(Array.from({ length: victimEvents }, () => storedEvent({ client_id: 'victim' })), []);
    const handedOut = await highestSeq(first, 'victim');
    assert.ok(handedOut > (await highestSeq(first, 'other')));
    await first.deleteClient('victim');
    await first.close();

    for (let round = 0; round < 2; round++) {
      const reopened = await DuckDbEventStore.open(path);
      await reopened.migrate();
      const before = await highestSeq(reopened, 'other');
      await reopened.append(Array.from({ length: laterEvents }, () => storedEvent({ client_id: 'other' })), []);
      const fresh = (await reopened.recentEvents('other', { limit: 10_000, afterSeq: before })).map((event) => event.seq);
      assert.equal(fresh.length, laterEvents);
      for (const seq of fresh) assert.ok(seq > handedOut, `seq ${seq} was already handed out (up to ${handedOut}) before the delete`);
      await reopened.close();
    }
  };

  it('numbers new events above every seq handed out, small groups', async () => {
    await deleteNewestAndReopen(join(dir, 'small.duckdb'), 4, 2);
  });

  it('numbers new events above every seq handed out, large groups', async () => {
    await deleteNewestAndReopen(join(dir, 'large.duckdb'), 600, 300);
  });

  it('a file from before the high-water mark keeps numbering after its newest stored seq', async () => {
    const path = join(dir, 'v3.duckdb');
    await duckdbFileAtVersion(path, 3, async (connection) => {
      await connection.run(
        `INSERT INTO events (client_id, uuid, event, distinct_id, "timestamp", received_at, properties, is_bot, seq)
         VALUES ('victim', 'v-1', 'e', 'd', now(), now(), '{}', false, 6004), ('other', 'o-1', 'e', 'd', now(), now(), '{}', false, 6001)`,
      );
    });

    const store = await DuckDbEventStore.open(path);
    await store.migrate();
    await store.deleteClient('victim');
    await store.close();
    const reopened = await DuckDbEventStore.open(path);
    try {
      await reopened.migrate();
      await reopened.append([storedEvent({ client_id: 'other' })], []);
      const seqs = (await reopened.recentEvents('other', { limit: 10 })).map((event) => event.seq);
      assert.deepEqual(seqs, [6005, 6001]);
    } finally {
      await reopened.close();
    }
  });
});
