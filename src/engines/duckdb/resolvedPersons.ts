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
 * The two statements that recompute the resolved persons of the clients listed in their first
 * parameter (a VARCHAR[]), run inside the transaction that changed those clients' links.
 */
export const REFRESH_RESOLVED_PERSONS = [
  'DELETE FROM resolved_persons WHERE list_contains($1::VARCHAR[], client_id)',
  `INSERT INTO resolved_persons ${resolvedPersonsSelect('list_contains($1::VARCHAR[], l1.client_id)')}`,
] as const;
