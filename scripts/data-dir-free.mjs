// Says at once whether a running mythic server holds the data dir, so `npm run demo` can refuse
// before spending ~20 s on a build that seed-demo would then waste (it cannot open a held DuckDB
// file). Plain Node, no build: it runs before there is a dist/.
// Usage: node scripts/data-dir-free.mjs [--data-dir <dir>]   (exit 0: free; 1: in use, and why)
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The server's EventStore file; DuckDB holds a POSIX write lock on it for as long as it is open. */
const EVENTS_FILE = 'events.duckdb';

/** The data dir exactly as src/config.ts resolves it: the flag, else MYTHIC_DATA_DIR, else ./data. */
export function dataDirOf(argv, env) {
  let fromFlag;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--data-dir') fromFlag = argv[i + 1];
    else if (arg.startsWith('--data-dir=')) fromFlag = arg.slice('--data-dir='.length);
  }
  if (fromFlag !== undefined) return fromFlag;
  const fromEnv = env.MYTHIC_DATA_DIR;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : './data';
}

/**
 * The PID holding a lock on `file`, from Linux's /proc/locks (reading it costs about a millisecond;
 * loading DuckDB to ask costs 0.3–2 s). Matched by inode number only: on overlay filesystems the
 * device /proc/locks names is the underlying one, not the one stat reports.
 */
function lockHolderFromProc(file, locks) {
  const inode = String(statSync(file).ino);
  for (const line of locks.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // "1: POSIX  ADVISORY  WRITE 20360 fe:00:2204940 0 EOF"; a waiter's line has "->" there instead.
    if (fields[1] !== 'POSIX') continue;
    if (fields[5]?.split(':')[2] === inode) return Number(fields[4]);
  }
  return null;
}

/** Elsewhere, ask DuckDB itself: a read-only open fails while another process has it open to write. */
async function lockHolderFromDuckDb(file) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  try {
    const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
    instance.closeSync();
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!/Could not set lock/.test(message)) return null;
    const pid = /\(PID (\d+)\)/.exec(message)?.[1];
    return pid === undefined ? 0 : Number(pid);
  }
}

/** null when no process holds the data dir; otherwise a one-line explanation. */
export async function dataDirInUse(dataDir) {
  const file = join(dataDir, EVENTS_FILE);
  try {
    statSync(file);
  } catch {
    return null; // Never used, so nothing can hold it.
  }
  let locks;
  try {
    locks = readFileSync('/proc/locks', 'utf8');
  } catch {
    locks = undefined;
  }
  const pid = locks === undefined ? await lockHolderFromDuckDb(file) : lockHolderFromProc(file, locks);
  if (pid === null || pid === process.pid) return null;
  return (
    `the data dir ${resolve(dataDir)} is in use by a running mythic server${pid > 0 ? ` (PID ${pid})` : ''}; ` +
    `stop it first (Ctrl-C where it runs), then run npm run demo again`
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const problem = await dataDirInUse(dataDirOf(process.argv.slice(2), process.env));
  if (problem !== null) {
    process.stderr.write(`mythic: ${problem}\n`);
    process.exit(1);
  }
}
