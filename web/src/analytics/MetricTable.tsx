import { formatMetric, METRIC_LABELS } from './format.js';
import { numberAt, type Metric, type ResultSet } from './query.js';

type Cell = ResultSet['rows'][number][number];

/**
 * A one-dimension result as a table: the dimension's value, then one cell per metric, each
 * carrying its exact number in data-value (what the formatted text rounds). With `bars`, a bar
 * behind each row is proportional to the first metric (against the largest row shown); with
 * `onSelect`, the value is a button (click-to-filter). A long value is cut with an ellipsis on one
 * line, never mid-word onto the next, and its full text is the title.
 */
export function MetricTable(props: {
  result: ResultSet;
  heading: string;
  metrics: Metric[];
  labelOf: (value: Cell) => string;
  bars?: boolean;
  onSelect?: (value: Cell) => void;
}) {
  const { result, metrics } = props;
  const first = metrics[0];
  const max = first === undefined ? 0 : Math.max(0, ...result.rows.map((row) => numberAt(result, row, first)));
  return (
    <div class="table-wrap">
      <table class={props.bars ? 'metric-table with-bars' : 'metric-table'}>
        <thead>
          <tr>
            <th scope="col">{props.heading}</th>
            {metrics.map((metric) => (
              <th scope="col" class="num" key={metric}>
                {METRIC_LABELS[metric]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {result.rows.map((row, index) => {
            const value = row[0] ?? null;
            const label = props.labelOf(value);
            const share = props.bars && first !== undefined && max > 0 ? (numberAt(result, row, first) / max) * 100 : 0;
            return (
              <tr key={index} data-value={value === null ? '' : String(value)}>
                <th scope="row" class="label">
                  {props.bars && <span class="row-bar" aria-hidden="true" style={{ width: `${share.toFixed(1)}%` }} />}
                  {props.onSelect ? (
                    <button type="button" class="row-filter" title={label} onClick={() => props.onSelect?.(value)}>
                      <span class="truncate">{label}</span>
                    </button>
                  ) : (
                    <span class="truncate" title={label}>
                      {label}
                    </span>
                  )}
                </th>
                {metrics.map((metric) => {
                  const number = numberAt(result, row, metric);
                  return (
                    <td class="num" key={metric} data-metric={metric} data-value={number}>
                      {formatMetric(metric, number)}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
