/**
 * Progress of a long command on stderr. On a terminal: one bar redrawn in place (at most every
 * 100 ms, so a fast copy does not spend its time drawing). Elsewhere (a log, a CI job, a pipe) a
 * carriage return would pile up as garbage, so a plain line at every `stepPercent` crossed instead.
 */

export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressBar {
  update(done: number, total: number): void;
  /** Ends the bar's line (on a terminal); prints nothing else. */
  finish(): void;
}

const REDRAW_MS = 100;
const BAR_WIDTH = 30;

const percentOf = (done: number, total: number): number => (total === 0 ? 100 : Math.min(100, Math.floor((done / total) * 100)));

export function progressBar(sink: ProgressSink, label: string, unit: string, stepPercent = 10, now: () => number = Date.now): ProgressBar {
  const count = (n: number): string => n.toLocaleString('en-US');
  if (sink.isTTY === true) {
    let drawnAt = -Infinity;
    let drawn = false;
    let last = '';
    return {
      update(done, total) {
        const percent = percentOf(done, total);
        const complete = done >= total;
        if (!complete && now() - drawnAt < REDRAW_MS) return;
        drawnAt = now();
        const filled = Math.round((percent / 100) * BAR_WIDTH);
        const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(percent).padStart(3)}% ${count(done)} / ${count(total)} ${unit}`;
        if (line === last) return;
        last = line;
        drawn = true;
        sink.write(`\r${line}\u001b[K`);
      },
      finish() {
        if (drawn) sink.write('\n');
      },
    };
  }
  let nextStep = 0;
  return {
    update(done, total) {
      const percent = percentOf(done, total);
      if (percent < nextStep) return;
      // One line for the step reached, even when a group jumps over several.
      sink.write(`${label}: ${percent}% (${count(done)} of ${count(total)} ${unit})\n`);
      nextStep = (Math.floor(percent / stepPercent) + 1) * stepPercent;
    },
    finish() {},
  };
}
