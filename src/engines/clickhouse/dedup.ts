import type { IdentityLink, StoredEvent } from '../../events/eventStore.js';
import type { ClickHouseConnection } from './connection.js';
import { quarterOf, type Tables } from './schema.js';

/**
 * A retried event (same client and uuid) is stored once, whichever node it reaches and whatever
 * timestamp it carries. Two steps:
 *
 * 1. Before inserting, the writer asks which of the group's (client, uuid) pairs are stored; its
 *    groups go one at a time, so this sees every earlier group of every node that finished. The
 *    bloom filter on uuid keeps the lookup to the granules that may hold them.
 * 2. Two nodes can store one event at the same moment (each checked before the other inserted).
 *    After inserting, the writer looks again; if a pair has two copies, every copy but the first
 *    (lowest seq, then row_id: the same choice on every node) is removed by a lightweight delete,
 *    waited for. Both nodes may do it: deleting what is already gone is harmless. Between the two
 *    inserts and that delete (milliseconds) a report may count such an event twice. The
 *    quarter-hour rollups counted every copy (schema.ts): the quarters of the removed copies are
 *    recorded first, and reports read those quarters from events. The writer
 *    looks again at the group's duplicates as well: a node that stopped between its insert and
 *    this look does it when it retries the group (its journal's replay), where they are duplicates.
 */
export async function findStored(connection: ClickHouseConnection, tables: Tables, events: StoredEvent[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const clients = [...new Set(events.map((e) => e.client_id))];
  const uuids = [...new Set(events.map((e) => e.uuid))];
  const rows = await connection.query<{ client_id: string; uuid: string }>(
    `SELECT DISTINCT client_id, uuid FROM ${tables.events} WHERE client_id IN {clients:Array(String)} AND uuid IN {uuids:Array(String)}`,
    { clients, uuids },
  );
  return new Set(rows.map((row) => `${row.client_id}\u0000${row.uuid}`));
}

export async function removeRacedCopies(connection: ClickHouseConnection, tables: Tables, events: StoredEvent[]): Promise<number> {
  const clients = [...new Set(events.map((e) => e.client_id))];
  const uuids = [...new Set(events.map((e) => e.uuid))];
  const raced = await connection.query<{ client_id: string; uuid: string; losers: string[]; quarters: number[] }>(
    `SELECT client_id, uuid, arrayPopFront(arraySort(groupArray((seq, row_id, ${quarterOf('timestamp')})))) AS later,
       arrayMap(x -> toString(x.2), later) AS losers, arrayMap(x -> x.3, later) AS quarters
     FROM ${tables.events} WHERE client_id IN {clients:Array(String)} AND uuid IN {uuids:Array(String)}
     GROUP BY client_id, uuid HAVING count() > 1`,
    { clients, uuids },
  );
  for (const row of raced) {
    // The rollups counted every copy (schema.ts): their quarters are read from events from now on,
    // marked before the delete so no report reads a rollup row of a copy already gone.
    await connection.insert(
      tables.racedQuarters,
      [...new Set(row.quarters.map(Number))].map((quarter) => ({ client_id: row.client_id, quarter_start: quarter })),
    );
    await connection.command(
      `DELETE FROM ${tables.events} WHERE client_id = {client:String} AND uuid = {uuid:String} AND toString(row_id) IN {losers:Array(String)} SETTINGS lightweight_deletes_sync = 2`,
      { client: row.client_id, uuid: row.uuid, losers: row.losers },
    );
  }
  return raced.length;
}

/**
 * The links worth storing: the first of each (client, distinct_id) in the group whose distinct_id
 * is not linked yet. Reads keep the first stored link anyway (lowest seq); this keeps a retried
 * `$identify`, or a second `migrate-events` run, from storing every link again. Two nodes linking
 * one distinct_id at once both store theirs, and reads still agree on the first.
 */
export async function newLinks(connection: ClickHouseConnection, tables: Tables, links: IdentityLink[]): Promise<IdentityLink[]> {
  if (links.length === 0) return [];
  const rows = await connection.query<{ client_id: string; distinct_id: string }>(
    `SELECT DISTINCT client_id, distinct_id FROM ${tables.identities} WHERE client_id IN {clients:Array(String)} AND distinct_id IN {ids:Array(String)}`,
    { clients: [...new Set(links.map((l) => l.client_id))], ids: [...new Set(links.map((l) => l.distinct_id))] },
  );
  const linked = new Set(rows.map((row) => `${row.client_id}\u0000${row.distinct_id}`));
  return links.filter((link) => {
    const key = `${link.client_id}\u0000${link.distinct_id}`;
    if (linked.has(key)) return false;
    linked.add(key);
    return true;
  });
}
