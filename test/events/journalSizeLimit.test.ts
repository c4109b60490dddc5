import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Journal } from '../../src/pipeline/journal.js';

/**
 * Runs test/helpers/journalUnderSizeLimit.ts under `ulimit -f 16`: no file of the child may grow
 * past 16 KiB, so an append is cut short partway through a group (a short write) and the next one
 * fails (EFBIG), as on a disk that fills up.
 */
function underSizeLimit(dir: string, mode: 'journal' | 'writer' | 'http'): unknown {
  const child = spawnSync('bash', ['-c', 'ulimit -f 16 && exec "$0" --import tsx test/helpers/journalUnderSizeLimit.ts "$1" "$2"', process.execPath, dir, mode], {
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout);
}

describe('journal on a full disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'mythic-journal-limit-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('acknowledges only whole groups, cuts a failed one off, and replays exactly what was acknowledged', async () => {
    const dir = join(root, 'journal');
    const report = underSizeLimit(dir, 'journal') as { acknowledged: string[]; failure: string; afterFailure: string };
    assert.equal(report.failure, 'EFBIG', 'an append failed at the limit');
    assert.equal(report.afterFailure, 'acknowledged', 'the segment takes appends again once the failed group is cut off');
    assert.ok(report.acknowledged.length >= 10, `only ${report.acknowledged.length} events were acknowledged before the limit`);

    const { journal, leftover } = await Journal.open(dir);
    await journal.close();
    const replayed = leftover.flatMap((segment) => segment.records.flatMap((record) => record.events.map((event) => event.uuid)));
    assert.deepEqual(replayed, report.acknowledged);
  });

  it('refuses the writes of a failed append as JournalUnavailable (a 503 with Retry-After), naming the cause', () => {
    const report = underSizeLimit(join(root, 'writer'), 'writer');
    assert.deepEqual(report, { refusal: 'JournalUnavailable', retryAfter: 1, cause: 'EFBIG' });
  });

  it('answers the event the journal could not take with 503 unavailable and Retry-After, never a 500', () => {
    const report = underSizeLimit(join(root, 'http'), 'http') as { acknowledged: number; status: number; success: boolean; code: string; retryAfter: string };
    const { acknowledged, ...answer } = report;
    assert.ok(acknowledged >= 5, `only ${acknowledged} events were acknowledged before the limit`);
    assert.deepEqual(answer, { status: 503, success: false, code: 'unavailable', retryAfter: '1' });
  });
});
