import type { ReportRow } from '../events/eventStore.js';
import { invalidFields } from '../http/apiError.js';
import type { TimeBucket } from './period.js';
import type { OrderBy } from './rules.js';
import type { Dimension, Metric } from './schemas.js';

export type Cell = string | number | null;

/** A named row of an engine as the table's cells: dimensions, then metrics, each in the query's order. */
export const cellsOf = (row: ReportRow, dimensions: Dimension[], metrics: Metric[]): Cell[] => [
  ...dimensions.map((d) => row.dimensions[d] ?? null),
  ...metrics.map((m) => row.metrics[m] ?? 0),
];

/** The 400 of a time report that would fill more than `maxCells` cells. */
export const tooManyCells = (maxCells: number) =>
  invalidFields([
    {
      field: 'dimensions',
      message: `would fill more than ${maxCells} rows (every time bucket for each combination of the other dimensions): use a coarser time grain, fewer dimensions, filters or a shorter period`,
    },
  ]);

/**
 * Rows of a report with a time dimension: the bucket keys become labels, and every bucket of
 * the period is present for each combination of the other dimensions that has data (counts
 * and rates 0 where there was none). Refuses, before building anything, more than `maxCells`
 * rows: a year of hours for each of many paths would hold the server for seconds and gigabytes.
 */
export function fillTimeBuckets(rows: Cell[][], timeIndex: number, dimensionCount: number, metricCount: number, buckets: TimeBucket[], maxCells: number): Cell[][] {
  const labels = new Map(buckets.map((b) => [b.key, b.label]));
  const combos = new Map<string, { others: Cell[]; byBucket: Map<number, Cell[]> }>();
  if (dimensionCount === 1) combos.set('[]', { others: [], byBucket: new Map() });
  for (const row of rows) {
    const others = row.slice(0, dimensionCount).filter((_, i) => i !== timeIndex) as Cell[];
    const id = JSON.stringify(others);
    let combo = combos.get(id);
    if (combo === undefined) {
      combo = { others, byBucket: new Map() };
      combos.set(id, combo);
    }
    combo.byBucket.set(Number(row[timeIndex]), row.slice(dimensionCount, dimensionCount + metricCount) as Cell[]);
  }
  if (combos.size * buckets.length > maxCells) throw tooManyCells(maxCells);
  const filled: Cell[][] = [];
  for (const { others, byBucket } of combos.values()) {
    for (const bucket of buckets) {
      const metrics = byBucket.get(bucket.key) ?? new Array<Cell>(metricCount).fill(0);
      const dims = [...others];
      dims.splice(timeIndex, 0, labels.get(bucket.key) as string);
      filled.push([...dims, ...metrics]);
    }
  }
  return filled;
}

/**
 * A UTF-16 code unit moved so that code units order as the code points they belong to: the
 * surrogates (U+D800–DFFF, which make up code points from U+10000) above U+E000–FFFF.
 */
const codePointRank = (unit: number): number => (unit < 0xd800 ? unit : unit >= 0xe000 ? unit - 0x800 : unit + 0x2000);

/**
 * Text by code point, as engines compare UTF-8 bytes. JavaScript's `<` compares UTF-16 code
 * units, which puts U+10000 and above before U+E000–FFFF ('😀' < '～'): an engine's sorted page
 * would then disagree with this order.
 */
function compareText(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Nulls last whatever the direction; numbers by value, text by code point (as the engines do). */
function compareCells(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return compareText(String(a), String(b));
}

/**
 * THE order of report rows: by the requested columns, then by every dimension ascending so the
 * order is stable; nulls last in both directions, text by code point. An engine that sorts and
 * limits (ReportPlan.sortAndLimit) must return the first rows of exactly this order (a property
 * test runs each engine against it). Time
 * labels sort by their bucket's place in time, not as text: `02:00+02:00` comes before
 * `02:00+01:00` on the day clocks go back.
 */
export function sortRows(rows: Cell[][], columns: string[], order: OrderBy, dimensionCount: number, time: { index: number; buckets: TimeBucket[] }): Cell[][] {
  const place = new Map<Cell, number>(time.buckets.map((b, i) => [b.label, i]));
  const keys = [
    ...order.map((o) => ({ index: columns.indexOf(o.column), sign: o.direction === 'asc' ? 1 : -1 })),
    ...Array.from({ length: dimensionCount }, (_, index) => ({ index, sign: 1 })),
  ];
  const valueAt = (row: Cell[], index: number): Cell => (index === time.index ? (place.get(row[index] as Cell) ?? null) : (row[index] as Cell));
  return [...rows].sort((a, b) => {
    for (const { index, sign } of keys) {
      const a1 = valueAt(a, index);
      const b1 = valueAt(b, index);
      const c = compareCells(a1, b1);
      // Nulls stay last in both directions.
      if (c !== 0) return a1 === null || b1 === null ? c : c * sign;
    }
    return 0;
  });
}
