import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { TAG_TEMPLATES } from '../src/loader/tagTemplates.js';
import { REPO_ROOT, startServer, stopAllServers } from './helpers/server.js';

const run = promisify(execFile);
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** The bash blocks of one README section, in order. */
function bashBlocks(fromHeading: string, toHeading: string): string[] {
  const start = README.indexOf(fromHeading);
  const end = README.indexOf(toHeading, start);
  assert.ok(start >= 0 && end > start, `README has sections ${fromHeading} and ${toHeading}`);
  return [...README.slice(start, end).matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

describe('README', () => {
  after(stopAllServers);

  it('states the two set-up commands', () => {
    assert.ok(bashBlocks('## Quick start', '## Configuration').some((b) => b.includes('npm install && npm start')));
    assert.ok(bashBlocks('## Quick start', '## Configuration').some((b) => b.trim() === 'npm test'));
  });

  it('lists every tag template with its id and UUID, as the catalogue serves them', () => {
    for (const t of TAG_TEMPLATES) assert.ok(README.includes(`| ${t.name} | \`${t.id}\` | \`${t.uuid}\` |`), `${t.id} ${t.uuid}`);
  });

  it('runs every API example as written against a freshly started server', async () => {
    // The examples read data/admin.key relative to where `npm start` runs: give them such a place.
    const workDir = mkdtempSync(join(tmpdir(), 'mythic-readme-'));
    try {
      const server = await startServer({ dataDir: join(workDir, 'data') });
      const blocks = bashBlocks('## API', '## Performance');
      assert.ok(blocks.length >= 8, 'the API section has its examples');
      const script = blocks.join('\n').replace('export MYTHIC=http://127.0.0.1:8080', `export MYTHIC=${server.baseUrl}`);
      assert.notEqual(script, blocks.join('\n'), 'the examples set MYTHIC to the default address');
      const calls = (script.match(/^\s*(?:[A-Z_]+=\$\()?curl /gm) ?? []).length;
      const captured = (script.match(/^\s*[A-Z_]+=\$\(curl /gm) ?? []).length;
      // Every call must succeed with a 2xx: --fail-with-body turns any other status into an error.
      const strict = `set -euo pipefail\nshopt -s inherit_errexit\ncurl() { command curl --fail-with-body --show-error "$@"; echo; }\n${script}`;
      const { stdout } = await run('bash', ['-c', strict], { cwd: workDir, env: { ...process.env, PATH: process.env.PATH } });
      const answers = stdout.split('\n').filter((line) => line.startsWith('{'));
      assert.equal(answers.length, calls - captured, 'one JSON answer per call (ids and keys captured into variables are not printed)');
      const parsed = answers.map(
        (a) => JSON.parse(a) as { success?: boolean; openapi?: string; errorsWhileComputingFlags?: boolean; hasFeatureFlags?: boolean; jsonrpc?: string; result?: { isError?: boolean } },
      );
      // PostHog's SDKs read their flags and remote config in PostHog's shapes, not in the envelope.
      const postHogShaped = (a: (typeof parsed)[number]): boolean => a.errorsWhileComputingFlags === false || a.hasFeatureFlags === false;
      // /mcp answers JSON-RPC: a tool result that is not a tool error.
      const mcpResult = (a: (typeof parsed)[number]): boolean => a.jsonrpc === '2.0' && a.result !== undefined && a.result.isError !== true;
      assert.ok(
        parsed.every((a) => a.success === true || a.openapi === '3.1.0' || postHogShaped(a) || mcpResult(a)),
        'every answer is a success envelope (or the API description, a PostHog SDK’s settings, or an MCP tool’s result)',
      );
      assert.equal(parsed.filter(mcpResult).length, 1, 'the MCP example ran');
      assert.equal(parsed.filter(postHogShaped).length, 2, 'the PostHog settings examples ran');
      assert.ok(answers.some((a) => a === '{"success":true,"deleted":"acme-retail","hard":true}'));
      server.kill('SIGTERM');
      await server.waitForExit();
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
