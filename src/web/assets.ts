import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../version.js';

/** Where `npm run build:web` (web/build.ts) writes the dashboard. */
export const WEB_DIST_DIR = join(PACKAGE_ROOT, 'dist', 'web');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

export interface WebAsset {
  body: Buffer;
  /** The same bytes gzip-compressed, sent to browsers that accept it; null when it would not be smaller. */
  gzipped: Buffer | null;
  contentType: string;
  etag: string;
}

export interface WebAssets {
  index: WebAsset;
  /** Files under assets/, by file name; their names carry a content hash, so they never change. */
  hashed: Map<string, WebAsset>;
}

function toAsset(body: Buffer, fileName: string): WebAsset {
  const gzipped = gzipSync(body, { level: 9 });
  return {
    body,
    gzipped: gzipped.length < body.length ? gzipped : null,
    contentType: CONTENT_TYPES[extname(fileName)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

/**
 * Reads the built dashboard into memory once: it is small, and changes only with a new build.
 * Null when it has not been built, so the API keeps working and `/` says which command to run.
 */
export function loadWebAssets(dir: string = WEB_DIST_DIR): WebAssets | null {
  let index: Buffer;
  let names: string[];
  try {
    index = readFileSync(join(dir, 'index.html'));
    // A page without its assets/ (a build that stopped half-way) would load blank: treat it as not built.
    names = readdirSync(join(dir, 'assets'));
  } catch {
    return null;
  }
  const hashed = new Map<string, WebAsset>();
  for (const name of names) {
    hashed.set(name, toAsset(readFileSync(join(dir, 'assets', name)), name));
  }
  return { index: toAsset(index, 'index.html'), hashed };
}
