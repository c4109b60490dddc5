import { useMemo, useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { href } from '../router.js';
import type { Client } from '../types.js';
import { ErrorNote, Loading } from '../ui/misc.js';
import { useAsync } from '../ui/useAsync.js';
import { alignToBuckets } from './alignBuckets.js';
import { Breakdown, BREAKDOWNS } from './Breakdown.js';
import { Chart, type ChartSeries } from './Chart.js';
import { changeOf, formatMetric, METRIC_LABELS } from './format.js';
import { FunnelBuilder } from './Funnel.js';
import { LiveEvents } from './LiveEvents.js';
import { MetricTable } from './MetricTable.js';
import { PeriodPicker } from './PeriodPicker.js';
import { numberAt, periodFields, runQuery, timeDimensionOf, type Metric, type Period, type QueryResult } from './query.js';

const KPI_METRICS: Metric[] = ['unique_visitors', 'page_views', 'sessions', 'bounce_rate', 'avg_session_duration', 'views_per_session'];
const CHART_METRICS: Metric[] = ['unique_visitors', 'page_views'];
const COLORS: Record<string, string> = { unique_visitors: '#2563eb', page_views: '#16a34a' };

function Kpis({ result }: { result: QueryResult }) {
  const row = result.rows[0];
  const previous = result.compare;
  return (
    <dl class="kpis">
      {KPI_METRICS.map((metric) => {
        const value = numberAt(result, row, metric);
        const before = previous ? numberAt(previous, previous.rows[0], metric) : null;
        return (
          <div class="kpi" key={metric} data-metric={metric}>
            <dt>{METRIC_LABELS[metric]}</dt>
            <dd>
              <span class="value" data-value={value}>
                {formatMetric(metric, value)}
              </span>
              {before !== null && (
                <span class="change" data-previous={before}>
                  {' '}
                  {changeOf(value, before) ?? `up from ${formatMetric(metric, before)}`} vs previous period
                </span>
              )}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

/** The numbers behind the chart, as a table: for screen readers, and to read exact values. */
function ChartData({ result, dimension }: { result: QueryResult; dimension: string }) {
  return (
    <details class="chart-data">
      <summary>Chart data</summary>
      <MetricTable result={result} heading={dimension} metrics={CHART_METRICS} labelOf={String} />
    </details>
  );
}

function TimeSeries({ clientId, period, compare }: { clientId: string; period: Period; compare: boolean }) {
  const dimension = timeDimensionOf(period);
  const result = useAsync(
    () => runQuery({ client_id: clientId, metrics: CHART_METRICS, dimensions: [dimension], ...periodFields(period), ...(compare ? { compare: 'previous_period' } : {}), limit: 10000 }),
    [clientId, period, compare],
  );
  const chart = useMemo(() => {
    const data = result.data;
    if (!data) return null;
    const series: ChartSeries[] = CHART_METRICS.map((metric) => ({ label: METRIC_LABELS[metric], color: COLORS[metric]!, values: data.rows.map((row) => numberAt(data, row, metric)) }));
    const previous = data.compare;
    if (previous) {
      for (const metric of CHART_METRICS) {
        const values = alignToBuckets(data.rows.length, previous.rows.map((row) => numberAt(previous, row, metric)));
        series.push({ label: `${METRIC_LABELS[metric]} (previous)`, color: COLORS[metric]!, dashed: true, values });
      }
    }
    return { labels: data.rows.map((row) => String(row[0])), series };
  }, [result.data]);
  return (
    <section class="card" aria-labelledby="timeseries-title">
      <h2 id="timeseries-title">Visitors and page views</h2>
      <ErrorNote error={result.error} />
      {!chart || !result.data ? (
        <Loading what="the chart" />
      ) : (
        <>
          <Chart labels={chart.labels} series={chart.series} title={`Visitors and page views by ${dimension}`} />
          <ChartData result={result.data} dimension={dimension} />
        </>
      )}
    </section>
  );
}

export function AnalyticsPage({ clientId, clientName }: { clientId: string; clientName?: string }) {
  const [period, setPeriod] = useState<Period>({ name: '30d', from: '', to: '' });
  const [compare, setCompare] = useState(false);
  // Custom dates are applied once both are set and in order; the API refuses anything else.
  const [applied, setApplied] = useState<Period>(period);
  const choose = (next: Period): void => {
    setPeriod(next);
    if (next.name !== 'custom' || (next.from !== '' && next.to !== '' && next.from <= next.to)) setApplied(next);
  };
  const kpis = useAsync(
    () => runQuery({ client_id: clientId, metrics: KPI_METRICS, ...periodFields(applied), ...(compare ? { compare: 'previous_period' } : {}) }),
    [clientId, applied, compare],
  );
  const tz = kpis.data?.period.timezone;
  return (
    <section class="analytics">
      <div class="heading">
        <h1>Analytics</h1>
        {clientName === undefined ? <ClientName clientId={clientId} /> : <span>{clientName}</span>}
      </div>
      <PeriodPicker period={period} onChange={choose} compare={compare} onCompare={setCompare} />
      {tz && <p class="hint">Days and hours are in the client’s timezone, {tz}.</p>}
      <ErrorNote error={kpis.error} />
      {kpis.data ? <Kpis result={kpis.data} /> : !kpis.error && <Loading what="totals" />}
      <TimeSeries clientId={clientId} period={applied} compare={compare} />
      <div class="grid">
        {BREAKDOWNS.map((spec) => (
          <Breakdown key={spec.dimension} clientId={clientId} period={applied} spec={spec} />
        ))}
      </div>
      <FunnelBuilder clientId={clientId} period={applied} />
    </section>
  );
}

/** The client's name, for admins: a client's own key cannot read the client record (it learns its name at sign-in). */
function ClientName({ clientId }: { clientId: string }) {
  const client = useAsync(() => api.get<Client>(`/clients/${enc(clientId)}`).catch(() => null), [clientId]);
  if (!client.data) return <span class="hint">{clientId}</span>;
  return <a href={href(`/clients/${enc(clientId)}`)}>{client.data.name}</a>;
}

export function LiveEventsPage({ clientId }: { clientId: string }) {
  return (
    <section>
      <h1>Live events</h1>
      <LiveEvents clientId={clientId} />
    </section>
  );
}
