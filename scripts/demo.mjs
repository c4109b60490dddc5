// `npm run demo`: refuses at once while a server holds the data dir (seed-demo cannot write into
// it then, and finding out after a ~20 s build wasted the wait), builds only if something changed,
// then runs `mythic seed-demo` with the arguments given after `--`.
import { spawnSync } from 'node:child_process';
import { buildIfChanged } from './build-if-changed.mjs';
import { dataDirInUse, dataDirOf } from './data-dir-free.mjs';

const args = process.argv.slice(2);
const problem = await dataDirInUse(dataDirOf(args, process.env));
if (problem !== null) {
  process.stderr.write(`mythic: ${problem}\n`);
  process.exit(1);
}
const built = buildIfChanged(process.cwd());
if (built !== 0) process.exit(built);
const seed = spawnSync(process.execPath, ['dist/cli.js', 'seed-demo', ...args], { stdio: 'inherit' });
process.exit(seed.status ?? 1);
