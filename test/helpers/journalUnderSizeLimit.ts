/**
 * Run by journalSizeLimit.test.ts in a child process whose files may not grow past a limit
 * (`ulimit -f`). `journal`: appends three-line groups to a journal in argv[2] until one fails,
 * then one short group that fits again, and prints the uuids of every append that was
 * acknowledged. `writer`: writes events through an EventWriter until one is refused, and prints
 * how.
 */
import { randomUUID } from 'node:crypto';
import { DuckDbEventStore } from '../../src/events/duckdb/duckdbEventStore.js';
import { Journal } from '../../src/events/journal.js';
import { JournalUnavailable } from '../../src/ingest/eventSink.js';
import { EventWriter } from '../../src/ingest/eventWriter.js';
import { storedEvent } from './events.js';

const [dir, mode] = process.argv.slice(2);
if (dir === undefined || (mode !== 'journal' && mode !== 'writer')) throw new Error('usage: journalUnderSizeLimit.ts <dir> journal|writer');

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
    await journal.append(uuids.map(line).join(''));
    acknowledged.push(...uuids);
  } catch (error) {
    failure = (error as NodeJS.ErrnoException).code ?? String(error);
  }
}
// Cut back to the last acknowledged group, the segment has room again for one short line.
const last = randomUUID();
let afterFailure = 'refused';
try {
  await journal.append(line(last));
  acknowledged.push(last);
  afterFailure = 'acknowledged';
} catch {
  // reported below
}
await journal.close();
process.stdout.write(JSON.stringify({ acknowledged, failure, afterFailure }));
