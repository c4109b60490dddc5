// `npm start` used to run the whole build (about 19 s) on every start. This skips it when the
// inputs of the build are byte for byte those of the last successful one, and the outputs are all
// there; anything else (a fresh clone, an edit, a pull, a new lock file) builds as before.
// Plain Node, no build: it decides whether to build. Usage: node scripts/build-if-changed.mjs
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What `npm run build` reads: the three source trees and every file that configures them. */
const INPUT_DIRS = ['src', 'sdk', 'web'];
const INPUT_FILE = /^(tsconfig.*\.json|package\.json|package-lock\.json)$/;
/** What it writes; a missing one (a deleted dist/web, say) means building again. */
const OUTPUTS = ['dist/cli.js', 'dist/sdk/core.js', 'dist/sdk/loader.js', 'dist/web/index.html'];
/** The inputs' hash, written only once a build has succeeded; it lives and dies with dist/. */
export const STAMP = 'dist/.build-inputs';

function filesUnder(root, dir) {
  const found = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(root, path));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

/** A hash of the contents and names of every input (contents, not mtimes: a checkout resets those). */
export function inputsHash(root) {
  const files = readdirSync(root).filter((name) => INPUT_FILE.test(name));
  for (const dir of INPUT_DIRS) if (existsSync(join(root, dir))) files.push(...filesUnder(root, dir));
  const hash = createHash('sha256');
  for (const file of files.map((f) => relative(root, join(root, f)).split('\\').join('/')).sort()) {
    hash.update(`${file}\0`).update(readFileSync(join(root, file))).update('\0');
  }
  return hash.digest('hex');
}

function upToDate(root, hash) {
  if (!OUTPUTS.every((output) => existsSync(join(root, output)))) return false;
  try {
    return readFileSync(join(root, STAMP), 'utf8').trim() === hash;
  } catch {
    return false;
  }
}

/** Builds unless up to date; returns the build's exit code (0 when skipped). */
export function buildIfChanged(root) {
  // Hashed before building: an edit made during the build is then seen by the next start.
  const hash = inputsHash(root);
  if (upToDate(root, hash)) {
    process.stdout.write('mythic: the build is up to date with the sources; not rebuilding (npm run build forces it)\n');
    return 0;
  }
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  const code = build.status ?? 1;
  if (code === 0) writeFileSync(join(root, STAMP), `${hash}\n`);
  return code;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = buildIfChanged(process.cwd());
}
