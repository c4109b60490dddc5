/**
 * Run by journalSizeLimit.test.ts in a child process whose files may not grow past a limit
 * (`ulimit -f`). `journal`: appends three-line groups to a journal in argv[2] until one fails,
 * then one short group that fits again, and prints the uuids of every append that was
 * acknowledged. `writer`: writes events through an EventWriter until one is refused, and prints
 * how. `http`: sends page views to the whole app's `POST /e` until one is not acknowledged, and
 * prints that answer (the stores live in memory: only the journal writes files).
 */
import { randomUUID } from 'node:crypto';
import { buildApp } from '../../src/app.js';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import { Journal } from '../../src/pipeline/journal.js';
import { JournalUnavailable } from '../../src/pipeline/eventSink.js';
import { EventWriter } from '../../src/pipeline/eventWriter.js';
import { sha256Hex } from '../../src/keys/secrets.js';
import { SqliteMetaStore } from '../../src/store/sqlite/sqliteMetaStore.js';
import { storedEvent } from './events.js';

const [dir, mode] = process.argv.slice(2);
if (dir === undefined || !['journal', 'writer', 'http'].includes(mode ?? '')) throw new Error('usage: journalUnderSizeLimit.ts <dir> journal|writer|http');

if (mode === 'http') {
  const adminKey = 'mk_size_limit_0123456789abcdef0123456789';
  const store = new SqliteMetaStore(':memory:');
  await store.migrate();
  const events = await DuckDbEventStore.open(':memory:');
  await events.migrate();
  const app = await buildApp({ store, events, journalDir: dir, adminKeyHash: sha256Hex(adminKey), logLevel: false });
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/clients',
    headers: { authorization: `Bearer ${adminKey}` },
    payload: { id: 'size-limit', name: 'Size limit', domain: 'acme.test' },
  });
  const pk = (created.json() as { data: { publishable_key: string } }).data.publishable_key;
  let acknowledged = 0;
  for (let i = 0; i < 1000; i += 1) {
    const answer = await app.inject({
      method: 'POST',
      url: '/e',
      headers: { origin: 'https://acme.test' },
      payload: { api_key: pk, event: '$pageview', distinct_id: `visitor-${i}`, properties: { $current_url: 'https://acme.test/' } },
    });
    if (answer.statusCode === 200) {
      acknowledged += 1;
      continue;
    }
    const body = answer.json() as { success?: boolean; code?: string };
    process.stdout.write(JSON.stringify({ acknowledged, status: answer.statusCode, success: body.success, code: body.code, retryAfter: answer.headers['retry-after'] }));
    break;
  }
  // Never refused: say so, for the test to show rather than fail on an empty answer.
  if (acknowledged === 1000) process.stdout.write(JSON.stringify({ acknowledged, status: 200 }));
  await app.close();
  await events.close();
  await store.close();
  process.exit(0);
}

if (mode === 'writer') {
  const store = await DuckDbEventStore.open(':memory:');
  await store.migrate();
  const writer = await EventWriter.open(store, dir, {}, () => undefined);
  let refusal: unknown;
  for (let i = 0; i < 1000 && refusal === undefined; i += 1) {
    await writer.write([storedEvent({ client_id: 'size-limit' })], []).catch((error: unknown) => {
      refusal = error;
    });
  }
  const cause = refusal instanceof Error ? (refusal.cause as NodeJS.ErrnoException | undefined) : undefined;
  process.stdout.write(
    JSON.stringify({ refusal: refusal instanceof JournalUnavailable ? 'JournalUnavailable' : String(refusal), retryAfter: (refusal as JournalUnavailable).retryAfterSeconds, cause: cause?.code }),
  );
  process.exit(0);
}

const line = (uuid: string): string => `${JSON.stringify({ events: [storedEvent({ client_id: 'size-limit', uuid })], links: [] })}\n`;

const { journal } = await Journal.open(dir);
const acknowledged: string[] = [];
let failure = '';
for (let group = 0; group < 1000 && failure === ''; group += 1) {
  const uuids = [randomUUID(), randomUUID(), randomUUID()];
  try {
    await journal.append(uuids.map((uuid) => Buffer.from(line(uuid))));
    acknowledged.push(...uuids);
  } catch (error) {
    failure = (error as NodeJS.ErrnoException).code ?? String(error);
  }
}
// Cut back to the last acknowledged group, the segment has room again for one short line: an
// event without its long values, so that it fits whatever a stored event's columns add up to (a
// full line, 871 bytes once events had link_id, no longer fitted the 706 bytes left).
const last = randomUUID();
const shortLine = `${JSON.stringify({
  events: [
    storedEvent({ client_id: 'size-limit', uuid: last, properties: '{}', url: null, host: null, path: null, utm_source: null, session_id: null, device_id: null, browser: null, browser_version: null, os: null, device_type: null, ip: null, user_agent: null }),
  ],
  links: [],
})}\n`;
let afterFailure = 'refused';
try {
  await journal.append([Buffer.from(shortLine)]);
  acknowledged.push(last);
  afterFailure = 'acknowledged';
} catch {
  // reported below
}
await journal.close();
process.stdout.write(JSON.stringify({ acknowledged, failure, afterFailure }));
