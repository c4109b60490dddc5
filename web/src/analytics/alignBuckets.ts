/**
 * The previous period's values laid over the current period's buckets. Both periods list every
 * bucket in time order, so they are matched by position from the start of each period: the first
 * hour of yesterday under the first hour of today. The two may differ in length (a "today" that is
 * not over, a day with a DST change has 23 or 25 hours): points beyond the previous period's end are
 * null, a gap in the line rather than a fall to zero, and its extra buckets are left out.
 */
export function alignToBuckets(bucketCount: number, previous: readonly number[]): (number | null)[] {
  return Array.from({ length: bucketCount }, (_, i) => (i < previous.length ? (previous[i] as number) : null));
}
