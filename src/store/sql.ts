import type { ClientFilter, Page } from './metaStore.js';

/** A client with the display form of its current keys (the newest of each kind without expiry). */
export const CLIENT_SELECT = `
  SELECT c.*,
    (SELECT k.publishable_key FROM client_keys k
      WHERE k.client_id = c.id AND k.kind = 'publishable' AND k.expires_at IS NULL
      ORDER BY k.created_at DESC, k.id DESC LIMIT 1) AS publishable_key,
    (SELECT k.last4 FROM client_keys k
      WHERE k.client_id = c.id AND k.kind = 'secret' AND k.expires_at IS NULL
      ORDER BY k.created_at DESC, k.id DESC LIMIT 1) AS secret_key_last4
  FROM clients c`;

/** An agency with its live client count. */
export const AGENCY_SELECT = `
  SELECT a.*, (SELECT COUNT(*) FROM clients c WHERE c.agency_id = a.id) AS client_count
  FROM agencies a`;

/** Escapes LIKE wildcards so a search for "50%" finds the text "50%". Used with ESCAPE '\'. */
export function likePattern(substring: string): string {
  return `%${substring.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface SqlPiece {
  sql: string;
  params: unknown[];
}

/**
 * The WHERE clause of a client listing, shared by both engines. `placeholder(n)` renders the n-th
 * bound parameter (`?` for SQLite, `$n` for PostgreSQL); `like` is the case-insensitive operator.
 */
export function clientWhere(
  filter: ClientFilter,
  placeholder: (n: number) => string,
  like: string,
  booleanValue: (b: boolean) => unknown,
): SqlPiece {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return placeholder(params.length);
  };
  if (filter.status !== undefined) clauses.push(`c.status = ${bind(booleanValue(filter.status))}`);
  for (const column of ['agency_id', 'company_id', 'ghl_location_id', 'domain'] as const) {
    const value = filter[column];
    if (value !== undefined) clauses.push(`c.${column} = ${bind(value)}`);
  }
  if (filter.q !== undefined && filter.q !== '') {
    const p = bind(likePattern(filter.q));
    clauses.push(
      `(c.id ${like} ${p} ESCAPE '\\' OR c.name ${like} ${p} ESCAPE '\\' OR c.domain ${like} ${p} ESCAPE '\\' OR c.email ${like} ${p} ESCAPE '\\')`,
    );
  }
  return { sql: clauses.length ? clauses.join(' AND ') : 'TRUE', params };
}

/** Keyset condition for "rows after this one" in newest-first order. */
export function afterClause(page: Page, table: string, placeholder: (n: number) => string, offset: number): SqlPiece {
  if (!page.after) return { sql: 'TRUE', params: [] };
  const a = placeholder(offset + 1);
  const b = placeholder(offset + 2);
  return {
    sql: `(${table}.created_at < ${a} OR (${table}.created_at = ${a} AND ${table}.id < ${b}))`,
    params: [page.after.created_at, page.after.id],
  };
}
