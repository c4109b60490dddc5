/**
 * SQL of the links table shared by both MetaStore engines: the writable columns and the WHERE
 * clause of a listing. Only the tag test differs per engine (SQLite's json_each, PostgreSQL's
 * json_array_elements_text), so each engine passes its own.
 */
import type { LinkFilter } from '../links/linkRow.js';
import { likePattern, parameterBinder, type SqlPiece } from './sql.js';

/** Columns a link write may name: SQL text is built from these names only. */
export const LINK_COLUMNS: ReadonlySet<string> = new Set([
  'id', 'client_id', 'slug', 'slug_key', 'destination_url', 'title', 'tags', 'metadata', 'password_hash', 'expires_at',
  'created_at', 'updated_at',
]);

export function linkWhere(
  filter: LinkFilter,
  placeholder: (n: number) => string,
  like: string,
  hasTag: (param: string) => string,
): SqlPiece {
  const clauses: string[] = [];
  const { params, bind } = parameterBinder(placeholder);
  if (filter.client_id === null) clauses.push('l.client_id IS NULL');
  else if (filter.client_id !== undefined) clauses.push(`l.client_id = ${bind(filter.client_id)}`);
  if (filter.tag !== undefined) clauses.push(hasTag(bind(filter.tag)));
  if (filter.q !== undefined && filter.q !== '') {
    const p = bind(likePattern(filter.q));
    clauses.push(`(l.slug ${like} ${p} ESCAPE '\\' OR l.title ${like} ${p} ESCAPE '\\' OR l.destination_url ${like} ${p} ESCAPE '\\')`);
  }
  return { sql: clauses.length ? clauses.join(' AND ') : 'TRUE', params };
}
