import { Placeholder } from './Placeholder.js';
import { deltaOf, formatMetric, METRIC_LABELS } from './format.js';
import { useCardQuery } from './pageStatus.js';
import { numberAt, runQuery, type Metric } from './query.js';
import { scopeFields, type PageScope } from './scope.js';

/**
 * The headline numbers of the period, each with its change against the previous period when the
 * comparison is on: an arrow and a colour that say whether the change is good news (a falling
 * bounce rate is), so the page reads at a glance as Plausible's top row does.
 */

export const KPI_METRICS: Metric[] = ['unique_visitors', 'page_views', 'sessions', 'bounce_rate', 'avg_session_duration', 'views_per_session'];

const ARROWS = { up: '\u2191', down: '\u2193', flat: '' } as const;
const DIRECTION_WORDS = { up: 'up', down: 'down', flat: 'no change' } as const;

function Change({ metric, value, previous }: { metric: Metric; value: number; previous: number }) {
  const delta = deltaOf(metric, value, previous);
  const before = formatMetric(metric, previous);
  return (
    <span class={`change ${delta.tone}`} data-previous={previous} data-direction={delta.direction} title={`Previous period: ${before}`}>
      {delta.direction !== 'flat' && (
        <span class="arrow" aria-hidden="true">
          {ARROWS[delta.direction]}
        </span>
      )}
      <span class="delta">{delta.text}</span>
      <span class="visually-hidden">
        {' '}
        ({DIRECTION_WORDS[delta.direction]} from {before} in the previous period)
      </span>
    </span>
  );
}

export function Kpis({ scope }: { scope: PageScope }) {
  const result = useCardQuery(
    'kpis',
    () => runQuery({ ...scopeFields(scope), metrics: KPI_METRICS, ...(scope.compare ? { compare: 'previous_period' } : {}) }),
    [JSON.stringify(scopeFields(scope)), scope.compare],
  );
  const data = result.data;
  const row = data?.rows[0];
  const previous = data?.compare;
  return (
    <dl class="kpis" aria-busy={result.loading}>
      {KPI_METRICS.map((metric) => {
        const value = data ? numberAt(data, row, metric) : 0;
        return (
          <div class="kpi" key={metric} data-metric={metric}>
            <dt>{METRIC_LABELS[metric]}</dt>
            <dd>
              {data ? (
                <span class="value" data-value={value}>
                  {formatMetric(metric, value)}
                </span>
              ) : (
                <Placeholder what={METRIC_LABELS[metric]} inline />
              )}
              {data && previous ? <Change metric={metric} value={value} previous={numberAt(previous, previous.rows[0], metric)} /> : scope.compare && <span class="change-pending" aria-hidden="true" />}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}
