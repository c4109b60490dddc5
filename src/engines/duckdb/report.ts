import { isTimeGrain, STORED_COLUMN_OF, type ReportPlan } from '../../query/plan.js';
import { DIMENSIONS, METRICS, type Dimension, type Metric } from '../../query/schemas.js';
import { countColumn, countsAnswer } from './dayCounts.js';
import { daysValues, rollupAnswers, type RolledBlock } from './dayRollup.js';
import { ALL_FAST_PATHS, type BuiltQuery, columnValue, eventsInScope, type FastPaths, identityJoin, offsetExpression, PAGEVIEW, Params, personOf, personsCte } from './scope.js';

/**
 * Bucket keys exactly as bucketKey() in period.ts defines them, from `ms` (epoch ms) and `off`
 * (the zone's offset then). Its divisions are floored and DuckDB's `//` truncates toward zero,
 * which differs where the local time is before 1970 (the first hours of 1970 west of UTC): the
 * local time is shifted by a day first, positive for every stored event (they are from 1970 on,
 * and no zone is a day behind UTC).
 */
const LOCAL_DAY = '((ms + off + 86400000) // 86400000 - 1)';
const TIME_KEY: Record<'hour' | 'day' | 'week' | 'month', string> = {
  hour: '((ms + off + 86400000) // 3600000) * 3600000 - 86400000 - off',
  day: LOCAL_DAY,
  week: `${LOCAL_DAY} - ((${LOCAL_DAY} + 3) % 7)`,
  month: 'year(make_timestamp((ms + off) * 1000)) * 12 + month(make_timestamp((ms + off) * 1000)) - 1',
};

const SESSION_METRICS = new Set<Metric>(['bounce_rate', 'avg_session_duration', 'views_per_session']);

/** Event-level aggregates over the scoped rows, one row per event (see `g` below for the rows grouped by person key). */
function eventAggregate(metric: Metric, conversion: string | undefined, person: string): string | undefined {
  switch (metric) {
    case 'unique_visitors':
      return `count(DISTINCT ${person})`;
    case 'page_views':
      return `count(*) FILTER (WHERE event = ${PAGEVIEW})`;
    case 'events':
      return 'count(*)';
    case 'sessions':
      return 'count(DISTINCT session_id)';
    case 'conversions':
      return `count(*) FILTER (WHERE event = ${conversion})`;
    default:
      return undefined;
  }
}

/** Event-level aggregates over `g`: the rows grouped once more by person key (and session), with partial counts. */
function regroupedAggregate(metric: Metric, person: string): string | undefined {
  switch (metric) {
    case 'page_views':
      return 'sum(pv)::BIGINT';
    case 'events':
      return 'sum(n)::BIGINT';
    case 'conversions':
      return 'sum(conv)::BIGINT';
    case 'sessions':
      return 'count(DISTINCT session_id)';
    case 'unique_visitors':
      return `count(DISTINCT ${person})`;
    default:
      return undefined;
  }
}

/** Session-level aggregates over `ss` (one row per group and session: pv its page views, dur its length in ms). */
const SESSION_AGGREGATE: Record<'bounce_rate' | 'avg_session_duration' | 'views_per_session', string> = {
  bounce_rate: 'round(100.0 * count(*) FILTER (WHERE pv = 1) / nullif(count(*) FILTER (WHERE pv >= 1), 0), 2)',
  avg_session_duration: 'round(avg(dur) / 1000.0, 1)',
  views_per_session: 'round(sum(pv) / nullif(count(*) FILTER (WHERE pv >= 1), 0), 2)',
};

/**
 * `sess`: the facts of each session of the period (page views, length, entry and exit path), from
 * all the client's rows of the period, bots excluded unless asked, and NOT narrowed by the other
 * filters: a two-page session stays a two-page session when the report looks at one of its pages.
 */
function sessionFacts(plan: ReportPlan, params: Params): string {
  const unfiltered = { ...plan, filters: plan.filters.include_bots === undefined ? {} : { include_bots: plan.filters.include_bots } };
  const facts = [
    `count(*) FILTER (WHERE e.event = ${PAGEVIEW}) AS pv`,
    'epoch_ms(max(e."timestamp")) - epoch_ms(min(e."timestamp")) AS dur',
    `arg_min(e.path, e."timestamp") FILTER (WHERE e.event = ${PAGEVIEW}) AS entry_path`,
    `arg_max(e.path, e."timestamp") FILTER (WHERE e.event = ${PAGEVIEW}) AS exit_path`,
  ];
  const scoped = eventsInScope(unfiltered, params);
  return `sess AS (SELECT e.session_id, ${facts.join(', ')} ${scoped} AND e.session_id IS NOT NULL GROUP BY e.session_id)`;
}

/**
 * Whether top-k pruning gives the plan's answer exactly: the first sort key is unique visitors,
 * descending, over at least one dimension. Later sort keys and the tie order only order groups
 * that all pass the threshold, so they are kept whatever they are.
 */
function prunable(plan: ReportPlan): boolean {
  const first = plan.sortAndLimit?.orderBy[0];
  return plan.maxRows === undefined && plan.dimensions.length > 0 && plan.metrics.includes('unique_visitors') && first?.column === 'unique_visitors' && first.direction === 'desc';
}

/**
 * `ev` for a top-k by visitors, exact, without counting every group's visitors: a group's visitors
 * are at most its rows. `cnt` counts rows per group (cheap: no hash of persons) and `heavy` takes
 * k groups, those with most rows, the likeliest to rank; `evh` has their metrics, and T is the
 * fewest visitors among them. Those k groups all have T visitors or more, so a group with fewer
 * than T rows, hence fewer than T visitors, is beaten by k groups and cannot be in the top k.
 * Every other group with T rows or more (ties at T included) is a candidate (`cand`) and gets its
 * metrics in `evc`; the final sort and limit then pick from `evh` and `evc` as from every group.
 * `cnt` holds all groups for the total. NULL groups match with IS NOT DISTINCT FROM like any other.
 *
 * `select`: the metrics' select list over rows `r` (with `join`), grouped by the dimensions.
 */
function topKEvents(dims: string[], k: string, select: string, join: string): string[] {
  const same = (a: string, b: string): string => dims.map((d) => `${a}.${d} IS NOT DISTINCT FROM ${b}.${d}`).join(' AND ');
  const list = dims.join(', ');
  const metricsOf = (groups: string): string => `SELECT ${select} FROM r SEMI JOIN ${groups} x ON ${same('r', 'x')}${join} GROUP BY ${dims.map((d) => `r.${d}`).join(', ')}`;
  return [
    `cnt AS (SELECT ${list}, count(*) AS n FROM r GROUP BY ${list})`,
    `heavy AS (SELECT ${list} FROM cnt ORDER BY n DESC LIMIT ${k})`,
    `evh AS (${metricsOf('heavy')})`,
    `cand AS (SELECT ${list} FROM cnt ANTI JOIN heavy h ON ${same('cnt', 'h')} WHERE cnt.n >= (SELECT min(m_unique_visitors) FROM evh))`,
    `evc AS (${metricsOf('cand')})`,
    'ev AS (SELECT * FROM evh UNION ALL SELECT * FROM evc)',
  ];
}

/**
 * One report as DuckDB SQL. Rows are first narrowed to the client, period, bots and filters;
 * with unique visitors they are grouped by person key before persons are resolved; time buckets
 * are integer arithmetic on epoch milliseconds.
 *
 * Session metrics and entry/exit paths read each session's facts whole (`sessionFacts`); a session
 * counts in every group where it has at least one row that passes the filters, as the `sessions`
 * metric counts it: a session that viewed /pricing and /checkout is in both path groups (a
 * bounce in neither), and one that crosses midnight is in both days.
 *
 * `links`: whether the client has identity links (the store asks once per report); without any,
 * persons are distinct ids and the identity join is left out. `fast`: the fast paths used (all but
 * in the tests that compare them with the plain statement). `rolled`: days of the period read from
 * the day rollups (dayRollup.ts; only for plans it answers), the rest of the period from events.
 */
export function duckdbReport(plan: ReportPlan, links: boolean, fast: FastPaths = ALL_FAST_PATHS, rolled?: RolledBlock): BuiltQuery {
  // Names reach the SQL text (as aliases and whitelisted columns): only the schema's own. A caller
  // that skipped validation fails here rather than writing its input into a statement.
  if (!plan.metrics.every((m) => METRICS.includes(m)) || !plan.dimensions.every((d) => DIMENSIONS.includes(d))) {
    throw new Error('a metric or dimension outside the whitelist reached the SQL builder');
  }
  const params = new Params();
  const dims = plan.dimensions.map((_, i) => `d${i}`);
  const needsSessions = plan.dimensions.some((d) => d === 'entry_path' || d === 'exit_path');
  // session_id only where sessions are read: a string column, its scan was most of top pages' read.
  const readsSessions = needsSessions || plan.metrics.some((m) => m === 'sessions' || SESSION_METRICS.has(m));
  const columns = new Set<string>(readsSessions ? ['event', 'session_id'] : ['event']);
  for (const dimension of plan.dimensions) {
    const column = STORED_COLUMN_OF[dimension];
    if (column !== undefined) columns.add(column);
  }
  // Persons are resolved after a first grouping (see below), on far fewer rows than events.
  const visitors = plan.metrics.includes('unique_visitors');
  // With rolled days, events are read before and after them only: two scans, each pruned by time.
  const parts = rolled === undefined ? [plan] : [{ ...plan, to: rolled.start }, { ...plan, from: rolled.end }];
  const scopedParts = parts.map((part) => eventsInScope(part, params, plan.dimensions));
  const conversion = plan.conversionEvent === undefined ? undefined : params.add(plan.conversionEvent);
  const hasTime = plan.dimensions.some(isTimeGrain);
  const offset = hasTime ? offsetExpression(plan.offsets, 'epoch_ms(e."timestamp")', params) : '0';
  if (visitors) columns.add('person_key');
  // A page view without a session is its own entry and exit page.
  if (needsSessions) columns.add('path');
  const selectList = `SELECT epoch_ms(e."timestamp") AS ms, ${offset} AS off, ${[...columns].map((c) => `${columnValue(plan, plan.dimensions, c)} AS ${c}`).join(', ')}`;
  const base = scopedParts.map((scoped) => `${selectList} ${scoped}`).join(' UNION ALL ');

  const ctes = [...(visitors ? personsCte(links, '$1', fast) : []), `base AS (${base})`];
  let rowsSource = 'base';
  const sessionMetrics = plan.metrics.filter((m) => SESSION_METRICS.has(m)) as (keyof typeof SESSION_AGGREGATE)[];
  if (needsSessions || sessionMetrics.length > 0) {
    ctes.push(sessionFacts(plan, params));
    if (needsSessions) rowsSource = 'base LEFT JOIN (SELECT session_id, entry_path, exit_path FROM sess) sp USING (session_id)';
  }
  const dimensionValue = (dimension: Dimension): string => {
    if (isTimeGrain(dimension)) return TIME_KEY[dimension];
    if (dimension === 'entry_path' || dimension === 'exit_path') return `CASE WHEN session_id IS NULL THEN (CASE WHEN event = ${PAGEVIEW} THEN path END) ELSE ${dimension} END`;
    return STORED_COLUMN_OF[dimension] as string;
  };
  const grouped = plan.dimensions.map((d, i) => `${dimensionValue(d)} AS d${i}`);
  // Only what the aggregates read, not every column of `base`: top pages' `r` is read three times
  // (materialized), and carrying the path beside its copy as d0 made it 20–40% slower.
  const kept = ['event', ...(readsSessions ? ['session_id'] : []), ...(visitors ? ['person_key'] : [])];
  ctes.push(`r AS (SELECT ${[...kept, ...grouped].join(', ')} FROM ${rowsSource})`);
  const groupBy = (extra: string[] = []): string => ([...dims, ...extra].length > 0 ? ` GROUP BY ${[...dims, ...extra].join(', ')}` : '');

  const limit = plan.sortAndLimit === undefined ? undefined : params.add(plan.sortAndLimit.limit);
  const eventMetrics = plan.metrics.filter((m) => !SESSION_METRICS.has(m));
  // Distinct persons cost a hash entry per (group, person). Grouping by person key first and
  // joining the identity links on those groups pays where a person has few rows per group: 3.2M
  // events of 30 days give 600,000 (day, distinct_id) groups, and days and referrers took a fifth
  // to a third less time so. By page it hardly shrinks anything (3.0M (page, distinct_id) pairs
  // for 3.3M events) and the second grouping cost more than it saved: top pages took 1.4–1.6 s
  // resolved and counted per event, against 2.1–2.6 s grouped first.
  const groupByVisitorFirst = visitors && !plan.dimensions.includes('path');
  if (rolled !== undefined && !(groupByVisitorFirst && rollupAnswers(plan))) throw new Error('the day rollups were offered a report they do not answer');
  // Top-k pruning where persons are counted per event (pages): grouped first by person, a group's
  // visitors already cost little, and top referrers (most rows in the one group without a
  // referrer) took twice as long with pruning as without.
  const topK = fast.topK && limit !== undefined && !groupByVisitorFirst && prunable(plan);
  if (groupByVisitorFirst) {
    const withSessions = eventMetrics.includes('sessions') ? ['session_id'] : [];
    const partials = ['count(*) AS n', `count(*) FILTER (WHERE event = ${PAGEVIEW}) AS pv`, ...(conversion ? [`count(*) FILTER (WHERE event = ${conversion}) AS conv`] : [])];
    let g = `SELECT ${[...dims, 'person_key', ...withSessions, ...partials].join(', ')} FROM r${groupBy(['person_key', ...withSessions])}`;
    if (rolled !== undefined) {
      // The rolled days' rows, as `g`'s: a (group, person) may come twice, from events and the
      // rollup, which the sums and the distinct count below take as they are.
      const dayOffset = hasTime ? offsetExpression(plan.offsets, 'x.day_start', params) : '0';
      const bots = plan.filters.include_bots === true ? '' : ' AND NOT x.is_bot';
      // The rolled days' stretches, which the rollup's and the counts' rows must match exactly.
      ctes.push(`rd AS (SELECT * FROM ${daysValues(rolled.days)})`);
      if (rolled.counts !== undefined) {
        // Days counted already (in this statement's snapshot) are read whole from `dc`, the
        // others from the rollup below; day numbers only increase here, so no day comes twice.
        ctes.push(
          `dc AS (SELECT c.day_start, c.visitors, c.page_views, c.events FROM day_counts c SEMI JOIN rd ON c.day_start = rd.day_from AND c.day_end = rd.day_to` +
            ` WHERE c.client_id = $1 AND c.with_bots = ${rolled.counts.withBots})`,
        );
      }
      const counted = rolled.counts === undefined ? '' : ' ANTI JOIN dc ON dc.day_start = x.day_start';
      const rows =
        `SELECT x.day_start AS ms, ${dayOffset} AS off, x.referrer_host, x.person_key, x.events, x.page_views FROM day_rollup x` +
        ` SEMI JOIN rd ON x.day_start = rd.day_from AND x.day_end = rd.day_to${counted}` +
        ` WHERE x.client_id = $1 AND x.day_start >= ${rolled.start} AND x.day_start < ${rolled.end}${bots}`;
      ctes.push(`ru AS (SELECT ${[...grouped, 'person_key', 'events AS n', 'page_views AS pv'].join(', ')} FROM (${rows}))`);
      g += ` UNION ALL SELECT ${[...dims, 'person_key', 'n', 'pv'].join(', ')} FROM ru`;
    }
    ctes.push(`g AS (${g})`);
    let ev = `SELECT ${[...dims, ...eventMetrics.map((m) => `${regroupedAggregate(m, personOf(links, 'g'))} AS m_${m}`)].join(', ')} FROM g${identityJoin(links, 'g')}${groupBy()}`;
    if (rolled?.counts !== undefined) {
      if (!countsAnswer(plan)) throw new Error('the day counts were offered a report that is not by day');
      const columns = eventMetrics.map((m) => `${countColumn(m)} AS m_${m}`);
      // A day counted empty has no row, as a day without events has none from `g`.
      const counts = `SELECT day_start AS ms, ${offsetExpression(plan.offsets, 'day_start', params)} AS off, visitors, page_views, events FROM dc WHERE events > 0`;
      ev += ` UNION ALL SELECT ${[`${TIME_KEY.day} AS d0`, ...columns].join(', ')} FROM (${counts})`;
    }
    ctes.push(`ev AS (${ev})`);
  } else {
    // count(*) keeps the list non-empty when only session metrics are asked, without dimensions.
    const join = visitors ? identityJoin(links, 'r') : '';
    const aggregates = eventMetrics.map((m) => `${eventAggregate(m, conversion, personOf(links, 'r'))} AS m_${m}`);
    const select = [...dims.map((d) => `r.${d}`), 'count(*) AS n', ...aggregates].join(', ');
    if (topK) ctes.push(...topKEvents(dims, `CAST(${limit} AS BIGINT)`, select, join));
    else ctes.push(`ev AS (SELECT ${select} FROM r${join}${groupBy()})`);
  }
  let from = 'ev';
  if (sessionMetrics.length > 0) {
    ctes.push(
      `ss AS (SELECT ${[...dims, 'pv', 'dur'].join(', ')} FROM (SELECT DISTINCT ${[...dims, 'session_id'].join(', ')} FROM r WHERE session_id IS NOT NULL) JOIN sess USING (session_id))`,
      `sa AS (SELECT ${[...dims, ...sessionMetrics.map((m) => `${SESSION_AGGREGATE[m]} AS m_${m}`)].join(', ')} FROM ss${groupBy()})`,
    );
    const on = dims.length > 0 ? dims.map((d) => `ev.${d} IS NOT DISTINCT FROM sa.${d}`).join(' AND ') : 'TRUE';
    from = `ev LEFT JOIN sa ON ${on}`;
  }

  const selected = [
    ...dims.map((d) => `ev.${d}`),
    ...plan.metrics.map((m) => (SESSION_METRICS.has(m) ? `coalesce(sa.m_${m}, 0)::DOUBLE` : `ev.m_${m}`)),
  ];
  let tail = '';
  if (plan.sortAndLimit !== undefined) {
    // Every group counts in the total: with top-k pruning, the cheap pass holds them all.
    selected.push(topK ? '(SELECT count(*) FROM cnt) AS total' : 'count(*) OVER () AS total');
    // Positions, not names: every column is addressed by where the whitelist put it.
    const position = (column: Metric | Dimension): number => {
      const d = plan.dimensions.indexOf(column as Dimension);
      return d >= 0 ? d + 1 : plan.dimensions.length + plan.metrics.indexOf(column as Metric) + 1;
    };
    const keys = plan.sortAndLimit.orderBy.map((o) => `${position(o.column)} ${o.direction === 'asc' ? 'ASC' : 'DESC'} NULLS LAST`);
    const ties = dims.map((_, i) => `${i + 1} ASC NULLS LAST`);
    tail = ` ORDER BY ${[...keys, ...ties].join(', ')} LIMIT CAST(${limit} AS BIGINT)`;
  }
  if (plan.maxRows !== undefined) tail = ` LIMIT CAST(${params.add(plan.maxRows)} AS BIGINT)`;
  // A group that holds no row at all never appears: `ev` groups rows that exist.
  return { sql: `WITH ${ctes.join(', ')} SELECT ${selected.join(', ')} FROM ${from}${tail}`, params: params.values };
}
