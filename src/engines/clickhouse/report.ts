import { isTimeGrain, STORED_COLUMN_OF, type ReportPlan } from '../../query/plan.js';
import { DIMENSIONS, METRICS, type Dimension, type Metric } from '../../query/schemas.js';
import type { QueryParams } from './connection.js';
import type { Tables } from './schema.js';
import { rolledRows, type RolledQuarters } from './quarterRollup.js';
import { columnValue, eventsInScope, offsetExpression, PAGEVIEW, Params, personLookup, identitySettingsClause, type IdentityOptions } from './scope.js';

/**
 * One report as ClickHouse SQL, giving the answers the DuckDB engine gives (its report.ts states
 * the semantics; the parity test compares both on random plans). Where it differs, it is shape:
 *
 * - With a session metric, rows are grouped by (dimensions, session) with partial counts and a
 *   `uniqExactState` of persons, and the outer grouping merges them: joined to each session's
 *   whole facts (`sess`), a (group, session) row is exactly one session counted in one group.
 *   Without one, the rows are grouped once.
 * - Rates are rounded as DuckDB's round() does (half away from zero on value × 10^n), written out
 *   with floor(), since ClickHouse rounds float ties to even.
 */

/** Floor division (intDiv truncates toward zero: local times before 1970 west of UTC are negative). */
const floorDiv = (x: string, d: number): string => `intDiv(${x} - positiveModulo(${x}, ${d}), ${d})`;
const LOCAL_DAY = floorDiv('(ms + off)', 86_400_000);
const LOCAL_MS = "fromUnixTimestamp64Milli(ms + off, 'UTC')";
/** Bucket keys as period.ts's bucketKey() computes them, from `ms` (epoch ms) and `off` (the zone's offset then). */
const TIME_KEY: Record<'hour' | 'day' | 'week' | 'month', string> = {
  hour: `${floorDiv('(ms + off)', 3_600_000)} * 3600000 - off`,
  day: LOCAL_DAY,
  week: `${LOCAL_DAY} - positiveModulo(${LOCAL_DAY} + 3, 7)`,
  month: `toInt64(toYear(${LOCAL_MS})) * 12 + toMonth(${LOCAL_MS}) - 1`,
};

const SESSION_METRICS = new Set<Metric>(['bounce_rate', 'avg_session_duration', 'views_per_session']);

/** DuckDB's round(x, n) for x ≥ 0: half away from zero, on x × 10^n. */
const rounded = (value: string, digits: number): string => `floor((${value}) * ${10 ** digits} + 0.5) / ${10 ** digits}`;

function metricExpression(metric: Metric): string {
  switch (metric) {
    case 'page_views':
      return 'sum(g.pv)';
    case 'events':
      return 'sum(g.n)';
    case 'conversions':
      return 'sum(g.conv)';
    case 'sessions':
      return 'uniqExact(g.session_id)';
    case 'unique_visitors':
      return 'uniqExactMerge(g.ps)';
    case 'bounce_rate':
      return `if(countIf(g.s_pv >= 1) = 0, 0, ${rounded('100 * countIf(g.s_pv = 1) / countIf(g.s_pv >= 1)', 2)})`;
    case 'avg_session_duration':
      return `if(count(g.s_dur) = 0, 0, ${rounded('sum(g.s_dur) / count(g.s_dur) / 1000', 1)})`;
    case 'views_per_session':
      return `if(countIf(g.s_pv >= 1) = 0, 0, ${rounded('sum(g.s_pv) / countIf(g.s_pv >= 1)', 2)})`;
  }
}

/**
 * Event metrics straight over the rows of `r`, whose persons are `person` (a PersonLookup's). `rolled`:
 * the rows are rolledRows' (quarterRollup.ts), each with its events (`n`) and page views (`pv`).
 */
function rowMetricExpression(metric: Metric, conversion: string | undefined, person: string, rolled: boolean): string {
  switch (metric) {
    case 'page_views':
      return rolled ? 'sum(r.pv)' : `countIf(r.event = ${PAGEVIEW})`;
    case 'events':
      return rolled ? 'sum(r.n)' : 'count()';
    case 'conversions':
      return `countIf(r.event = ${conversion ?? "''"})`;
    case 'sessions':
      return 'uniqExact(r.session_id)';
    case 'unique_visitors':
      return `uniqExact(${person})`;
    default:
      throw new Error(`${metric} is a session metric`);
  }
}

/**
 * `sess`: each session's facts over all the client's rows of the period (bots out unless asked),
 * not narrowed by the other filters. Entry and exit paths skip page views without a path, as
 * DuckDB's arg_min skips NULL.
 */
function sessionFacts(plan: ReportPlan, params: Params, tables: Tables): string {
  const unfiltered = { ...plan, filters: plan.filters.include_bots === undefined ? {} : { include_bots: plan.filters.include_bots } };
  const viewWithPath = `e.event = ${PAGEVIEW} AND e.path IS NOT NULL`;
  const facts = [
    `countIf(e.event = ${PAGEVIEW}) AS s_pv`,
    'max(toUnixTimestamp64Milli(e.timestamp)) - min(toUnixTimestamp64Milli(e.timestamp)) AS s_dur',
    `if(countIf(${viewWithPath}) = 0, NULL, argMinIf(e.path, e.timestamp, ${viewWithPath})) AS entry_path`,
    `if(countIf(${viewWithPath}) = 0, NULL, argMaxIf(e.path, e.timestamp, ${viewWithPath})) AS exit_path`,
  ];
  return `sess AS (SELECT e.session_id AS session_id, ${facts.join(', ')} ${eventsInScope(unfiltered, params, tables)} AND e.session_id IS NOT NULL GROUP BY e.session_id)`;
}

/**
 * `identity.links`: whether the client has identity links (without, persons are not resolved).
 * `rolled`: quarters of the period read from the quarter-hour rollups (quarterRollup.ts; only for
 * plans rollupSpan let through), the rest from events.
 */
export function clickhouseReport(plan: ReportPlan, tables: Tables, identity: IdentityOptions, rolled?: RolledQuarters): { sql: string; params: QueryParams } {
  // Names reach the SQL text as aliases and columns: only the schema's own.
  if (!plan.metrics.every((m) => METRICS.includes(m)) || !plan.dimensions.every((d) => DIMENSIONS.includes(d))) {
    throw new Error('a metric or dimension outside the whitelist reached the SQL builder');
  }
  const params = new Params();
  const dims = plan.dimensions.map((_, i) => `d${i}`);
  const needsSessionPaths = plan.dimensions.some((d) => d === 'entry_path' || d === 'exit_path');
  const sessionMetrics = plan.metrics.some((m) => SESSION_METRICS.has(m));
  const visitors = plan.metrics.includes('unique_visitors');
  const scoped = eventsInScope(plan, params, tables, plan.dimensions);
  const client = '{p1:String}';
  const conversion = plan.conversionEvent === undefined ? undefined : params.add(plan.conversionEvent);
  const hasTime = plan.dimensions.some(isTimeGrain);

  // session_id only where sessions are read, person_key only for visitors (as the DuckDB engine
  // reads them): the bench's top pages read 160 MB in 3.7M rows, against 187 MB in 7.0M with both.
  const readsSessions = needsSessionPaths || sessionMetrics || plan.metrics.includes('sessions');
  const carried = ['event', ...(readsSessions ? ['session_id'] : []), ...(visitors ? ['person_key'] : [])];
  const columns = new Set<string>(carried);
  for (const dimension of plan.dimensions) {
    const column = STORED_COLUMN_OF[dimension];
    if (column !== undefined) columns.add(column);
  }
  // A page view without a session is its own entry and exit page.
  if (needsSessionPaths) columns.add('path');
  if (rolled !== undefined && (sessionMetrics || needsSessionPaths || conversion !== undefined || !visitors)) throw new Error('the quarter-hour rollups were offered a report they do not answer');
  // The zone's offset at each row's instant: an event's, or a rolled quarter's first.
  const offsetOf = (ms: string): string => (hasTime ? offsetExpression(plan.offsets, ms, params) : 'toInt64(0)');
  const base =
    rolled === undefined
      ? `SELECT toUnixTimestamp64Milli(e.timestamp) AS ms, ${offsetOf('toUnixTimestamp64Milli(e.timestamp)')} AS off, ${[...columns].map((c) => `${columnValue(plan, plan.dimensions, c)} AS ${c}`).join(', ')} ${scoped}`
      : `SELECT *, ${offsetOf('ms')} AS off FROM (${rolledRows(plan, rolled, tables, params, scoped, client)})`;
  // Only visitors need persons.
  const persons = personLookup(tables, client, { ...identity, links: identity.links && visitors }, rolled === undefined);
  const ctes = [...persons.ctes, `base AS (${base})`];
  if (needsSessionPaths || sessionMetrics) ctes.push(sessionFacts(plan, params, tables));
  const dimensionValue = (dimension: Dimension): string => {
    if (isTimeGrain(dimension)) return TIME_KEY[dimension];
    if (dimension === 'entry_path' || dimension === 'exit_path') return `if(isNull(b.session_id), if(b.event = ${PAGEVIEW}, b.path, NULL), sp.${dimension})`;
    return `b.${STORED_COLUMN_OF[dimension] as string}`;
  };
  // Each row gets its session's facts from one join (ClickHouse inlines a CTE wherever it is
  // named: joining `sess` twice computed it twice).
  const facts = [...(needsSessionPaths ? ['entry_path', 'exit_path'] : []), ...(sessionMetrics ? ['s_pv', 's_dur'] : [])];
  const paths = facts.length > 0 ? ` LEFT JOIN (SELECT session_id, ${facts.join(', ')} FROM sess) AS sp ON sp.session_id = b.session_id` : '';
  const grouped = plan.dimensions.map((d, i) => `${dimensionValue(d)} AS d${i}`);
  const rowColumns =
    rolled === undefined
      ? [...carried.map((c) => `b.${c} AS ${c}`), ...(sessionMetrics ? ['sp.s_pv AS s_pv', 'sp.s_dur AS s_dur'] : []), ...grouped]
      : ['b.person_key AS person_key', 'b.n AS n', 'b.pv AS pv', ...grouped];
  ctes.push(`r AS (SELECT ${rowColumns.join(', ')} FROM base AS b${paths})`);

  let from: string;
  let selectedMetrics: string[];
  let groupKeys: string[];
  if (sessionMetrics) {
    // One row per (group, session): partial counts, the group's persons, and the session's facts.
    const partials = [
      'count() AS n',
      `countIf(r.event = ${PAGEVIEW}) AS pv`,
      ...(conversion === undefined ? [] : [`countIf(r.event = ${conversion}) AS conv`]),
      ...(visitors ? [`uniqExactState(${persons.of('r')}) AS ps`] : []),
      'any(r.s_pv) AS s_pv',
      'any(r.s_dur) AS s_dur',
    ];
    const keys = [...dims.map((d) => `r.${d} AS ${d}`), 'r.session_id AS session_id'];
    ctes.push(`g AS (SELECT ${[...keys, ...partials].join(', ')} FROM r${persons.join('r')} GROUP BY ${[...dims.map((d) => `r.${d}`), 'r.session_id'].join(', ')})`);
    from = 'g';
    selectedMetrics = plan.metrics.map((m) => `${metricExpression(m)} AS m_${m}`);
    groupKeys = dims.map((d) => `g.${d}`);
  } else {
    // No session metric: one grouping of the rows. (Grouping by session first cost top pages
    // over 1M events several times its time: a set of persons per (page, session).)
    from = `r${persons.join('r')}`;
    selectedMetrics = plan.metrics.map((m) => `${rowMetricExpression(m, conversion, persons.of('r'), rolled !== undefined)} AS m_${m}`);
    groupKeys = dims.map((d) => `r.${d}`);
  }

  const selected = [...groupKeys.map((key, i) => `${key} AS d${i}`), ...selectedMetrics];
  let tail = dims.length > 0 ? ` GROUP BY ${groupKeys.join(', ')}` : '';
  if (plan.sortAndLimit !== undefined) {
    selected.push('count() OVER () AS total');
    const alias = (column: Metric | Dimension): string => {
      const d = plan.dimensions.indexOf(column as Dimension);
      return d >= 0 ? `d${d}` : `m_${column}`;
    };
    const order = plan.sortAndLimit.orderBy.map((o) => `${alias(o.column)} ${o.direction === 'asc' ? 'ASC' : 'DESC'} NULLS LAST`);
    const ties = dims.map((d) => `${d} ASC NULLS LAST`);
    const by = [...order, ...ties];
    tail += `${by.length > 0 ? ` ORDER BY ${by.join(', ')}` : ''} LIMIT ${params.add(plan.sortAndLimit.limit, 'UInt64')}`;
  }
  if (plan.maxRows !== undefined) tail += ` LIMIT ${params.add(plan.maxRows, 'UInt64')}`;
  // Without dimensions an aggregate over no rows still gives one row (DuckDB's does too).
  const sql = `WITH ${ctes.join(', ')} SELECT ${selected.join(', ')} FROM ${from}${tail}${visitors ? identitySettingsClause(identity) : ''}`;
  return { sql, params: params.values };
}
