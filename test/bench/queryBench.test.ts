import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { BIG_CLIENT, BIG_CLIENT_ZONE, engineAnswer, TARGET_QUERIES } from '../../bench/queryApi.js';
import { copyIntoClickHouse } from '../../bench/lib/clickhouseLoad.js';
import { approximationError, runBaseline, type Answer, type AnswerRow } from '../../bench/lib/queryBaseline.js';
import { rotatedOrder } from '../../bench/lib/queryStats.js';
import { loadSyntheticEvents, type SyntheticLoad } from '../../bench/lib/syntheticEvents.js';
import { ClientsService } from '../../src/clients/service.js';
import { openConnection } from '../../src/engines/clickhouse/connection.js';
import { parseClickHouseUrl } from '../../src/engines/clickhouse/url.js';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import { KeysService } from '../../src/keys/service.js';
import { QueryService } from '../../src/query/service.js';
import { systemClock } from '../../src/shared/clock.js';
import { SqliteMetaStore } from '../../src/store/sqlite/sqliteMetaStore.js';
import { CLICKHOUSE_SKIP_REASON, openClickHouseTestStore } from '../helpers/clickhouseEngine.js';

/*
 * The query bench's own guarantees, on a few thousand rows: the synthetic data is the same for
 * the same seed (so two runs, and both engines, hold the same rows), and the baseline asks
 * ClickHouse the engines' question (same rows, period, zone, bots out): with no identity links
 * and few visitors, where `uniq` is exact, its answer is the engines' to the digit.
 */

const END = Date.UTC(2026, 0, 31, 12, 0, 0);
const smallLoad = (seed: number): SyntheticLoad => ({ bigClient: { id: BIG_CLIENT, events: 4_000 }, smallClients: ['bench-small-1', 'bench-small-2'], smallEvents: 500, end: END, days: 40, seed });

const dir = mkdtempSync(join(tmpdir(), 'mythic-query-bench-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** `withoutLinks`: the identity links deleted after the load. */
async function loadedFile(load: SyntheticLoad, withoutLinks = false): Promise<string> {
  const path = join(dir, `events-${files++}.duckdb`);
  const schema = await DuckDbEventStore.open(path);
  await schema.migrate();
  await schema.close();
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    await loadSyntheticEvents(connection, load);
    if (withoutLinks) await connection.run('DELETE FROM identities; CHECKPOINT');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return path;
}

/** Every column of every row, in commit order, and the links: one digest. */
async function fingerprint(path: string): Promise<string> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`
      SELECT (SELECT count(*) || ':' || md5(string_agg(CAST(e AS VARCHAR), '|' ORDER BY seq)) FROM events e)
          || '/' || (SELECT count(*) || ':' || md5(string_agg(CAST(i AS VARCHAR), '|' ORDER BY distinct_id)) FROM identities i)`);
    return String(reader.getRows()[0]?.[0]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('query bench: synthetic data', () => {
  it('is the same for the same seed and sizes, and other for another seed', async () => {
    const [a, b, c] = await Promise.all([loadedFile(smallLoad(1)), loadedFile(smallLoad(1)), loadedFile(smallLoad(2))]);
    const [fa, fb, fc] = [await fingerprint(a), await fingerprint(b), await fingerprint(c)];
    assert.match(fa, /^5000:/);
    assert.equal(fa, fb);
    assert.notEqual(fa, fc);
  });
});

describe('query bench: helpers', () => {
  it('rotates the sides so each goes first, and each follows each other, alike', () => {
    const orders = Array.from({ length: 6 }, (_, run) => rotatedOrder(3, run));
    for (const order of orders) assert.deepEqual([...order].sort(), [0, 1, 2]);
    for (let side = 0; side < 3; side++) assert.equal(orders.filter((o) => o[0] === side).length, 2);
    const follows = (a: number, b: number): number => orders.filter((o) => o.indexOf(b) === o.indexOf(a) + 1).length;
    assert.equal(follows(0, 1), follows(1, 0));
  });

  it('measures the relative error over the exact rows, a missing row apart', () => {
    const rows = (pairs: [string, number][]): { kind: 'rows'; rows: AnswerRow[] } => ({ kind: 'rows', rows: pairs.map(([key, visitors]) => ({ key, visitors, pageViews: 0 })) });
    const error = approximationError(rows([['a', 100], ['b', 50], ['c', 10], ['empty', 0]]), rows([['a', 101], ['b', 50], ['x', 3]]));
    assert.deepEqual(error, { compared: 3, missing: 1, maxRelative: 0.01, meanRelative: 0.01 / 3 });
    assert.equal(approximationError({ kind: 'funnel', reached: [10, 4] }, { kind: 'funnel', reached: [10, 5] }).maxRelative, 0.25);
  });
});

describe('query bench: the baseline asks the engines\' question', { skip: CLICKHOUSE_SKIP_REASON }, () => {
  it('gives the exact answer where uniq is exact and no ids are linked', async () => {
    // Identity resolution is what the baseline leaves out on purpose: without links the answers must meet.
    // Five days: each person's events close enough together for the funnel to reach its last step.
    const path = await loadedFile({ ...smallLoad(3), days: 5 }, true);
    const ch = await openClickHouseTestStore();
    const meta = new SqliteMetaStore(join(dir, 'meta.db'));
    const connection = await openConnection(parseClickHouseUrl(ch.url));
    try {
      await copyIntoClickHouse(path, ch.url, dir);
      const reopened = await DuckDbEventStore.open(path);
      try {
        await meta.migrate();
        await new ClientsService(meta, systemClock).create({ id: BIG_CLIENT, name: 'big', timezone: BIG_CLIENT_ZONE });
        const clock = (): number => END;
        const service = new QueryService(meta, reopened, new KeysService(meta, clock), clock);
        const database = parseClickHouseUrl(ch.url).database;
        for (const query of TARGET_QUERIES) {
          const exact = await engineAnswer(service, query);
          const period = { clientId: BIG_CLIENT, timezone: BIG_CLIENT_ZONE, from: Date.parse(exact.view.period.from), to: Date.parse(exact.view.period.to) };
          const baseline = await runBaseline(connection, database, query.baseline ?? assert.fail('a target query without a baseline'), period);
          // The engines fill days without events with zeros; a GROUP BY has no row for them.
          const expected: Answer = exact.answer.kind === 'rows' ? { kind: 'rows', rows: exact.answer.rows.filter((r) => r.visitors > 0) } : exact.answer;
          assert.ok(expected.kind === 'funnel' ? (expected.reached[2] ?? 0) > 0 : expected.rows.length >= 5, `${query.label}: too little data to compare`);
          assert.deepEqual(baseline, expected, query.label);
        }
      } finally {
        await reopened.close();
      }
    } finally {
      await connection.close();
      await ch.dispose();
      await meta.close();
    }
  });
});
