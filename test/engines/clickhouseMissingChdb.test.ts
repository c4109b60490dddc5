import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

it('without the chdb package, a chdb: URL fails with one line saying how to install it', async () => {
  const script = `
    import { openClickHouseEventStore } from './src/engines/clickhouse/clickhouseEventStore.ts';
    try { await openClickHouseEventStore('chdb:/tmp/mythic-no-chdb'); console.log('opened'); }
    catch (error) { console.log(error.message); }`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--import', './test/engines/fixtures/withoutChdb.mjs', '--input-type=module', '-e', script]);
  assert.equal(stdout.trim(), 'the chdb: engine needs the chdb package, which is not installed by default (546 MB): run `npm install --no-save chdb@3.4.0`');
});
