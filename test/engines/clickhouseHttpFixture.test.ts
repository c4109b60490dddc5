import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_SKIP_REASON } from '../helpers/clickhouseEngine.js';
import { spawnClickhouseHttp, startClickhouseHttp, type ClickhouseHttp } from '../helpers/clickhouseHttp.js';

const USER = 'mythic';
const PASSWORD = 'fixture-pw';

describe('the chDB fixture serving ClickHouse over HTTP, driven by @clickhouse/client', { skip: CLICKHOUSE_SKIP_REASON ?? false }, () => {
  let dataDir: string;
  let fixture: ClickhouseHttp;
  const clients: ClickHouseClient[] = [];
  const connect = (config: Parameters<typeof createClient>[0] = {}): ClickHouseClient => {
    // Failures are what some tests expect: the client's own error log would only add noise.
    const client = createClient({ url: fixture.baseUrl, username: USER, password: PASSWORD, log: { level: ClickHouseLogLevel.OFF }, ...config });
    clients.push(client);
    return client;
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mythic-chfixture-'));
    fixture = await startClickhouseHttp({ dataDir, user: USER, password: PASSWORD });
    const admin = connect();
    await admin.command({ query: 'CREATE DATABASE IF NOT EXISTS fixture' });
    await admin.command({
      query: 'CREATE TABLE fixture.events (id UInt64, name String, tags Array(String), at DateTime64(3, \'UTC\')) ENGINE = MergeTree ORDER BY id',
    });
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await fixture.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers ping and reports the engine version', async () => {
    assert.deepEqual(await connect().ping(), { success: true });
    assert.match(fixture.version, /^\d+\.\d+\./);
    const rows = await (await connect().query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>();
    assert.deepEqual(rows, [{ v: fixture.version }]);
  });

  it('inserts JSONEachRow rows into the named database and reports them written in X-ClickHouse-Summary', async () => {
    const client = connect({ database: 'fixture' });
    const inserted = await client.insert({
      table: 'events',
      format: 'JSONEachRow',
      values: [
        { id: 1, name: "it's", tags: ["o'clock", 'a\\b'], at: '2026-03-29 00:30:00.125' },
        { id: 2, name: 'tab\there', tags: [], at: '2026-03-29 01:30:00.000' },
      ],
    });
    assert.equal(inserted.summary?.written_rows, '2');
    // Unqualified: `database` chose fixture.
    const rows = await (await client.query({ query: 'SELECT id, name, tags FROM events ORDER BY id', format: 'JSONEachRow' })).json();
    assert.deepEqual(rows, [
      { id: 1, name: "it's", tags: ["o'clock", 'a\\b'] },
      { id: 2, name: 'tab\there', tags: [] },
    ]);
  });

  it('binds param_<name> values exactly as a server does, strings and arrays with quotes and backslashes included', async () => {
    const client = connect({ database: 'fixture' });
    const result = await client.query({
      query: 'SELECT count() AS n, {name:String} AS name, {tags:Array(String)} AS bound_tags, {at:DateTime64(3)} AS at FROM events WHERE hasAny(tags, {tags:Array(String)}) AND id >= {min:UInt64}',
      format: 'JSONEachRow',
      query_params: { name: "quote ' back \\ tab \t nl \n", tags: ["o'clock", 'a\\b'], min: 1, at: '2026-03-29 00:30:00.125' },
    });
    assert.deepEqual(await result.json(), [{ n: 1, name: "quote ' back \\ tab \t nl \n", bound_tags: ["o'clock", 'a\\b'], at: '2026-03-29 00:30:00.125' }]);
  });

  it('takes bound parameters from a multipart body, as the client sends long ones', async () => {
    const client = connect({ use_multipart_params: true });
    const long = 'x'.repeat(10_000);
    const rows = await (await client.query({ query: 'SELECT length({long:String}) AS n, {q:String} AS q', format: 'JSONEachRow', query_params: { long, q: "it's" } })).json();
    assert.deepEqual(rows, [{ n: 10000, q: "it's" }]);
  });

  it('accepts gzip request bodies and compresses answers when asked', async () => {
    const client = connect({ database: 'fixture', compression: { request: true, response: true } });
    await client.insert({ table: 'events', format: 'JSONEachRow', values: [{ id: 3, name: 'zipped', tags: [], at: '2026-01-01 00:00:00' }] });
    const rows = await (await client.query({ query: 'SELECT name FROM events WHERE id = 3', format: 'JSONEachRow' })).json();
    assert.deepEqual(rows, [{ name: 'zipped' }]);
  });

  it('applies ClickHouse settings from the URL to their statement alone', async () => {
    const client = connect();
    const query = 'SELECT toUInt64(5) AS big, getSetting(\'max_threads\') AS threads';
    const set = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 1, max_threads: 3 } });
    assert.deepEqual(await set.json(), [{ big: '5', threads: 3 }]);
    // chDB 26.7's defaults again on the next statement (ClickHouse 25.x stopped quoting 64-bit integers by default).
    const unset = await (await client.query({ query, format: 'JSONEachRow' })).json<{ big: unknown; threads: number }>();
    assert.equal(unset[0]?.big, 5);
    assert.notEqual(unset[0]?.threads, 3);
    await assert.rejects(client.query({ query: 'SELECT 1', clickhouse_settings: { no_such_setting: 1 } as Record<string, number> }), (error: unknown) => {
      assert.ok(error instanceof ClickHouseError && error.code === '115', String(error));
      return true;
    });
  });

  it('answers errors the way ClickHouse does: the code, its type and the message reach the client as a ClickHouseError', async () => {
    const client = connect();
    await assert.rejects(client.query({ query: 'SELECT no_such_column', format: 'JSONEachRow' }), (error: unknown) => {
      assert.ok(error instanceof ClickHouseError, String(error));
      assert.equal(error.code, '47');
      assert.equal(error.type, 'UNKNOWN_IDENTIFIER');
      assert.match(error.message, /no_such_column/);
      return true;
    });
    await assert.rejects(client.query({ query: 'SELECT {n:UInt8}', query_params: { n: 'abc' } }), (error: unknown) => {
      assert.ok(error instanceof ClickHouseError && error.code === '457' && error.type === 'BAD_QUERY_PARAMETER', String(error));
      return true;
    });
    await assert.rejects(client.insert({ table: 'fixture.events', format: 'JSONEachRow', values: [{ id: 'not a number' }] }), (error: unknown) => {
      assert.ok(error instanceof ClickHouseError, String(error));
      return true;
    });
    // Over raw HTTP: ClickHouse's status for the code, the code header, the body's first words.
    const raw = await fetch(`${fixture.baseUrl}/?query=${encodeURIComponent('SELEC 1')}`, { method: 'POST', headers: { 'X-ClickHouse-User': USER, 'X-ClickHouse-Key': PASSWORD } });
    assert.equal(raw.status, 400);
    assert.equal(raw.headers.get('x-clickhouse-exception-code'), '62');
    assert.match(await raw.text(), /^Code: 62\. DB::Exception: .*\(SYNTAX_ERROR\) \(version \d+/s);
  });

  it('refuses a wrong password or user with code 516, by basic auth and by X-ClickHouse-User/Key', async () => {
    for (const client of [
      connect({ password: 'wrong' }),
      connect({ username: 'intruder' }),
      connect({ set_basic_auth_header: false, username: undefined, password: undefined, http_headers: { 'X-ClickHouse-User': USER, 'X-ClickHouse-Key': 'wrong' } }),
    ]) {
      await assert.rejects(client.query({ query: 'SELECT 1' }), (error: unknown) => {
        assert.ok(error instanceof ClickHouseError && error.code === '516' && error.type === 'AUTHENTICATION_FAILED', String(error));
        return true;
      });
    }
    const raw = await fetch(`${fixture.baseUrl}/?query=SELECT%201`, { method: 'POST' });
    assert.equal(raw.status, 403);
    assert.equal(raw.headers.get('x-clickhouse-exception-code'), '516');
    const headers = connect({ set_basic_auth_header: false, http_headers: { 'X-ClickHouse-User': USER, 'X-ClickHouse-Key': PASSWORD } });
    assert.equal(await (await headers.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' })).text(), '{"one":1}\n');
  });

  it('runs as its own process that two clients share', async () => {
    const processDir = mkdtempSync(join(tmpdir(), 'mythic-chfixture-proc-'));
    const proc = await spawnClickhouseHttp({ dataDir: processDir, user: USER, password: PASSWORD });
    try {
      const writer = createClient({ url: proc.baseUrl, username: USER, password: PASSWORD });
      const reader = createClient({ url: proc.baseUrl, username: USER, password: PASSWORD });
      await writer.command({ query: 'CREATE TABLE shared (n UInt32) ENGINE = MergeTree ORDER BY n' });
      await Promise.all([1, 2, 3].map((n) => writer.insert({ table: 'shared', format: 'JSONEachRow', values: [{ n }] })));
      const rows = await (await reader.query({ query: 'SELECT sum(n) AS total FROM shared', format: 'JSONEachRow' })).json();
      assert.deepEqual(rows, [{ total: 6 }]);
      await Promise.all([writer.close(), reader.close()]);
    } finally {
      await proc.stop();
      rmSync(processDir, { recursive: true, force: true });
    }
    assert.equal(proc.child.exitCode, 0, 'SIGTERM closes chDB and exits cleanly');
  });
});
