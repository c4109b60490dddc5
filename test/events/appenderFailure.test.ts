// A group whose rows the appender refuses must leave nothing behind: the appender used to keep the
// refused rows, and the garbage collector's finaliser flushed them again later, inside whichever
// transaction the write connection had open, aborting it. On a loaded CI machine that made a later,
// valid group fail with "Current transaction is aborted". The collection is forced here, with a
// transaction open on the store's write connection, so the test does not depend on timing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import { storedEvent } from '../helpers/events.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** The store's own write connection: the test holds a transaction open on it while collecting. */
interface WriteConnection {
  run(sql: string): Promise<unknown>;
}

const dir = mkdtempSync(join(tmpdir(), 'mythic-appender-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('a refused group leaves no rows in the appender for the garbage collector to flush into a later transaction', async () => {
  const store = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
  await store.migrate();
  try {
    const good = storedEvent({ client_id: 'refused' });
    const broken = storedEvent({ client_id: 'refused', distinct_id: null as unknown as string });
    await assert.rejects(store.append([good, broken], []));

    const writer = (store as unknown as { writer: WriteConnection }).writer;
    await writer.run('BEGIN TRANSACTION');
    for (let i = 0; i < 5; i += 1) {
      collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await writer.run('SELECT 1');
    await writer.run('COMMIT');

    assert.deepEqual((await store.append([storedEvent({ client_id: 'later' })], [])).duplicateIndexes, []);
    assert.equal((await store.recentEvents('later', { limit: 5 })).length, 1);
    assert.equal((await store.recentEvents('refused', { limit: 5 })).length, 0, 'nothing of the refused group was stored');
  } finally {
    await store.close();
  }
});
