import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiFailure, enc } from '../api.js';
import { currentQuery, href, navigateQuery, useHashPath } from '../router.js';
import type { Client } from '../types.js';
import { ErrorNote, Loading } from '../ui/misc.js';
import { useAsync } from '../ui/useAsync.js';
import { alignToBuckets } from './alignBuckets.js';
import { BREAKDOWN_GROUPS, BreakdownCard, EventsCard, FramePlaceholder } from './Breakdown.js';
import { Chart, type ChartSeries } from './Chart.js';
import type { Grain } from './chartAxis.js';
import { FilterBar } from './FilterBar.js';
import { METRIC_LABELS } from './format.js';
import { loadClientInfo } from './clientInfo.js';
import { FirstRun } from './FirstRun.js';
import { FunnelBuilder } from './Funnel.js';
import { Kpis } from './Kpis.js';
import { LiveEvents } from './LiveEvents.js';
import { MetricTable } from './MetricTable.js';
import { PageStatusContext, useCardQuery, type PageStatus } from './pageStatus.js';
import { PeriodPicker } from './PeriodPicker.js';
import { VisitorsNow } from './VisitorsNow.js';
import { numberAt, runQuery, timeDimensionOf, type Metric, type Period, type QueryResult } from './query.js';
import { scopeFields, type FilterClause, type PageScope } from './scope.js';
import { formatState, parseState, withFilter, withoutFilter, type PageState } from './urlState.js';

/**
 * The analytics page's frame: its state lives in the URL (urlState.ts), every card gets the same
 * `PageScope` and loads through `useCardQuery`, and a failure shows once, here, with Retry.
 */

const CHART_METRICS: Metric[] = ['unique_visitors', 'page_views'];
const COLOR_VARS: Record<string, string> = { unique_visitors: '--accent', page_views: '--ok' };

/** The numbers behind the chart, as a table: for screen readers, and to read exact values. */
function ChartData({ result, dimension }: { result: QueryResult; dimension: string }) {
  return (
    <details class="chart-data">
      <summary>Chart data</summary>
      <MetricTable result={result} heading={dimension} metrics={CHART_METRICS} labelOf={String} />
    </details>
  );
}

function TimeSeries({ scope }: { scope: PageScope }) {
  const dimension = timeDimensionOf(scope.period);
  const result = useCardQuery(
    'timeseries',
    () => runQuery({ ...scopeFields(scope), metrics: CHART_METRICS, dimensions: [dimension], ...(scope.compare ? { compare: 'previous_period' } : {}), limit: 10000 }),
    [scope, dimension],
  );
  const chart = useMemo(() => {
    const data = result.data;
    if (!data) return null;
    // The grain of the answer shown, not of the period just chosen: the previous answer stays on
    // screen until the new one arrives, and its hours must not be labelled as months.
    const grain = (data.columns[0] ?? 'day') as Grain;
    const series: ChartSeries[] = CHART_METRICS.map((metric) => ({ label: METRIC_LABELS[metric], colorVar: COLOR_VARS[metric]!, values: data.rows.map((row) => numberAt(data, row, metric)) }));
    const previous = data.compare;
    if (previous) {
      for (const metric of CHART_METRICS) {
        const values = alignToBuckets(data.rows.length, previous.rows.map((row) => numberAt(previous, row, metric)));
        series.push({ label: `${METRIC_LABELS[metric]} (previous)`, colorVar: COLOR_VARS[metric]!, previous: true, values });
      }
    }
    return { grain, labels: data.rows.map((row) => String(row[0])), series };
  }, [result.data]);
  return (
    <section class="card" aria-labelledby="timeseries-title">
      <h2 id="timeseries-title">Visitors and page views</h2>
      {!chart || !result.data ? (
        <FramePlaceholder busy={result.loading} rows={6} />
      ) : (
        <>
          <Chart labels={chart.labels} grain={chart.grain} series={chart.series} title={`Visitors and page views by ${chart.grain}`} />
          <p class="hint">Days and hours are in the client’s timezone, {result.data.period.timezone}.</p>
          <ChartData result={result.data} dimension={chart.grain} />
        </>
      )}
    </section>
  );
}

function messageOf(error: unknown): string {
  if (error instanceof ApiFailure) return error.status === 0 ? 'The server cannot be reached.' : error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Collects the cards' failures: one banner with Retry, however many cards failed. */
function usePageStatus(): { status: PageStatus; error: unknown; retry: () => void } {
  const [errors, setErrors] = useState<Record<string, unknown>>({});
  const [retryRound, setRetryRound] = useState(0);
  const report = useCallback((card: string, error: unknown) => {
    setErrors((previous) => {
      if (error === null || error === undefined) {
        if (!(card in previous)) return previous;
        const { [card]: _gone, ...rest } = previous;
        return rest;
      }
      return previous[card] === error ? previous : { ...previous, [card]: error };
    });
  }, []);
  const failed = Object.keys(errors).length > 0;
  const status = useMemo(() => ({ retryRound, report, failed }), [retryRound, report, failed]);
  const retry = useCallback(() => {
    setErrors({});
    setRetryRound((n) => n + 1);
  }, []);
  return { status, error: Object.values(errors)[0] ?? null, retry };
}

function PageError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  return (
    <div class="page-error" role="alert">
      <p>
        <strong>The analytics could not be loaded.</strong> {messageOf(error)}
      </p>
      <button type="button" class="primary" onClick={onRetry}>
        Retry
      </button>
    </div>
  );
}

/** The query string of a hash path (`/clients/a/analytics?x=1` → `x=1`). */
const queryOf = (path: string): string => (path.includes('?') ? path.slice(path.indexOf('?') + 1) : '');

export function AnalyticsPage({ clientId, clientName }: { clientId: string; clientName?: string }) {
  const path = useHashPath();
  const query = queryOf(path);
  const state = useMemo(() => parseState(query), [query]);
  // A change builds on the URL as it is now, not on the state last drawn: the page redraws only when
  // `hashchange` arrives, and two quick choices (remove a filter, then pick a tab) must both count.
  const update = (change: Partial<PageState> | ((current: PageState) => Partial<PageState>), replace = false): void => {
    const current = parseState(currentQuery());
    navigateQuery(formatState({ ...current, ...(typeof change === 'function' ? change(current) : change) }), replace);
  };
  // One scope object per distinct scope, so a tab change (also in the URL) reloads no card.
  const scopeKey = JSON.stringify([clientId, state.period, state.compare, state.filters, state.includeBots]);
  const scope = useMemo<PageScope>(
    () => ({ clientId, period: state.period, compare: state.compare, filters: state.filters, includeBots: state.includeBots }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [scopeKey],
  );
  // The picker may hold a custom range still being typed (from after to); the URL only a valid one.
  const [draft, setDraft] = useState<Period>(state.period);
  useEffect(() => setDraft(state.period), [JSON.stringify(state.period)]);
  const choose = (next: Period): void => {
    setDraft(next);
    if (next.name !== 'custom' || (next.from !== '' && next.to !== '' && next.from <= next.to)) update({ period: next });
  };
  const onFilter = (clause: FilterClause): void => update((current) => ({ filters: withFilter(current.filters, clause) }));
  const { status, error, retry } = usePageStatus();
  return (
    <PageStatusContext.Provider value={status}>
      <section class="analytics">
        <div class="heading">
          <h1>Analytics</h1>
          {clientName === undefined ? <ClientName clientId={clientId} /> : <span>{clientName}</span>}
          <VisitorsNow scope={scope} />
        </div>
        <PeriodPicker period={draft} onChange={choose} compare={state.compare} onCompare={(compare) => update({ compare })} />
        <FilterBar scope={scope} onAdd={onFilter} onRemove={(dimension) => update((current) => ({ filters: withoutFilter(current.filters, dimension) }))} onClear={() => update({ filters: [] })} />
        {error !== null && <PageError error={error} onRetry={retry} />}
        <FirstRun scope={scope} onIncludeBots={(includeBots) => update({ includeBots })} />
        <Kpis scope={scope} />
        <TimeSeries scope={scope} />
        <div class="grid breakdowns">
          {BREAKDOWN_GROUPS.map((group) => (
            <BreakdownCard key={group.id} scope={scope} group={group} tab={state.tabs[group.id]} onTab={(tab) => update((current) => ({ tabs: { ...current.tabs, [group.id]: tab } }))} onFilter={onFilter} />
          ))}
          <EventsCard scope={scope} onFilter={onFilter} />
        </div>
        <FunnelBuilder scope={scope} steps={state.steps} latestSteps={() => parseState(currentQuery()).steps} onStepsChange={(steps) => update({ steps }, true)} />
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
  // The live view names the client and shows times in its zone (the cards' clientInfo.ts). Its
  // polls load through useCardQuery as the cards do: a failure is the page's one error with Retry.
  const { status, error, retry } = usePageStatus();
  const info = useAsync(() => loadClientInfo(clientId), [clientId, status.retryRound]);
  const shown = error ?? info.error ?? null;
  return (
    <PageStatusContext.Provider value={status}>
      <section>
        <h1>Live events</h1>
        {shown !== null && <PageError error={shown} onRetry={retry} />}
        {info.data ? <LiveEvents clientId={clientId} clientName={info.data.name} timezone={info.data.timezone} /> : !info.error && <Loading what="the client" />}
      </section>
    </PageStatusContext.Provider>
  );
}
