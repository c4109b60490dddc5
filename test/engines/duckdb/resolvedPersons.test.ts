import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDbEventStore } from '../../../src/engines/duckdb/duckdbEventStore.js';
import { resolvedPersonsSelect } from '../../../src/engines/duckdb/resolvedPersons.js';
import type { IdentityLink } from '../../../src/events/eventStore.js';
import { duckdbFileAtVersion } from '../../helpers/duckdbFile.js';

/**
 * `resolved_persons` is refreshed incrementally (the ids a new link can reach, walked back seven
 * hops): after every batch it must hold exactly what resolving every link of the client gives
 * (resolvedPersonsSelect), also for chains longer than the eight-hop bound grown one link at a
 * time from either end, and when the migration fills it for links stored before it.
 */

const link = (client: string, from: string, to: string, at: number): IdentityLink => ({ client_id: client, distinct_id: from, person_id: to, created_at: at });

async function mismatches(store: DuckDbEventStore, client: string): Promise<number> {
  const rows = await store.inspect({
    sql: `SELECT count(*) FROM ((SELECT distinct_key, person_key FROM resolved_persons WHERE client_id = $1
            EXCEPT ALL SELECT distinct_key, person_key FROM (${resolvedPersonsSelect('l1.client_id = $1')}))
          UNION ALL (SELECT distinct_key, person_key FROM (${resolvedPersonsSelect('l1.client_id = $1')})
            EXCEPT ALL SELECT distinct_key, person_key FROM resolved_persons WHERE client_id = $1))`,
    params: [client],
  });
  return Number(rows[0]?.[0]);
}

describe('DuckDB resolved persons', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mythic-resolved-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stay exact while chains longer than the hop bound grow one link at a time, from either end, with a loop', async () => {
    const store = await DuckDbEventStore.open(':memory:');
    try {
      await store.migrate();
      const chain = Array.from({ length: 21 }, (_, i) => `x${i}`);
      // Forwards (x0 → x1, then x1 → x2, …) for one client, backwards (x19 → x20 first) for another,
      // from the middle out for a third; each link its own batch.
      const orders: [string, number[]][] = [
        ['forwards', chain.slice(0, -1).map((_, i) => i)],
        ['backwards', chain.slice(0, -1).map((_, i) => chain.length - 2 - i)],
        ['middle', chain.slice(0, -1).map((_, i) => (i % 2 === 0 ? 10 + i / 2 : 9 - (i - 1) / 2)).filter((i) => i >= 0 && i < 20)],
      ];
      for (const [client, order] of orders) {
        for (const [n, i] of order.entries()) {
          await store.append([], [link(client, chain[i] as string, chain[i + 1] as string, n)]);
          assert.equal(await mismatches(store, client), 0, `${client} after ${n + 1} links`);
        }
      }
      // A loop closed onto the chain, a repeated link (ignored: the first wins) and two clients in one batch.
      await store.append([], [link('forwards', 'x20', 'x3', 100), link('forwards', 'x5', 'elsewhere', 101), link('backwards', 'y', 'x0', 102)]);
      assert.equal(await mismatches(store, 'forwards'), 0);
      assert.equal(await mismatches(store, 'backwards'), 0);
    } finally {
      await store.close();
    }
  });

  it('are filled by the migration for links stored before it', async () => {
    const path = join(dir, 'v8.duckdb');
    await duckdbFileAtVersion(path, 8, async (connection) => {
      await connection.run(`INSERT INTO identities VALUES ('old', 'anon', 'login', now()), ('old', 'login', 'account', now()), ('old', 'p', 'q', now()), ('old', 'q', 'p', now())`);
    });
    const store = await DuckDbEventStore.open(path);
    try {
      await store.migrate();
      const [count] = (await store.inspect({ sql: "SELECT count(*) FROM resolved_persons WHERE client_id = 'old'", params: [] }))[0] ?? [];
      assert.equal(Number(count), 4);
      assert.equal(await mismatches(store, 'old'), 0);
    } finally {
      await store.close();
    }
  });
});
