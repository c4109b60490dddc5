import { Type, type Static } from 'typebox';
import { CLIENT_ID_PATTERN } from '../clients/schemas.js';
import { DataEnvelope } from '../http/envelope.js';
import { ERROR_MESSAGE } from '../http/validation.js';
import { PERIODS } from './period.js';

export {
  ATTRIBUTIONS,
  DIMENSIONS,
  EQUALITY_FILTERS,
  FILTER_DIMENSIONS,
  MAX_FILTER_VALUES,
  METRICS,
  SOURCE_DIMENSIONS,
  type Attribution,
  type Dimension,
  type EqualityFilter,
  type FilterDimension,
  type Metric,
  type SourceDimension,
} from './names.js';
import { ATTRIBUTIONS, DIMENSIONS, EQUALITY_FILTERS, FILTER_DIMENSIONS, MAX_FILTER_VALUES, METRICS, type Dimension, type FilterDimension, type Metric } from './names.js';


export const MAX_LIMIT = 10_000;
export const DEFAULT_LIMIT = 1000;
export const MAX_CUSTOM_DAYS = 731;
/** The longest period an `hour` dimension may cover (31 × 24 = 744 buckets). */
export const MAX_HOURLY_DAYS = 31;
/** Cells a time report may fill (buckets × combinations of the other dimensions): bounds the server's memory and time. */
export const MAX_FILLED_CELLS = 100_000;
export const MIN_WINDOW_SECONDS = 60;
export const MAX_WINDOW_SECONDS = 7_776_000;
export const DEFAULT_WINDOW_SECONDS = 86_400;

const ClientId = Type.String({ pattern: CLIENT_ID_PATTERN, [ERROR_MESSAGE]: 'must be 1–255 letters, digits, hyphens or underscores' });
const FilterText = Type.String({ minLength: 1, maxLength: 1024 });
const MetricName = Type.Enum([...METRICS]);
const DimensionName = Type.Enum([...DIMENSIONS]);
const RangeBound = (description: string) =>
  Type.String({
    maxLength: 40,
    pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?$',
    [ERROR_MESSAGE]: 'must be a date YYYY-MM-DD or a date-time with Z or an offset (such as 2024-12-25T10:00:00Z)',
    examples: ['2026-03-01', '2024-12-25T10:00:00Z'],
    description,
  });

/** A filter value as sent: a string (equals), or exactly one operator. JSON null in a list is "no value". */
export type FilterValue = string | { is: (string | null)[] } | { is_not: (string | null)[] } | { contains: string };

const FilterValueList = (description: string) =>
  Type.Array(Type.Union([FilterText, Type.Null()]), {
    minItems: 1,
    maxItems: MAX_FILTER_VALUES,
    [ERROR_MESSAGE]: `must be a list of 1–${MAX_FILTER_VALUES} values, each a non-empty string or null`,
    description,
  });

/**
 * One schema with two types rather than a union of four: Ajv reports a union's failure once per
 * branch, so `{"is": [], "is_not": ["x"]}` read as a string error, two unknown fields and a list
 * error at once. With string and object keywords side by side, each mistake gives one message.
 */
const FilterValueSchema = Type.Unsafe<FilterValue>({
  type: ['string', 'object'],
  minLength: 1,
  maxLength: 1024,
  properties: {
    is: FilterValueList('Any of these values (OR). null matches events without a value, the “(none)” row.'),
    is_not: FilterValueList('None of these values. Events without a value are kept (as Plausible keeps “(none)”) unless null is listed too.'),
    contains: Type.String({ minLength: 1, maxLength: 1024, description: 'Case-insensitive substring: both sides are lower-cased by Unicode (İ to i̇, a final Σ to ς, Ǆ and ǅ to ǆ, ẞ to ß; no expansion such as ß to ss), then ς is read as σ and i̇ (i + U+0307) as i. % and _ are literal characters. Events without a value never match.' }),
  },
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  [ERROR_MESSAGE]: 'must be a non-empty string, or an object with exactly one of is, is_not, contains',
  description: 'A string (equals, as `"country": "US"`), or one operator: `{"is": [v, …]}`, `{"is_not": [v, …]}` or `{"contains": "text"}`.',
  examples: ['US', { is: ['US', 'CA'] }, { is_not: [null] }, { contains: 'blog' }],
});

export const QueryFilters = Type.Object(
  {
    url_contains: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Substring of the full URL (case-sensitive).' })),
    ...Object.fromEntries(FILTER_DIMENSIONS.map((name) => [name, Type.Optional(FilterValueSchema)])),
    include_bots: Type.Optional(Type.Boolean({ description: 'Count events flagged as bots too (default false).' })),
  },
  {
    additionalProperties: false,
    description:
      'Each filter given must match. `entry_path` / `exit_path` keep every event of the sessions whose first / last page view matches (an event without a session: its own path, if a page view). With `attribution: "visit"`, `referrer_host`, `utm_*` and `link_id` match the session’s first event. Short-link clicks (`$link_click`) are left out unless `event` names them (a string or `is`).',
  },
);
export type QueryFiltersInput = { [K in FilterDimension]?: FilterValue } & { url_contains?: string; include_bots?: boolean };

const AttributionField = Type.Optional(
  Type.Enum([...ATTRIBUTIONS], {
    description:
      'Whose `referrer_host`, `utm_*` and `link_id` (short link) an event counts under, as dimensions and filters: `event` (default) its own; `visit` its session’s first event’s in the period (as Plausible credits sources; an event without a session is its own visit, and a session that began before the period is credited from its first event inside it).',
  }),
);

const periodFields = {
  period: Type.Optional(
    Type.Enum([...PERIODS], { description: 'Default 30d. Computed in the client’s current time zone. Ignored when from and to are given.' }),
  ),
  from: Type.Optional(
    RangeBound(
      'With `to` (both or neither), sets the range whatever `period` says. A date is the start of that day in the client’s time zone; a date-time with Z or an offset is that instant. The range used is `period` in the answer.',
    ),
  ),
  to: Type.Optional(
    RangeBound(
      'A date includes that whole day in the client’s time zone; a date-time is exclusive, so `to` equal to `from` is an empty range (200, no rows or zeros). Time buckets are the client’s local hours, days, weeks or months the range overlaps; the first and last count only the part inside it.',
    ),
  ),
};

export const QueryBody = Type.Object(
  {
    client_id: ClientId,
    metric: Type.Optional(MetricName),
    metrics: Type.Optional(Type.Array(MetricName, { minItems: 1, maxItems: 8, uniqueItems: true })),
    conversion_event: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Required iff `conversions` is asked: the event counted.' })),
    dimensions: Type.Optional(Type.Array(DimensionName, { maxItems: 3, uniqueItems: true, description: 'At most one of hour, day, week, month.' })),
    filters: Type.Optional(QueryFilters),
    attribution: AttributionField,
    ...periodFields,
    compare: Type.Optional(Type.Literal('previous_period')),
    order_by: Type.Optional(
      Type.Array(
        Type.Object(
          {
            column: Type.String({ minLength: 1, maxLength: 64, description: 'A requested metric or dimension.' }),
            direction: Type.Optional(Type.Enum(['asc', 'desc'])),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 11 },
      ),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: `Rows returned (default ${DEFAULT_LIMIT}).` })),
  },
  { additionalProperties: false, title: 'Query' },
);
export type QueryInput = Static<typeof QueryBody> & { filters?: QueryFiltersInput };

const PeriodView = Type.Object(
  {
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time', description: 'Exclusive.' }),
    timezone: Type.String({ description: 'The client’s time zone, in which days, weeks and months were bucketed.' }),
  },
  { description: 'The range the figures cover, in UTC: from `from` and `to` when both were sent, else from `period`.' },
);
export type PeriodView = Static<typeof PeriodView>;

const Cell = Type.Unsafe<string | number | null>({ type: ['string', 'number', 'null'] });
const tableFields = {
  columns: Type.Array(Type.String()),
  rows: Type.Array(Type.Array(Cell)),
  total: Type.Integer({ minimum: 0, description: 'Rows before `limit`.' }),
  period: PeriodView,
};
const ResultTable = Type.Object(tableFields);
export type ResultTableView = Static<typeof ResultTable>;

export const QueryResult = Type.Object({ ...tableFields, compare: Type.Optional(ResultTable) }, { title: 'QueryResult' });
export type QueryResultView = Static<typeof QueryResult>;
export const QueryResultEnvelope = DataEnvelope(QueryResult);

export type FunnelStepInput = { event: string } | { path: string };
/**
 * Exactly one of `event` and `path`, as one object schema rather than a union of two: Ajv reports
 * a union's failure once per branch, so `{"event": ""}` read as "unknown field event" (the `path`
 * branch's complaint). Side by side, each mistake gives one message about the field it concerns.
 */
export const FunnelStep = Type.Unsafe<FunnelStepInput>({
  type: 'object',
  properties: {
    event: Type.String({ minLength: 1, maxLength: 200, description: 'An event name.' }),
    path: Type.String({ minLength: 1, maxLength: 1024, description: 'A page path: a $pageview of it.' }),
  },
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  [ERROR_MESSAGE]: 'must be an object with exactly one of event, path',
  examples: [{ event: 'Order Completed' }, { path: '/pricing' }],
});

export const FunnelBody = Type.Object(
  {
    client_id: ClientId,
    steps: Type.Array(FunnelStep, {
      minItems: 2,
      maxItems: 8,
      description: 'In order; `{ "event": name }` or `{ "path": "/x" }` (a $pageview of that path).',
    }),
    window_seconds: Type.Optional(Type.Integer({ minimum: MIN_WINDOW_SECONDS, maximum: MAX_WINDOW_SECONDS, description: `Default ${DEFAULT_WINDOW_SECONDS}.` })),
    ...periodFields,
    filters: Type.Optional(QueryFilters),
    attribution: AttributionField,
  },
  { additionalProperties: false, title: 'Funnel' },
);
export type FunnelInput = Static<typeof FunnelBody> & { filters?: QueryFiltersInput };

export const FunnelResult = Type.Object(
  {
    steps: Type.Array(
      Type.Object({
        step: Type.Integer({ minimum: 1 }),
        label: Type.String(),
        count: Type.Integer({ minimum: 0 }),
        conversion_rate: Type.Number({ description: 'Of step 1, 0–1.' }),
        step_conversion_rate: Type.Number({ description: 'Of the previous step, 0–1.' }),
      }),
    ),
    period: PeriodView,
    window_seconds: Type.Integer(),
  },
  { title: 'FunnelResult' },
);
export type FunnelResultView = Static<typeof FunnelResult>;
export const FunnelResultEnvelope = DataEnvelope(FunnelResult);
