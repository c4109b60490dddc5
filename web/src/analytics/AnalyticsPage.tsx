import { useCallback, useMemo, useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { href } from '../router.js';
import type { Client } from '../types.js';
import { ErrorNote, Loading } from '../ui/misc.js';
import { useAsync } from '../ui/useAsync.js';
import { alignToBuckets } from './alignBuckets.js';
import { Breakdown, BREAKDOWNS } from './Breakdown.js';
import { Chart, type ChartSeries } from './Chart.js';
import { METRIC_LABELS } from './format.js';
import { loadClientInfo } from './clientInfo.js';
import { FirstRun } from './FirstRun.js';
import { FunnelBuilder, type FunnelStep } from './Funnel.js';
import { Kpis } from './Kpis.js';
import { LiveEvents } from './LiveEvents.js';
import { MetricTable } from './MetricTable.js';
import { PageStatusContext } from './pageStatus.js';
import { PeriodPicker } from './PeriodPicker.js';
import { numberAt, periodFields, runQuery, timeDimensionOf, type Metric, type Period, type QueryResult } from './query.js';
import type { PageScope } from './scope.js';
import { VisitorsNow } from './VisitorsNow.js';

const CHART_METRICS: Metric[] = ['unique_visitors', 'page_views'];
const COLORS: Record<string, string> = { unique_visitors: '#2563eb', page_views: '#16a34a' };

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
  // TEMPORARY (webcards, until the page from i13-webpage replaces this): the scope, the steps and
  // one error banner with Retry, enough to place and test the cards.
  const [includeBots, setIncludeBots] = useState(false);
  const [steps, setSteps] = useState<FunnelStep[]>([]);
  const [failures, setFailures] = useState<Record<string, unknown>>({});
  const [retryRound, setRetryRound] = useState(0);
  const report = useCallback((card: string, error: unknown) => setFailures((all) => (all[card] === (error ?? undefined) ? all : { ...all, [card]: error ?? undefined })), []);
  const status = useMemo(() => ({ retryRound, report }), [retryRound, report]);
  const failure = Object.values(failures).find((error) => error);
  const scope: PageScope = { clientId, period: applied, compare, filters: [], includeBots };
  return (
    <PageStatusContext.Provider value={status}>
      <section class="analytics">
        <div class="heading">
          <h1>Analytics</h1>
          {clientName === undefined ? <ClientName clientId={clientId} /> : <span>{clientName}</span>}
          <VisitorsNow scope={scope} />
        </div>
        {failure !== undefined && (
          <div class="page-error" role="alert">
            <ErrorNote error={failure} />
            <button type="button" onClick={() => setRetryRound((n) => n + 1)}>
              Retry
            </button>
          </div>
        )}
        <PeriodPicker period={period} onChange={choose} compare={compare} onCompare={setCompare} />
        <FirstRun scope={scope} onIncludeBots={setIncludeBots} />
        <Kpis scope={scope} />
        <TimeSeries clientId={clientId} period={applied} compare={compare} />
        <div class="grid">
          {BREAKDOWNS.map((spec) => (
            <Breakdown key={spec.dimension} clientId={clientId} period={applied} spec={spec} />
          ))}
        </div>
        <FunnelBuilder scope={scope} steps={steps} onStepsChange={setSteps} />
      </section>
    </PageStatusContext.Provider>
  );
}

/** The client's name, for admins: a client's own key cannot read the client record (it learns its name at sign-in). */
function ClientName({ clientId }: { clientId: string }) {
  const client = useAsync(() => api.get<Client>(`/clients/${enc(clientId)}`).catch(() => null), [clientId]);
  if (!client.data) return <span class="hint">{clientId}</span>;
  return <a href={href(`/clients/${enc(clientId)}`)}>{client.data.name}</a>;
}

export function LiveEventsPage({ clientId }: { clientId: string }) {
  // TEMPORARY (webcards): the client's name and zone for the live view; the page owner's version replaces it.
  const info = useAsync(() => loadClientInfo(clientId), [clientId]);
  return (
    <section>
      <h1>Live events</h1>
      <ErrorNote error={info.error} />
      {info.data ? <LiveEvents clientId={clientId} clientName={info.data.name} timezone={info.data.timezone} /> : !info.error && <Loading what="the client" />}
    </section>
  );
}
