import { useMemo } from 'preact/hooks';
import { Chart, type ChartSeries } from '../analytics/Chart.js';
import { rowLabel } from '../analytics/dimensions.js';
import { formatCount } from '../analytics/format.js';
import { ErrorNote } from '../ui/misc.js';
import { useAsync } from '../ui/useAsync.js';
import { LINK_PERIODS, linksApi, type LinkPeriod } from './linksApi.js';

/**
 * One link's clicks over a period, from `GET /clients/{id}/links/{linkId}/analytics`: the totals,
 * the daily clicks on the analytics page's chart (days in the client's time zone, as the API
 * buckets them) and the top referrers and countries. Bot clicks are counted apart, as the API does.
 */

function Breakdown({ title, column, rows, dimension, empty }: { title: string; column: string; rows: { value: string | null; clicks: number }[]; dimension: string; empty: string }) {
  const max = Math.max(0, ...rows.map((row) => row.clicks));
  return (
    <section class="card link-breakdown" data-dimension={dimension} aria-label={title}>
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p class="hint">{empty}</p>
      ) : (
        <div class="table-wrap">
          <table class="metric-table with-bars">
            <thead>
              <tr>
                <th scope="col">{column}</th>
                <th scope="col" class="num">
                  Clicks
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => {
                const label = rowLabel(dimension, row.value);
                return (
                  <tr key={row.value ?? ''} data-value={row.value ?? ''}>
                    <th scope="row" class="label">
                      <span class="row-bar" aria-hidden="true" style={{ width: `${max > 0 ? ((row.clicks / max) * 100).toFixed(1) : 0}%` }} />
                      <span class="truncate" title={label}>
                        {label}
                      </span>
                    </th>
                    <td class="num" data-value={row.clicks}>
                      {formatCount(row.clicks)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function LinkAnalyticsCard({ clientId, linkId, period, onPeriod }: { clientId: string; linkId: string; period: LinkPeriod; onPeriod: (period: LinkPeriod) => void }) {
  const analytics = useAsync(() => linksApi.analytics(clientId, linkId, period), [clientId, linkId, period]);
  const data = analytics.data;
  const chart = useMemo(() => {
    if (!data) return null;
    const series: ChartSeries[] = [{ label: 'Clicks', colorVar: '--accent', values: data.daily_clicks.map((day) => day.clicks) }];
    return { labels: data.daily_clicks.map((day) => day.date), series };
  }, [data]);
  return (
    <section class="card link-analytics" aria-labelledby="link-analytics-title" aria-busy={analytics.loading}>
      <div class="card-head">
        <h2 id="link-analytics-title">Clicks</h2>
        <form class="period" onSubmit={(event) => event.preventDefault()}>
          <div class="field">
            <label for="link-period">Period</label>
            <select id="link-period" name="period" value={period} onChange={(e) => onPeriod(e.currentTarget.value as LinkPeriod)}>
              {LINK_PERIODS.map((choice) => (
                <option key={choice.name} value={choice.name}>
                  {choice.label}
                </option>
              ))}
            </select>
          </div>
        </form>
      </div>
      <ErrorNote error={analytics.error} />
      {data && chart && (
        <>
          <dl class="kpis link-kpis" data-period={data.period}>
            {(
              [
                ['total_clicks', 'Clicks', data.total_clicks],
                ['unique_visitors', 'Unique visitors', data.unique_visitors],
                ['bot_clicks', 'Bot clicks', data.bot_clicks],
              ] as const
            ).map(([metric, label, value]) => (
              <div class="kpi" key={metric} data-metric={metric}>
                <dt>{label}</dt>
                <dd>
                  <span class="value" data-value={value}>
                    {formatCount(value)}
                  </span>
                </dd>
              </div>
            ))}
          </dl>
          {chart.labels.length > 0 && <Chart labels={chart.labels} grain="day" series={chart.series} title="Clicks by day" />}
          <p class="hint">Days are in the client’s time zone; bot clicks are left out of the chart and the tables.</p>
          <details class="chart-data">
            <summary>Chart data</summary>
            <div class="table-wrap">
              <table class="daily-clicks">
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    <th scope="col" class="num">
                      Clicks
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.daily_clicks.map((day) => (
                    <tr key={day.date}>
                      <th scope="row">{day.date}</th>
                      <td class="num" data-value={day.clicks}>
                        {formatCount(day.clicks)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
          <div class="grid">
            <Breakdown title="Referrers" column="Referrer" dimension="referrer_host" rows={data.referrers.map((r) => ({ value: r.referrer, clicks: r.clicks }))} empty="No clicks in this period." />
            <Breakdown title="Countries" column="Country" dimension="country" rows={data.countries.map((c) => ({ value: c.country, clicks: c.clicks }))} empty="No clicks in this period." />
          </div>
        </>
      )}
    </section>
  );
}
