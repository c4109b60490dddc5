/** Local calendar arithmetic in an IANA zone, enough to place demo traffic on the client's days and hours. */
import { offsetAt } from '../query/zone.js';

/** Offsets by zone and quarter hour: zones change offset only on quarter-hour boundaries, and asking Intl is slow. */
const offsets = new Map<string, number>();
const QUARTER_HOUR_MS = 900_000;

/** The zone's offset from UTC at `instant`, in milliseconds (positive east of Greenwich). */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  const slot = Math.floor(instant / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
  const key = `${timeZone} ${slot}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    if (offsets.size > 100_000) offsets.clear();
    offset = offsetAt(timeZone, slot);
    offsets.set(key, offset);
  }
  return offset;
}

/** The local calendar date of `instant` in the zone, as a UTC midnight timestamp (a date label, not an instant). */
export function localDate(instant: number, timeZone: string): number {
  const local = instant + zoneOffsetMs(instant, timeZone);
  return local - (((local % 86_400_000) + 86_400_000) % 86_400_000);
}

/**
 * The instant at which the local wall clock in the zone shows `date` (a UTC-midnight label) plus
 * `secondsIntoDay`. A wall time skipped by a DST jump lands an hour later, as clocks do.
 */
export function instantOfLocal(date: number, secondsIntoDay: number, timeZone: string): number {
  const wall = date + secondsIntoDay * 1000;
  // Two passes settle the offset, including next to a transition.
  let instant = wall - zoneOffsetMs(wall, timeZone);
  instant = wall - zoneOffsetMs(instant, timeZone);
  return instant;
}
