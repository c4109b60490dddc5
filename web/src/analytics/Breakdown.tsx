import { ErrorNote, Loading } from '../ui/misc.js';
import { useAsync } from '../ui/useAsync.js';
import { MetricTable } from './MetricTable.js';
import { periodFields, runQuery, type Dimension, type Metric, type Period } from './query.js';

export interface BreakdownSpec {
  title: string;
  dimension: Dimension;
  metrics: Metric[];
  /** Page-level tables count page views only: a custom event has no page of its own to credit. */
  pageViewsOnly?: boolean;
}

/** The dashboard's top-N tables: one query each, ordered by the first metric. */
export const BREAKDOWNS: BreakdownSpec[] = [
  { title: 'Top pages', dimension: 'path', pageViewsOnly: true, metrics: ['unique_visitors', 'page_views'] },
  { title: 'Entry pages', dimension: 'entry_path', metrics: ['sessions', 'bounce_rate'] },
  { title: 'Referrers', dimension: 'referrer_host', pageViewsOnly: true, metrics: ['unique_visitors', 'page_views'] },
  { title: 'UTM campaigns', dimension: 'utm_campaign', pageViewsOnly: true, metrics: ['unique_visitors', 'sessions'] },
  { title: 'UTM sources', dimension: 'utm_source', pageViewsOnly: true, metrics: ['unique_visitors', 'sessions'] },
  { title: 'Browsers', dimension: 'browser', metrics: ['unique_visitors'] },
  { title: 'Operating systems', dimension: 'os', metrics: ['unique_visitors'] },
  { title: 'Devices', dimension: 'device_type', metrics: ['unique_visitors'] },
  { title: 'Countries', dimension: 'country', metrics: ['unique_visitors'] },
  { title: 'Events', dimension: 'event', metrics: ['events', 'unique_visitors'] },
];

const TOP_N = 10;
const NONE_LABELS: Partial<Record<Dimension, string>> = { referrer_host: 'Direct / none' };

export function Breakdown({ clientId, period, spec }: { clientId: string; period: Period; spec: BreakdownSpec }) {
  const result = useAsync(
    () =>
      runQuery({
        client_id: clientId,
        metrics: spec.metrics,
        dimensions: [spec.dimension],
        ...(spec.pageViewsOnly ? { filters: { event: '$pageview' } } : {}),
        ...periodFields(period),
        limit: TOP_N,
      }),
    [clientId, period, spec],
  );
  const id = `breakdown-${spec.dimension}`;
  return (
    <section class="card breakdown" aria-labelledby={id} data-dimension={spec.dimension}>
      <h3 id={id}>{spec.title}</h3>
      <ErrorNote error={result.error} />
      {result.loading && !result.data ? (
        <Loading what={spec.title.toLowerCase()} />
      ) : result.data && result.data.rows.length > 0 ? (
        <MetricTable
          result={result.data}
          heading={spec.title.replace(/^Top /, '')}
          metrics={spec.metrics}
          labelOf={(value) => (value === null || value === '' ? (NONE_LABELS[spec.dimension] ?? '(none)') : String(value))}
        />
      ) : (
        result.data && <p class="hint">No data in this period.</p>
      )}
    </section>
  );
}
