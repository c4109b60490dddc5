/**
 * ClickHouse's HTTP interface served from chDB, for tests: chDB allows one data directory per
 * process, so two Mythic nodes can share one ClickHouse only through a process like this one. It
 * carries what @clickhouse/client 1.23.1 sends (GET /ping; POST with the query in the `query`
 * parameter, the body or a multipart form; rows after an INSERT's FORMAT clause; `param_<name>`;
 * `database`; basic auth or X-ClickHouse-User/Key; gzip both ways) and answers as ClickHouse does
 * (errors as `Code: N. DB::Exception: …` with X-ClickHouse-Exception-Code and ClickHouse's status
 * for the code; X-ClickHouse-Summary). Every statement runs on the real engine; nothing here reads SQL.
 *
 * Bound parameters go to chDB's native binding as the client sent them. chDB's `queryBindAsync`
 * takes JS values and escapes strings again, which cannot carry an Array(String) value such as
 * ['it\'s'] (measured: the engine then sees a broken literal); the native call is the one that
 * function makes after formatting, with the same one-at-a-time rule. ClickHouse settings in the
 * URL apply to their statement alone: SET before it, SET … = DEFAULT after it.
 *
 * `startClickhouseHttp` takes the process's one chDB data directory: a test file that also opens
 * the engine with chdb: in-process must use `spawnClickhouseHttp` (its own process) instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync, inflateSync, brotliDecompressSync } from 'node:zlib';

export interface ClickhouseHttpOptions {
  /** chDB's data directory; one per process. */
  dataDir: string;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** The one user the fixture accepts; `default` unless given. */
  user?: string;
  /** That user's password; empty unless given. */
  password?: string;
}

export interface ClickhouseHttp {
  /** http://127.0.0.1:<port>, without credentials. */
  baseUrl: string;
  /** ClickHouse's version inside chDB, e.g. 26.7.2.1. */
  version: string;
  /** Waits for statements in flight, stops serving and closes chDB. */
  close(): Promise<void>;
}

interface NativeResult {
  bytes: Buffer;
  elapsed: number;
  rowsRead: number;
  bytesRead: number;
}

interface NativeInsertResult {
  elapsed: number;
  rowsWritten: number;
  bytesWritten: number;
}

/** The two calls of chDB's native addon used here (the ones its own Session methods make). */
interface ChdbNative {
  QueryAsyncConnection(connection: unknown, sql: string, format: string, params?: Record<string, string>): Promise<NativeResult>;
  InsertRawAsyncConnection(connection: unknown, prefix: string, data: Buffer, countLines: boolean): Promise<NativeInsertResult>;
}

interface ChdbSession {
  connection: unknown;
  close(): void;
}

async function openChdb(dataDir: string): Promise<{ session: ChdbSession; native: ChdbNative }> {
  // chdb is installed with --no-save (546 MB): loaded only when a test asks for it.
  // A variable specifier, as in the engine: where chdb is absent (CI's Node 24 pass) the type
  // checker must not require it.
  const specifier = 'chdb';
  const { Session } = (await import(specifier)) as { Session: new (dir: string) => ChdbSession };
  const session = new Session(dataDir);
  const require = createRequire(import.meta.url);
  const loader: unknown = require(join(dirname(require.resolve('chdb')), 'dist', 'loader.js'));
  const native = (loader as { loadNative(): ChdbNative }).loadNative();
  if (typeof native.QueryAsyncConnection !== 'function' || typeof native.InsertRawAsyncConnection !== 'function') {
    session.close();
    throw new Error('this chdb version lacks QueryAsyncConnection/InsertRawAsyncConnection (the fixture is written against chdb 3.4)');
  }
  return { session, native };
}

/** An error ClickHouse itself would answer with: its code and HTTP status. */
class ClickhouseFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** ClickHouse's own mapping from exception code to HTTP status (HTTPHandler.cpp), for the codes tests meet. */
const STATUS_BY_CODE = new Map<number, number>([
  [194, 401], // REQUIRED_PASSWORD
  [192, 403], // UNKNOWN_USER
  [193, 403], // WRONG_PASSWORD
  [516, 403], // AUTHENTICATION_FAILED
  [6, 400], // CANNOT_PARSE_TEXT
  [26, 400], // CANNOT_PARSE_QUOTED_STRING
  [27, 400], // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  [36, 400], // BAD_ARGUMENTS
  [38, 400], // CANNOT_PARSE_DATE
  [41, 400], // CANNOT_PARSE_DATETIME
  [42, 400], // NUMBER_OF_ARGUMENTS_DOESNT_MATCH
  [43, 400], // ILLEGAL_TYPE_OF_ARGUMENT
  [44, 400], // ILLEGAL_COLUMN
  [62, 400], // SYNTAX_ERROR
  [72, 400], // CANNOT_PARSE_NUMBER
  [117, 400], // INCORRECT_DATA
  [456, 400], // UNKNOWN_QUERY_PARAMETER
  [457, 400], // BAD_QUERY_PARAMETER
  [16, 404], // NO_SUCH_COLUMN_IN_TABLE
  [46, 404], // UNKNOWN_FUNCTION
  [47, 404], // UNKNOWN_IDENTIFIER
  [50, 404], // UNKNOWN_TYPE
  [60, 404], // UNKNOWN_TABLE
  [81, 404], // UNKNOWN_DATABASE
  [48, 501], // NOT_IMPLEMENTED
  [159, 408], // TIMEOUT_EXCEEDED
]);

const CODE_PREFIX = /^Code: (\d+)\. /;

function failureOf(error: unknown): ClickhouseFailure {
  if (error instanceof ClickhouseFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = CODE_PREFIX.exec(message)?.[1];
  // 1001 is ClickHouse's STD_EXCEPTION: what it reports for a failure without its own code.
  if (code === undefined) return new ClickhouseFailure(1001, `Code: 1001. DB::Exception: ${message}. (STD_EXCEPTION)`);
  return new ClickhouseFailure(Number(code), message);
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Who the request says it is, the ways ClickHouse reads it: basic auth, X-ClickHouse-User/Key, or user/password parameters. */
function credentialsOf(request: IncomingMessage, url: URL): { user: string; password: string } {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const user = request.headers['x-clickhouse-user'];
  if (typeof user === 'string') {
    const key = request.headers['x-clickhouse-key'];
    return { user, password: typeof key === 'string' ? key : '' };
  }
  return { user: url.searchParams.get('user') ?? 'default', password: url.searchParams.get('password') ?? '' };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const encoding = request.headers['content-encoding'];
  if (encoding === undefined || encoding === 'identity') return raw;
  if (encoding === 'gzip') return gunzipSync(raw);
  if (encoding === 'deflate') return inflateSync(raw);
  if (encoding === 'br') return brotliDecompressSync(raw);
  throw new ClickhouseFailure(1001, `Code: 1001. DB::Exception: Unknown HTTP compression method: ${encoding}. (STD_EXCEPTION)`);
}

/** The fields of a multipart/form-data body (how the client sends long bound parameters). */
function multipartFields(body: Buffer, contentType: string): Map<string, string> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const fields = new Map<string, string>();
  const marker = boundary?.[1] ?? boundary?.[2];
  if (marker === undefined) return fields;
  for (const part of body.toString('utf8').split(`--${marker}`)) {
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const name = /name="([^"]*)"/.exec(part.slice(0, headerEnd))?.[1];
    if (name === undefined) continue;
    // Each part ends with the CRLF that precedes the next boundary.
    fields.set(name, part.slice(headerEnd + 4).replace(/\r\n$/, ''));
  }
  return fields;
}

interface Statement {
  /** The whole query text, or an INSERT's text up to its data when `data` is set. */
  sql: string;
  data: Buffer | undefined;
  params: Record<string, string>;
  database: string;
  /** ClickHouse settings from the URL, applied to this statement only. */
  settings: Array<[string, string]>;
}

/** URL parameters of the HTTP interface itself rather than ClickHouse settings. */
const HTTP_PARAMETERS = new Set([
  'query', 'query_id', 'database', 'user', 'password', 'quota_key', 'session_id', 'session_timeout', 'session_check',
  'default_format', 'enable_http_compression', 'http_zlib_compression_level', 'wait_end_of_query', 'buffer_size',
  'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'role', 'compress', 'decompress',
]);

const quoted = (value: string): string => `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;

const INSERT = /^\s*INSERT\s/i;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

async function statementOf(request: IncomingMessage, url: URL): Promise<Statement> {
  const params: Record<string, string> = {};
  const settings: Array<[string, string]> = [];
  for (const [name, value] of url.searchParams) {
    if (name.startsWith('param_')) params[name.slice('param_'.length)] = value;
    else if (!HTTP_PARAMETERS.has(name)) {
      if (!IDENTIFIER.test(name)) throw new ClickhouseFailure(115, `Code: 115. DB::Exception: Unknown setting '${name}'. (UNKNOWN_SETTING)`);
      settings.push([name, value]);
    }
  }
  const body = request.method === 'POST' ? await readBody(request) : Buffer.alloc(0);
  let urlQuery = url.searchParams.get('query') ?? undefined;
  let data: Buffer | undefined = body;
  const contentType = request.headers['content-type'] ?? '';
  if (contentType.startsWith('multipart/form-data')) {
    const fields = multipartFields(body, contentType);
    for (const [name, value] of fields) if (name.startsWith('param_')) params[name.slice('param_'.length)] = value;
    urlQuery = fields.get('query') ?? urlQuery;
    data = undefined;
  }
  const database = url.searchParams.get('database') ?? (request.headers['x-clickhouse-database'] as string | undefined) ?? 'default';
  if (!IDENTIFIER.test(database)) throw new ClickhouseFailure(81, `Code: 81. DB::Exception: Database ${database} does not exist. (UNKNOWN_DATABASE)`);
  if (data !== undefined && data.length === 0) data = undefined;
  // As ClickHouse does: the query parameter, then the body; an INSERT's body is its data.
  if (urlQuery !== undefined && data !== undefined && INSERT.test(urlQuery)) return { sql: urlQuery, data, params, database, settings };
  const sql = [urlQuery, data?.toString('utf8')].filter((part) => part !== undefined).join('\n');
  if (sql.trim() === '') throw new ClickhouseFailure(62, 'Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)');
  return { sql, data: undefined, params, database, settings };
}

const JSON_FORMAT = /\bFORMAT\s+JSON\w*\s*;?\s*$/i;

/** Serves ClickHouse's HTTP interface from chDB on 127.0.0.1 until `close`. */
export async function startClickhouseHttp(options: ClickhouseHttpOptions): Promise<ClickhouseHttp> {
  const { session, native } = await openChdb(options.dataDir);
  const user = options.user ?? 'default';
  const password = options.password ?? '';
  // One statement at a time: `USE` is per connection, and chDB runs bound queries one by one anyway.
  let tail: Promise<unknown> = Promise.resolve();
  let currentDatabase = '';
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  };
  const versionResult = await serially(() => native.QueryAsyncConnection(session.connection, 'SELECT version()', 'TabSeparated'));
  const version = versionResult.bytes.toString('utf8').trim();

  const execute = (statement: Statement): Promise<{ body: Buffer; summary: Record<string, string> }> =>
    serially(async () => {
      if (statement.database !== currentDatabase) {
        await native.QueryAsyncConnection(session.connection, `USE ${statement.database}`, 'TabSeparated');
        currentDatabase = statement.database;
      }
      const run = (sql: string): Promise<NativeResult> => native.QueryAsyncConnection(session.connection, sql, 'TabSeparated');
      if (statement.settings.length > 0) await run(`SET ${statement.settings.map(([name, value]) => `${name} = ${quoted(value)}`).join(', ')}`);
      try {
        if (statement.data !== undefined) {
          const inserted = await native.InsertRawAsyncConnection(session.connection, statement.sql, statement.data, false);
          return { body: Buffer.alloc(0), summary: summaryOf(0, 0, inserted.rowsWritten, inserted.bytesWritten, inserted.elapsed) };
        }
        const bound = Object.keys(statement.params).length > 0;
        const result = bound ? await native.QueryAsyncConnection(session.connection, statement.sql, 'TabSeparated', statement.params) : await run(statement.sql);
        return { body: result.bytes, summary: summaryOf(result.rowsRead, result.bytesRead, 0, 0, result.elapsed) };
      } finally {
        if (statement.settings.length > 0) await run(`SET ${statement.settings.map(([name]) => `${name} = DEFAULT`).join(', ')}`);
      }
    });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://fixture');
    const queryId = url.searchParams.get('query_id') ?? randomUUID();
    response.setHeader('X-ClickHouse-Server-Display-Name', 'chdb-http-fixture');
    response.setHeader('X-ClickHouse-Query-Id', queryId);
    try {
      if (request.method === 'GET' && (url.pathname === '/ping' || (url.pathname === '/' && !url.searchParams.has('query')))) {
        response.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8' }).end('Ok.\n');
        return;
      }
      if (url.pathname !== '/' || (request.method !== 'POST' && request.method !== 'GET')) {
        throw new ClickhouseFailure(1001, `Code: 1001. DB::Exception: There is no handle ${url.pathname} for ${request.method}. (STD_EXCEPTION)`);
      }
      const claimed = credentialsOf(request, url);
      if (!constantTimeEqual(claimed.user, user) || !constantTimeEqual(claimed.password, password)) {
        // Drain the body so the connection stays usable for the client's next request.
        request.resume();
        throw new ClickhouseFailure(516, `Code: 516. DB::Exception: ${claimed.user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`);
      }
      const statement = await statementOf(request, url);
      const { body, summary } = await execute(statement);
      const gzip = url.searchParams.get('enable_http_compression') === '1' && /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
      response.writeHead(200, {
        'Content-Type': JSON_FORMAT.test(statement.sql) ? 'application/json; charset=UTF-8' : 'text/tab-separated-values; charset=UTF-8',
        'X-ClickHouse-Summary': JSON.stringify(summary),
        ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
      });
      response.end(gzip ? gzipSync(body) : body);
    } catch (error) {
      const failure = failureOf(error);
      response.writeHead(STATUS_BY_CODE.get(failure.code) ?? 500, {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Exception-Code': String(failure.code),
      });
      response.end(`${failure.message} (version ${version})\n`);
    }
  };

  const server: Server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    version,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await tail;
      session.close();
    },
  };
}

/** X-ClickHouse-Summary as ClickHouse writes it: every figure a string. */
function summaryOf(readRows: number, readBytes: number, writtenRows: number, writtenBytes: number, elapsedSeconds: number): Record<string, string> {
  return {
    read_rows: String(readRows),
    read_bytes: String(readBytes),
    written_rows: String(writtenRows),
    written_bytes: String(writtenBytes),
    total_rows_to_read: String(readRows),
    result_rows: String(writtenRows),
    result_bytes: String(writtenBytes),
    elapsed_ns: String(Math.round(elapsedSeconds * 1e9)),
  };
}

/** The runnable script next to this module: `node --import tsx test/helpers/clickhouseHttpMain.ts`. */
const MAIN = fileURLToPath(new URL('./clickhouseHttpMain.ts', import.meta.url));
const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

export interface ClickhouseHttpProcess {
  baseUrl: string;
  child: ChildProcess;
  /** SIGTERM, then waits for the exit (chDB flushes and closes). */
  stop(): Promise<void>;
}

/**
 * Starts the fixture as its own process (so several processes, e.g. two Mythic nodes, can share it).
 * The password goes through the environment, never the command line.
 */
export async function spawnClickhouseHttp(options: ClickhouseHttpOptions): Promise<ClickhouseHttpProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--data-dir', options.dataDir, '--port', String(options.port ?? 0)], {
    env: { ...process.env, CLICKHOUSE_FIXTURE_USER: options.user ?? 'default', CLICKHOUSE_FIXTURE_PASSWORD: options.password ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ClickHouse fixture did not start within 60 s\n${output}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = LISTENING.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the ClickHouse fixture exited before listening\n${output}`));
    });
  });
  return {
    baseUrl,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
