import { formatMetric, METRIC_LABELS } from './format.js';
import { numberAt, type Metric, type ResultSet } from './query.js';

/**
 * A one-dimension result as a table: the dimension's value, then one cell per metric, each
 * carrying its exact number in data-value (what the formatted text rounds).
 */
export function MetricTable(props: { result: ResultSet; heading: string; metrics: Metric[]; labelOf: (value: ResultSet['rows'][number][number]) => string }) {
  const { result, metrics } = props;
  return (
    <div class="table-wrap">
      <table>
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
          {result.rows.map((row, index) => (
            <tr key={index}>
              <th scope="row" class="label">
                {props.labelOf(row[0] ?? null)}
              </th>
              {metrics.map((metric) => {
                const value = numberAt(result, row, metric);
                return (
                  <td class="num" key={metric} data-metric={metric} data-value={value}>
                    {formatMetric(metric, value)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
