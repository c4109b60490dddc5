import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  /** One per bucket; null leaves a gap (a bucket the series has no value for). */
  values: (number | null)[];
  color: string;
  dashed?: boolean;
}

/**
 * A time-series line chart (uPlot, drawn on a canvas). The x axis is the bucket index, labelled
 * with the API's own bucket labels: they are already in the client's timezone, and re-parsing
 * them as dates in the browser's zone would shift them.
 */
export function Chart({ labels, series, title }: { labels: string[]; series: ChartSeries[]; title: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const x = labels.map((_, i) => i);
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 280),
      height: 260,
      scales: { x: { time: false } },
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      axes: [
        {
          values: (_chart, splits) => splits.map((i) => (Number.isInteger(i) ? shortLabel(labels[i] ?? '') : '')),
          stroke: '#555',
          grid: { stroke: '#eee' },
        },
        { stroke: '#555', grid: { stroke: '#eee' }, size: 50 },
      ],
      series: [
        { label: 'Bucket', value: (_chart, i) => (i === null ? '' : (labels[i] ?? '')) },
        ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, ...(s.dashed ? { dash: [6, 4] } : {}), points: { show: labels.length <= 40 } })),
      ],
    };
    const chart = new uPlot(options, [x, ...series.map((s) => s.values)], element);
    const observer = new ResizeObserver(() => chart.setSize({ width: Math.max(element.clientWidth, 280), height: 260 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [labels, series]);
  return <div class="chart" ref={box} role="img" aria-label={title} />;
}

/** 2026-03-29T02:00+02:00 → 03-29 02:00; 2026-03-29 → 03-29; months stay as they are. */
function shortLabel(label: string): string {
  const hour = /^\d{4}-(\d{2}-\d{2})T(\d{2}:\d{2})/.exec(label);
  if (hour) return `${hour[1]} ${hour[2]}`;
  const day = /^\d{4}-(\d{2}-\d{2})$/.exec(label);
  return day ? day[1]! : label;
}
