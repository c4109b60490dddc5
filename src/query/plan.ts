import type { StoredEvent } from '../events/eventStore.js';
import type { TimeGrain } from './period.js';
import type { OffsetSegment } from './zone.js';
import type { Dimension, FunnelStepInput, Metric, QueryFiltersInput } from './schemas.js';

/**
 * A validated query reduced to what an engine needs to answer it: no HTTP, no defaults left to
 * decide, instants in epoch milliseconds. Every string in it ends up as a bound parameter.
 */
export interface EventScope {
  clientId: string;
  /** [from, to) in epoch ms, UTC. */
  from: number;
  to: number;
  filters: QueryFiltersInput;
}

export interface ReportPlan extends EventScope {
  metrics: Metric[];
  dimensions: Dimension[];
  conversionEvent?: string;
  /** The zone's offsets over [from, to), for the time dimension's buckets. */
  offsets: OffsetSegment[];
  /**
   * Without a time dimension the engine sorts and cuts the groups and counts them all (total);
   * with one, every group comes back and the service fills empty buckets, then sorts.
   */
  sortAndLimit?: { orderBy: { column: Metric | Dimension; direction: 'asc' | 'desc' }[]; limit: number };
  /** With a time dimension: rows beyond this many are not read (the caller refuses such a report anyway). */
  maxRows?: number;
}

export interface FunnelPlan extends EventScope {
  steps: FunnelStepInput[];
  windowMs: number;
}

export const isTimeGrain = (dimension: Dimension): dimension is TimeGrain =>
  dimension === 'hour' || dimension === 'day' || dimension === 'week' || dimension === 'month';

/**
 * Dimensions read straight from a stored event column, the same in every engine (the whitelist:
 * no other name reaches an engine's SQL). Time grains and entry/exit paths are computed instead.
 */
export const STORED_COLUMN_OF: Partial<Record<Dimension, keyof StoredEvent & string>> = {
  path: 'path',
  referrer_host: 'referrer_host',
  utm_source: 'utm_source',
  utm_medium: 'utm_medium',
  utm_campaign: 'utm_campaign',
  browser: 'browser',
  os: 'os',
  device_type: 'device_type',
  event: 'event',
  country: 'country',
  region: 'region',
  city: 'city',
};
