import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../version.js';

/** Where `npm run build:sdk` (sdk/build.ts) writes the browser bundles. */
export const SDK_DIST_DIR = join(PACKAGE_ROOT, 'dist', 'sdk');

/** Versioned path of the core bundle; MYTHIC_CORE in every loader points here. */
export const CORE_PATH = '/sdk/v1/core.js';

export interface SdkAssets {
  /** The core SDK, served as is. */
  core: string;
  /** Content hash of `core`: its ETag and the `?v=` that makes a request cacheable for a year. */
  coreHash: string;
  /** `/sdk/v1/core.js?v=<coreHash>`, relative to the server's origin. */
  corePath: string;
  /** The loader runtime, without its "use strict" prologue: renderLoader wraps it in its own function. */
  loaderRuntime: string;
}

export class SdkAssetsMissing extends Error {
  constructor(dir: string, cause: unknown) {
    super(`The browser SDK bundles are missing from ${dir}: run npm run build:sdk (npm run build and npm test do it)`, { cause });
    this.name = 'SdkAssetsMissing';
  }
}

/** A strong ETag value, from a body's SHA-256. */
export function contentHash(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('base64url').slice(0, 22);
}

const loaded = new Map<string, SdkAssets>();

/**
 * Reads the built bundles once per directory: they change only with a new build, and a server is
 * restarted to pick one up. Throws SdkAssetsMissing, naming the command to run, when they are absent.
 */
export function loadSdkAssets(dir: string = SDK_DIST_DIR): SdkAssets {
  const cached = loaded.get(dir);
  if (cached) return cached;
  let core: string;
  let loader: string;
  try {
    core = readFileSync(join(dir, 'core.js'), 'utf8');
    loader = readFileSync(join(dir, 'loader.js'), 'utf8');
  } catch (error) {
    throw new SdkAssetsMissing(dir, error);
  }
  const coreHash = contentHash(core);
  const assets: SdkAssets = {
    core,
    coreHash,
    corePath: `${CORE_PATH}?v=${coreHash}`,
    loaderRuntime: loader.replace(/^"use strict";/, '').trim(),
  };
  loaded.set(dir, assets);
  return assets;
}
