import { hash } from 'node:crypto';

/**
 * The 64-bit person key stored with every DuckDB event (`events.person_key`): the low 64 bits of
 * the MD5 of the distinct_id, which DuckDB computes as `md5_number_lower()`. Counting distinct
 * 64-bit integers is several times cheaper than counting distinct strings; MD5 rather than
 * DuckDB's `hash()` because MD5 is the same in every DuckDB version, so keys stored by one release
 * and computed at query time by the next (identity links) agree. Two distinct ids share a key with
 * a chance of about n²/2⁶⁵: for ten million visitors of one client, one in 370,000 that any two do.
 */
export const personKeySql = (column: string): string => `md5_number_lower(${column})`;

/** The same key computed in JavaScript, for rows that reach DuckDB through the appender. */
export function personKey(distinctId: string): bigint {
  return hash('md5', distinctId, 'buffer').readBigUInt64LE(8);
}
