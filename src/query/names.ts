/**
 * The names the query API knows (metrics, dimensions, filters), apart from their schemas: plain
 * lists with no dependency, so the dashboard imports the same lists the server validates against
 * instead of keeping a copy.
 */

export const METRICS = [
  'page_views',
  'unique_visitors',
  'sessions',
  'events',
  'bounce_rate',
  'avg_session_duration',
  'views_per_session',
  'conversions',
] as const;
export type Metric = (typeof METRICS)[number];

export const DIMENSIONS = [
  'hour',
  'day',
  'week',
  'month',
  'path',
  'entry_path',
  'exit_path',
  'referrer_host',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'browser',
  'os',
  'device_type',
  'event',
  'country',
  'region',
  'city',
  'link_id',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * Filterable dimensions read from one stored column of the event (string or operator, see
 * FilterValue). url_contains and include_bots are handled apart.
 */
export const EQUALITY_FILTERS = [
  'path',
  'event',
  'referrer_host',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'browser',
  'os',
  'device_type',
  'country',
  'region',
  'city',
  'link_id',
] as const;
export type EqualityFilter = (typeof EQUALITY_FILTERS)[number];

/**
 * Every dimension a filter can name: the stored columns, and the session's entry and exit page
 * (which keep every event of the sessions whose first / last page view matches).
 */
export const FILTER_DIMENSIONS = [...EQUALITY_FILTERS, 'entry_path', 'exit_path'] as const;
export type FilterDimension = (typeof FILTER_DIMENSIONS)[number];

/**
 * Dimensions and filters that `attribution: "visit"` takes from the session's first event. A
 * short link (`link_id`) is a source like a referrer: the click id lands on the visit's first page.
 */
export const SOURCE_DIMENSIONS = ['referrer_host', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'link_id'] as const;
export type SourceDimension = (typeof SOURCE_DIMENSIONS)[number];

export const ATTRIBUTIONS = ['event', 'visit'] as const;
export type Attribution = (typeof ATTRIBUTIONS)[number];

/** Values one `is` / `is_not` list may hold. */
export const MAX_FILTER_VALUES = 50;
