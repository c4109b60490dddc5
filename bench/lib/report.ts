import type { BenchConfig } from './config.js';
import { describeConfig } from './config.js';
import type { Measured } from './compare.js';

type Cell = string | number;

/** Runs of one route further apart than this (relative to the best) get a noise note. */
const NOISY_SPREAD = 0.1;

/** Plain-text table with right-aligned numbers, for the terminal. */
export function textTable(headers: string[], rows: Cell[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, col) => Math.max(...cells.map((row) => (row[col] ?? '').length)));
  const numeric = headers.map((_, col) => rows.every((row) => typeof row[col] === 'number' || /^([\d.,]+%?|–)$/.test(String(row[col]))));
  const line = (row: string[]): string =>
    row.map((cell, col) => (numeric[col] ? cell.padStart(widths[col] ?? 0) : cell.padEnd(widths[col] ?? 0))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(headers), rule, ...cells.slice(1).map(line)].join('\n');
}

/** GitHub-flavoured Markdown table, ready to paste into the README. */
export function markdownTable(headers: string[], rows: Cell[][]): string {
  const line = (row: Cell[]): string => `| ${row.map(String).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmtMs = (n: number): string => n.toFixed(1);
export const fmtRatio = (n: number): string => n.toFixed(2);

/** A subject measured against a baseline, with the ratio it is expected to reach. */
export interface Comparison {
  title: string;
  baseline: Measured;
  subject: Measured;
  /** subject req/s ÷ baseline req/s must be at least this. */
  minRatio: number;
  /** How the target is worded in the docs, e.g. "at least 0.5 on SQLite". */
  targetText: string;
  /** Label for the Markdown rows, e.g. "SQLite". */
  engine: string;
}

export interface ComparisonOutcome {
  ratio: number;
  met: boolean;
}

/** Prints the comparison (terminal table, verdict, Markdown block) and returns the verdict. */
export function printComparison(comparison: Comparison, config: BenchConfig): ComparisonOutcome {
  const { baseline, subject } = comparison;
  const ratio = subject.best.reqPerSec / baseline.best.reqPerSec;
  const meanRatio = subject.meanReqPerSec / baseline.meanReqPerSec;
  const met = ratio >= comparison.minRatio;
  const rows = [baseline, subject].map((m) => [
    m.target.label,
    fmtInt(m.best.reqPerSec),
    fmtInt(m.meanReqPerSec),
    fmtMs(m.best.p99Ms),
    fmtMs(m.best.p50Ms),
    m.target.bodyBytes,
    m.runs.map((r) => fmtInt(r.reqPerSec)).join(' / '),
  ]);

  const out: string[] = [
    '',
    `== ${comparison.title} ==`,
    `Settings: ${describeConfig(config)}; loopback 127.0.0.1; Node ${process.version}.`,
    `Reported: the BEST of ${config.rounds} run(s) per route (highest req/s; p99/p50 from that same run). Mean req/s shown alongside.`,
    '',
    textTable(['route', 'req/s (best)', 'req/s (mean)', 'p99 ms', 'p50 ms', 'body bytes', 'req/s per run'], rows),
    '',
    `Ratio (${subject.target.label} req/s ÷ ${baseline.target.label} req/s): ${fmtRatio(ratio)} (best runs), ${fmtRatio(meanRatio)} (means)`,
    `Target: ${comparison.targetText} -> ${met ? 'MET' : 'NOT MET'}`,
  ];
  // Best-of-N hides noise; say so when the runs disagree enough that one number would mislead.
  for (const m of [baseline, subject]) {
    const rates = m.runs.map((r) => r.reqPerSec);
    const spread = (Math.max(...rates) - Math.min(...rates)) / Math.max(...rates);
    if (rates.length > 1 && spread > NOISY_SPREAD) {
      out.push(
        `NOTE: ${m.target.label} runs differ by ${(spread * 100).toFixed(0)}% - the machine is noisy; try BENCH_ROUNDS=3 or more, on an idle machine.`,
      );
    }
  }
  if (!met) {
    out.push(
      `WARNING: ${subject.target.label} reaches ${fmtRatio(ratio)} of the bare route's throughput; the target is ${comparison.targetText}.`,
    );
  }
  out.push(
    '',
    'Markdown for the README:',
    '',
    markdownTable(
      ['Route', 'Store', 'req/s', 'p99 (ms)', 'vs bare Fastify', 'Target'],
      [
        [`\`${baseline.target.label}\` (bare Fastify 5, no plugins)`, '–', fmtInt(baseline.best.reqPerSec), fmtMs(baseline.best.p99Ms), '1.00', '–'],
        [
          `\`${subject.target.label}\``,
          comparison.engine,
          fmtInt(subject.best.reqPerSec),
          fmtMs(subject.best.p99Ms),
          fmtRatio(ratio),
          `≥ ${comparison.minRatio} ${met ? '✅' : '❌'}`,
        ],
      ],
    ),
    '',
    `_${config.connections} connections, ${config.durationSec} s per run, best of ${config.rounds} alternating runs after a ${config.warmupSec} s warm-up each; Node ${process.version}, loopback, \`npm run bench\`._`,
    '',
  );
  process.stdout.write(out.join('\n') + '\n');
  return { ratio, met };
}
