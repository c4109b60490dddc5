import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Journal } from '../../src/pipeline/journal.js';
import { storedEvent } from '../helpers/events.js';

const line = (uuid: string, padding = 0): Buffer =>
  Buffer.from(`${JSON.stringify({ events: [storedEvent({ client_id: 'journal', uuid, properties: JSON.stringify({ pad: 'x'.repeat(padding) }) })], links: [] })}\n`);

const uuidsOf = (leftover: { records: { events: { uuid: string }[] }[] }[]): string[] => leftover.flatMap((segment) => segment.records.flatMap((record) => record.events.map((event) => event.uuid)));

describe('journal segments: zeros written ahead of the records', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mythic-journal-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const segmentFile = (): string => {
    const names = readdirSync(dir).filter((name) => name.endsWith('.journal'));
    assert.equal(names.length, 1, `one segment: ${names.join(', ')}`);
    return join(dir, names[0] as string);
  };

  it('keeps zeros on disk ahead of its records, and a reopen reads exactly the records appended', async () => {
    const { journal } = await Journal.open(dir);
    const appended: string[] = [];
    let dataBytes = 0;
    // Groups of one line to a few hundred KiB: some fit in the zeros ahead, some run past them.
    const sizes = [0, 10, 2_000, 300_000, 50, 700_000, 1, 120_000, 900_000, 5, 40_000];
    for (const [i, padding] of sizes.entries()) {
      const uuids = Array.from({ length: 1 + (i % 3) }, () => randomUUID());
      const lines = uuids.map((uuid) => line(uuid, padding));
      await journal.append(lines);
      appended.push(...uuids);
      dataBytes += lines.reduce((sum, bytes) => sum + bytes.length, 0);
      const file = readFileSync(segmentFile());
      assert.ok(file.length >= dataBytes, 'every record is in the file');
      assert.ok(file.subarray(dataBytes).every((byte) => byte === 0), 'nothing but zeros after the records');
      assert.ok(file.subarray(0, dataBytes).indexOf(0) < 0, 'no zero among the records');
    }
    await journal.close();
    assert.ok(statSync(segmentFile()).size > dataBytes, 'zeros were written ahead of the records');

    const reopened = await Journal.open(dir);
    await reopened.journal.close();
    assert.deepEqual(uuidsOf(reopened.leftover), appended);
  });

  it('applies nothing of a group whose later pages reached the disk before its earlier ones', async () => {
    const kept = randomUUID();
    // A crash during an append: the group's second page is on disk, its first is still zeros, and
    // the second page happens to hold a whole line. None of it was acknowledged.
    const torn = line(randomUUID(), 5_000);
    const whole = line(randomUUID());
    const page = Buffer.concat([whole, Buffer.alloc(4096 - whole.length, 0x20)]);
    writeFileSync(join(dir, '000000000004.journal'), Buffer.concat([line(kept), Buffer.alloc(torn.length), page, Buffer.alloc(8192)]));
    const { journal, leftover } = await Journal.open(dir);
    await journal.close();
    assert.deepEqual(uuidsOf(leftover), [kept]);
    // What followed the zeros is kept beside the segment, for an operator.
    assert.deepEqual(leftover[0]?.keptTail, join(dir, '000000000004.journal.tail'));
    assert.ok(readFileSync(join(dir, '000000000004.journal.tail')).includes(whole));
  });

  it('keeps, rather than loses, acknowledged records found after a zero inside them (a damaged disk)', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const damaged = line(b, 3_000);
    damaged.fill(0, 1_000, 1_512);
    writeFileSync(join(dir, '000000000005.journal'), Buffer.concat([line(a), damaged, line(c), Buffer.alloc(4096)]));
    const { journal, leftover } = await Journal.open(dir);
    await journal.close();
    assert.deepEqual(uuidsOf(leftover), [a]);
    const tail = readFileSync(join(dir, '000000000005.journal.tail'));
    assert.ok(tail.includes(Buffer.from(b)) && tail.includes(Buffer.from(c)), 'the records after the zeros are in the kept tail');
  });

  it('applies nothing of a segment that starts with zeros, whatever follows them', async () => {
    writeFileSync(join(dir, '000000000006.journal'), Buffer.concat([Buffer.alloc(4096), line(randomUUID()), Buffer.alloc(4096)]));
    const { journal, leftover } = await Journal.open(dir);
    await journal.close();
    assert.deepEqual(uuidsOf(leftover), []);
  });

  it('takes appends made at once one after the other, so none overwrites another', async () => {
    const { journal } = await Journal.open(dir);
    const appended: string[] = [];
    for (let round = 0; round < 30; round += 1) {
      const uuids = [randomUUID(), randomUUID(), randomUUID()];
      await Promise.all(uuids.map((uuid, i) => journal.append([line(uuid, i * 40_000)])));
      appended.push(...uuids);
    }
    await journal.close();
    const reopened = await Journal.open(dir);
    await reopened.journal.close();
    assert.deepEqual(uuidsOf(reopened.leftover), appended);
  });

  it('reads a segment that holds only zeros (a crash before its first append) as empty', async () => {
    writeFileSync(join(dir, '000000000002.journal'), Buffer.alloc(1024 * 1024));
    const { journal, leftover } = await Journal.open(dir);
    await journal.close();
    assert.deepEqual(leftover, [{ sequence: 2, records: [] }]);
  });
});
