/**
 * The chDB HTTP fixture as its own process: chDB allows one data directory per process, so
 * processes that must share one ClickHouse (two Mythic nodes in the multi-node test) reach it here.
 *
 *   CLICKHOUSE_FIXTURE_USER=mythic CLICKHOUSE_FIXTURE_PASSWORD=… \
 *     node --import tsx test/helpers/clickhouseHttpMain.ts --data-dir /tmp/ch [--port 8123]
 *
 * The password comes from the environment so that it never shows in a process list.
 */
import { parseArgs } from 'node:util';
import { startClickhouseHttp } from './clickhouseHttp.js';

const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, port: { type: 'string', default: '0' } }, strict: true });
const dataDir = values['data-dir'];
if (dataDir === undefined || !/^\d+$/.test(values.port)) {
  process.stderr.write('usage: clickhouseHttpMain.ts --data-dir <dir> [--port <n>]\n');
  process.exit(2);
}
const fixture = await startClickhouseHttp({
  dataDir,
  port: Number(values.port),
  user: process.env.CLICKHOUSE_FIXTURE_USER || 'default',
  password: process.env.CLICKHOUSE_FIXTURE_PASSWORD ?? '',
});
process.stdout.write(`ClickHouse ${fixture.version} (chDB) HTTP fixture listening on ${fixture.baseUrl}\n`);
const stop = (): void => {
  void fixture.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
