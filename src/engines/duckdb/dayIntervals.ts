import { offsetAt, offsetSegments } from '../../query/zone.js';

const DAY_MS = 86_400_000;

/** A stretch of UTC time [start, end), epoch ms. */
export interface DayInterval {
  start: number;
  end: number;
}

/** The local day number of `ms` under `offset`, floored, as report.ts's LOCAL_DAY computes it per row. */
const dayNumber = (ms: number, offset: number): number => Math.floor((ms + offset) / DAY_MS);

/** A period's whole local days, and whether its day numbers only ever increase (see localDays). */
export interface LocalDays {
  whole: DayInterval[];
  increasing: boolean;
}

/**
 * The local days of `zone` that lie whole inside [from, to): each the UTC stretch over which the
 * day number reports group rows by (report.ts's LOCAL_DAY, with the zone's offsets) is one value,
 * and changes right before its start and at its end. Days of 23 and 25 hours come out as such; a
 * clock set back across midnight, which makes one day number come twice, gives two stretches.
 *
 * A stretch's bounds are its identity in the day rollups (dayRollup.ts): the same day of the same
 * zone has the same bounds in every query, whatever the period around it, and no zone name or
 * time-zone data is stored with it.
 *
 * `increasing`: no day number comes back within the period (no clock set back across midnight),
 * so every number is one stretch, whole or cut by the period's ends.
 */
export function localDays(zone: string, from: number, to: number): LocalDays {
  if (!(to > from)) return { whole: [], increasing: true };
  const segments = offsetSegments(zone, from, to);
  // Every instant where the day number can change, with the number from there on.
  const points: { at: number; day: number }[] = [];
  segments.forEach((segment, i) => {
    const end = segments[i + 1]?.from ?? to;
    const first = dayNumber(segment.from, segment.offset);
    points.push({ at: segment.from, day: first });
    for (let day = first + 1; day * DAY_MS - segment.offset < end; day++) points.push({ at: day * DAY_MS - segment.offset, day });
  });
  const changes = points.filter((point, i) => i === 0 || point.day !== points[i - 1]!.day);
  const increasing = changes.every((change, i) => i === 0 || change.day > changes[i - 1]!.day);
  const days: DayInterval[] = [];
  changes.forEach((change, i) => {
    const next = changes[i + 1];
    // The first stretch is a whole day only if the day number changes right at `from`, the last
    // only if it changes right at `to`; the others start and end at changes by construction.
    if (i === 0 && dayNumber(from - 1, offsetAt(zone, from - 1)) === change.day) return;
    if (next === undefined && dayNumber(to, offsetAt(zone, to)) === change.day) return;
    days.push({ start: change.at, end: next?.at ?? to });
  });
  return { whole: days, increasing };
}
