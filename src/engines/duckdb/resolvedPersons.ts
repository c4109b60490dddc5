import { personKeySql } from './personKey.js';

/**
 * Identity resolution done once at write time rather than in every report: `resolved_persons`
 * holds, for each linked distinct_id of a client, the key of the person at the end of its chain
 * of links (personKey.ts keys on both sides), so a report joins a small integer-keyed table
 * instead of following up to eight hops of string links over every link of the client. Following
 * the chains per query was the largest cost of the dashboard's queries: over 40,000 links the
 * hops alone took 44 ms of a 288 ms report.
 *
 * The table is recomputed for a client in the same transaction as every insert of its links (a
 * link can re-home whole chains, so the affected ids are not known without following them), and
 * emptied with the client's links by deleteClient.
 */

/** Links followed from a distinct_id to its person; real chains (anon → login → merged account) are two or three long. */
export const MAX_IDENTITY_HOPS = 8;

/**
 * (client_id, distinct_key, person_key) of every link of the clients `l1` passes `where`: each
 * linked distinct_id with the end of its chain, so anon → A and A → B both count as B. A
 * distinct_id has one link at most (the first wins), so a chain never forks; a loop (A → B after
 * B → A) is possible, and the hop bound ends it where the last hop lands (in a loop of two ids,
 * each on itself).
 *
 * The hops are written out as joins rather than as a recursive CTE: DuckDB estimates a recursive
 * CTE at millions of rows whatever it holds and plans the joins around it badly.
 */
export function resolvedPersonsSelect(where: string): string {
  const hops = Array.from({ length: MAX_IDENTITY_HOPS }, (_, i) => `l${i + 1}`);
  const joins = hops.slice(1).map((hop, i) => ` LEFT JOIN identities ${hop} ON ${hop}.client_id = l1.client_id AND ${hop}.distinct_id = ${hops[i]}.person_id`);
  // The last hop that found a link names the person.
  const person = `coalesce(${[...hops].reverse().map((hop) => `${hop}.person_id`).join(', ')})`;
  return `SELECT l1.client_id, ${personKeySql('l1.distinct_id')} AS distinct_key, ${personKeySql(person)} AS person_key FROM identities l1${joins.join('')} WHERE ${where}`;
}

/** The table, filled for the links already stored (a DuckDB migration). */
export const CREATE_RESOLVED_PERSONS = `
  CREATE TABLE resolved_persons (
    client_id VARCHAR NOT NULL,
    distinct_key UBIGINT NOT NULL,
    person_key UBIGINT NOT NULL
  );
  INSERT INTO resolved_persons ${resolvedPersonsSelect('TRUE')};
`;

/**
 * The linked ids of client $1 whose resolution can change when links of the ids in $2 (a
 * VARCHAR[]) are stored: the chain of an id reads the links of its first eight ids (itself and
 * seven hops), so only ids that reach one of $2 in seven hops or fewer, and those themselves, can
 * see the new link. Found by walking links backwards (a recursive CTE over one client's links is
 * cheap, unlike one joined to events).
 */
export const AFFECTED_IDS = `WITH RECURSIVE up(distinct_id, depth) AS (
    SELECT unnest($2::VARCHAR[]), 0
    UNION
    SELECT l.distinct_id, up.depth + 1 FROM up JOIN identities l ON l.client_id = $1 AND l.person_id = up.distinct_id WHERE up.depth < ${MAX_IDENTITY_HOPS - 1}
  ) SELECT DISTINCT distinct_id FROM up`;

/**
 * The two statements that recompute the resolved persons of client $1 for the ids in $2 (a
 * VARCHAR[], AFFECTED_IDS read first), run in the transaction that stored the links. The ids are
 * a list read back rather than a subquery, and their chains are walked forward from those ids
 * alone (the same rule as resolvedPersonsSelect: the found hops are a prefix of the eight, the
 * last names the person): written as eight joins, each hop built a hash table of every link of
 * the client, 0.1–0.5 s for 40,000 links on a loaded machine, as much as recomputing them all.
 */
export const REFRESH_RESOLVED_PERSONS = [
  `DELETE FROM resolved_persons WHERE client_id = $1 AND list_contains(list_transform($2::VARCHAR[], (id) -> ${personKeySql('id')}), distinct_key)`,
  `INSERT INTO resolved_persons
   WITH RECURSIVE walk(distinct_id, person_id, hops) AS (
     SELECT distinct_id, person_id, 1 FROM identities WHERE client_id = $1 AND list_contains($2::VARCHAR[], distinct_id)
     UNION ALL
     SELECT w.distinct_id, l.person_id, w.hops + 1 FROM walk w JOIN identities l ON l.client_id = $1 AND l.distinct_id = w.person_id WHERE w.hops < ${MAX_IDENTITY_HOPS}
   ) SELECT $1, ${personKeySql('distinct_id')}, ${personKeySql('arg_max(person_id, hops)')} FROM walk GROUP BY distinct_id`,
] as const;
