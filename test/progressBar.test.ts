import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressBar } from '../src/progressBar.js';

/** A stream-shaped collector of what the bar writes. */
function sink(isTTY: boolean): { isTTY: boolean; written: string[]; write(text: string): void } {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => void written.push(text) };
}

describe('progressBar', () => {
  it('writes one plain line per 10 % reached when stderr is not a terminal', () => {
    const out = sink(false);
    const bar = progressBar(out, 'migrate-events', 'events');
    for (let done = 0; done <= 1000; done += 50) bar.update(done, 1000);
    bar.finish();
    assert.deepEqual(
      out.written.map((line) => /: (\d+)%/.exec(line)?.[1]),
      ['0', '10', '20', '30', '40', '50', '60', '70', '80', '90', '100'],
    );
    assert.ok(out.written.every((line) => line.endsWith('\n') && !line.includes('\r')), 'no carriage returns in a log');
    assert.equal(out.written[3], 'migrate-events: 30% (300 of 1,000 events)\n');
  });

  it('says a jump over several steps once, at the step reached', () => {
    const out = sink(false);
    const bar = progressBar(out, 'copy', 'events');
    bar.update(0, 100);
    bar.update(45, 100);
    bar.update(46, 100);
    bar.update(100, 100);
    assert.deepEqual(out.written, ['copy: 0% (0 of 100 events)\n', 'copy: 45% (45 of 100 events)\n', 'copy: 100% (100 of 100 events)\n']);
  });

  it('redraws one bar in place on a terminal, at most every 100 ms, always showing the end', () => {
    const out = sink(true);
    let now = 0;
    const bar = progressBar(out, 'copy', 'events', 10, () => now);
    bar.update(0, 200);
    bar.update(10, 200); // within 100 ms: not drawn
    now = 150;
    bar.update(100, 200);
    bar.update(200, 200); // complete: drawn whatever the time
    bar.finish();
    assert.equal(out.written.length, 4);
    assert.ok(out.written.slice(0, 3).every((text) => text.startsWith('\r')));
    assert.match(out.written[1] as string, /\[#{15}\.{15}\]  50% 100 \/ 200 events/);
    assert.match(out.written[2] as string, /\[#{30}\] 100% 200 \/ 200 events/);
    assert.equal(out.written[3], '\n');
  });

  it('treats nothing to do as done', () => {
    const out = sink(false);
    progressBar(out, 'copy', 'events').update(0, 0);
    assert.deepEqual(out.written, ['copy: 100% (0 of 0 events)\n']);
  });
});
