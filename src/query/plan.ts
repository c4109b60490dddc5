import type { StoredEvent } from '../events/eventStore.js';
import type { TimeGrain } from './period.js';
import type { OffsetSegment } from './zone.js';
import { SOURCE_DIMENSIONS, type Attribution, type Dimension, type FilterDimension, type FunnelStepInput, type Metric, type SourceDimension } from './schemas.js';

/**
 * One dimension's filter as engines read it: `is` / `is_not` with the listed strings and whether
 * "no value" (JSON null) is listed, or `contains` with its text. A plain string arrives as
 * `is` of that one value.
 */
export type FilterCondition = { op: 'is' | 'is_not'; values: string[]; none: boolean } | { op: 'contains'; text: string };

export type ScopeFilters = { [K in FilterDimension]?: FilterCondition } & { url_contains?: string; include_bots?: boolean };

/**
 * A validated query reduced to what an engine needs to answer it: no HTTP, no defaults left to
 * decide, instants in epoch milliseconds. Every string in it ends up as a bound parameter.
 */
export interface EventScope {
  clientId: string;
  /** [from, to) in epoch ms, UTC. */
  from: number;
  to: number;
  filters: ScopeFilters;
  /** Absent means `event`: each event carries its own source. */
  attribution?: Attribution;
  /**
   * Event names no scan of the scope reads (`$link_click` in a site's reports: hiddenEvents.ts).
   * Absent or empty: every event. Applied to every scan, sessions and visit sources included.
   */
  excludedEvents?: readonly string[];
}

export interface ReportPlan extends EventScope {
  metrics: Metric[];
  dimensions: Dimension[];
  conversionEvent?: string;
  /** The zone's offsets over [from, to), for the time dimension's buckets. */
  offsets: OffsetSegment[];
  /**
   * The client's IANA zone, when the report is the client's own (a site report): DuckDB answers
   * whole local days of it from day rollups (dayRollup.ts). Absent, every row is read.
   */
  timezone?: string;
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

const isSource = (name: string): name is SourceDimension => (SOURCE_DIMENSIONS as readonly string[]).includes(name);

/**
 * Whether the plan reads sources from each session's first event: only with visit attribution
 * and a source dimension or filter asked, so any other plan pays for no extra join.
 */
export const needsVisitSources = (scope: EventScope, dimensions: readonly Dimension[] = []): boolean =>
  scope.attribution === 'visit' && (dimensions.some(isSource) || Object.keys(scope.filters).some((name) => isSource(name)));

/** Whether this source column is read from the session's first event in `scope`. */
export const attributedToVisit = (scope: EventScope, dimensions: readonly Dimension[], column: string): boolean =>
  isSource(column) && needsVisitSources(scope, dimensions);

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
  utm_term: 'utm_term',
  utm_content: 'utm_content',
  browser: 'browser',
  os: 'os',
  device_type: 'device_type',
  event: 'event',
  country: 'country',
  region: 'region',
  city: 'city',
  link_id: 'link_id',
};
