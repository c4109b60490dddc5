import type { AgencyFilter, ClientFilter, Page } from './metaStore.js';

/**
 * A client with the display form of its current keys. "Current" is the key of each kind without an
 * expiry; a partial unique index guarantees at most one, so plain joins find it in one index probe.
 */
export const CLIENT_SELECT = `
  SELECT c.*, pk.publishable_key AS publishable_key, sk.last4 AS secret_key_last4
  FROM clients c
  LEFT JOIN client_keys pk ON pk.client_id = c.id AND pk.kind = 'publishable' AND pk.expires_at IS NULL
  LEFT JOIN client_keys sk ON sk.client_id = c.id AND sk.kind = 'secret' AND sk.expires_at IS NULL`;

/** An agency with its live client count. */
export const AGENCY_SELECT = `
  SELECT a.*, (SELECT COUNT(*) FROM clients c WHERE c.agency_id = a.id) AS client_count
  FROM agencies a`;

/**
 * Who owns a hostname, as a client's domain or as an extra hostname (a service keeps the two
 * apart, so at most one row comes back). Bound as `@hostname` / `$1` by each engine.
 */
export const hostnameOwnerSql = (param: string): string => `
  SELECT id AS client_id, 'domain' AS via FROM clients WHERE domain = ${param}
  UNION ALL
  SELECT client_id, 'hostname' AS via FROM client_hostnames WHERE hostname = ${param}
  LIMIT 1`;

/** Escapes LIKE wildcards so a search for "50%" finds the text "50%". Used with ESCAPE '\'. */
export function likePattern(substring: string): string {
  return `%${substring.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface SqlPiece {
  sql: string;
  params: unknown[];
}

/** Collects the bound parameters of a statement: `bind(value)` keeps one and answers its placeholder. */
export function parameterBinder(placeholder: (n: number) => string): { params: unknown[]; bind: (value: unknown) => string } {
  const params: unknown[] = [];
  return {
    params,
    bind: (value) => {
      params.push(value);
      return placeholder(params.length);
    },
  };
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
  const { params, bind } = parameterBinder(placeholder);
  if (filter.status !== undefined) clauses.push(`c.status = ${bind(booleanValue(filter.status))}`);
  for (const column of ['agency_id', 'company_id', 'ghl_location_id', 'domain'] as const) {
    const value = filter[column];
    if (value !== undefined) clauses.push(`c.${column} = ${bind(value)}`);
  }
  if (filter.ids !== undefined) clauses.push(filter.ids.length === 0 ? 'FALSE' : `c.id IN (${filter.ids.map((id) => bind(id)).join(', ')})`);
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

/** Columns a write may name: SQL text is built from these names only, never from arbitrary keys. */
export const CLIENT_COLUMNS: ReadonlySet<string> = new Set([
  'id', 'name', 'status', 'domain', 'email', 'phone', 'website', 'timezone', 'global_name', 'company_id',
  'agency_id', 'api_metadata', 'ghl_location_id', 'proxy_key_hash', 'proxy_key_last4', 'ip_storage', 'sdk_settings',
  'created_at', 'updated_at',
]);
export const AGENCY_COLUMNS: ReadonlySet<string> = new Set([
  'id', 'name', 'name_key', 'email', 'phone', 'website', 'metadata', 'created_at', 'updated_at',
]);

function checkedEntries(values: object, columns: ReadonlySet<string>): [string, unknown][] {
  const entries = Object.entries(values);
  const stray = entries.find(([column]) => !columns.has(column));
  if (stray) throw new Error(`'${stray[0]}' is not a column of this table`);
  return entries;
}

/** `column = $1, other = $2` for an UPDATE, with the values in order. */
export function setClause(values: object, columns: ReadonlySet<string>, placeholder: (n: number) => string): SqlPiece {
  const entries = checkedEntries(values, columns);
  return { sql: entries.map(([column], i) => `${column} = ${placeholder(i + 1)}`).join(', '), params: entries.map(([, value]) => value) };
}

/** `(a, b) VALUES ($1, $2)` for an INSERT, with the values in order. */
export function insertClause(values: object, columns: ReadonlySet<string>, placeholder: (n: number) => string): SqlPiece {
  const entries = checkedEntries(values, columns);
  return {
    sql: `(${entries.map(([column]) => column).join(', ')}) VALUES (${entries.map((_, i) => placeholder(i + 1)).join(', ')})`,
    params: entries.map(([, value]) => value),
  };
}

/** The WHERE clause of an agency listing: `q` is a case-insensitive substring of name, email or id. */
export function agencyWhere(filter: AgencyFilter, placeholder: (n: number) => string, like: string): SqlPiece {
  if (filter.q === undefined || filter.q === '') return { sql: 'TRUE', params: [] };
  const p = placeholder(1);
  return {
    sql: `(a.name ${like} ${p} ESCAPE '\\' OR a.email ${like} ${p} ESCAPE '\\' OR a.id ${like} ${p} ESCAPE '\\')`,
    params: [likePattern(filter.q)],
  };
}
