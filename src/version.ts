import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest package.json above this module: src/, dist/ and the benchmark build all find the project's. */
function packageJsonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the mythic sources');
    dir = parent;
  }
  return join(dir, 'package.json');
}

/** The directory holding package.json: built assets (dist/sdk) are found relative to it. */
export const PACKAGE_ROOT: string = dirname(packageJsonPath());

/** The package version, read once at start. */
export const VERSION: string = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
