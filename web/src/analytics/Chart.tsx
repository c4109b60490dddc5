import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { countRange, INTEGER_INCREMENTS, longLabel, tickIndexes, tickLabel, tickStep, type Grain } from './chartAxis.js';

export interface ChartSeries {
  label: string;
  /** One per bucket; null leaves a gap (a bucket the series has no value for). */
  values: (number | null)[];
  /** A colour variable of the stylesheet (`--accent`): read when drawn, so dark mode applies. */
  colorVar: string;
  /** The comparison period: drawn faint and dashed. */
  previous?: boolean;
}

const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const HEIGHT = 260;
const count = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

let measurer: CanvasRenderingContext2D | null = null;
/** The widest of `texts` in the axis font, in CSS pixels. */
function widest(texts: readonly string[]): number {
  measurer ??= document.createElement('canvas').getContext('2d');
  if (!measurer) return texts.reduce((max, text) => Math.max(max, text.length * 7), 0);
  measurer.font = AXIS_FONT;
  return texts.reduce((max, text) => Math.max(max, measurer!.measureText(text).width), 0);
}

function cssColor(element: Element, variable: string): string {
  return getComputedStyle(element).getPropertyValue(variable).trim() || '#888';
}

/**
 * A time-series line chart (uPlot, drawn on a canvas). The x axis is the bucket index, labelled
 * with the API's own bucket labels: they are already in the client's timezone, and re-parsing them
 * as dates in the browser's zone would shift them. The legend above the plot names the hovered
 * bucket's values, and the last bucket's when nothing is hovered (uPlot's own legend reads "--").
 */
export function Chart({ labels, grain, series, title }: { labels: string[]; grain: Grain; series: ChartSeries[]; title: string }) {
  const box = useRef<HTMLDivElement>(null);
  const tooltip = useRef<HTMLDivElement>(null);
  const [hovered, setHovered] = useState<number | null>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    setHovered(null);
    const x = labels.map((_, i) => i);
    const ticks = labels.map((label) => tickLabel(label, grain));
    const labelWidth = widest(ticks);
    const line = cssColor(element, '--line');
    const muted = cssColor(element, '--muted');
    // uPlot places the ticks; the labels are HTML elements laid over the canvas (see drawLabels),
    // so their boxes can be measured and read. These hold the last computed ticks and texts.
    let xSplits: number[] = [];
    let ySplits: number[] = [];
    let yLabels: string[] = ['0'];
    const layer = document.createElement('div');
    layer.className = 'axis-labels';
    layer.setAttribute('aria-hidden', 'true');
    const drawLabels = (u: uPlot): void => {
      const over = u.over;
      const items: HTMLSpanElement[] = [];
      const add = (text: string, className: string, left: number, top: number): void => {
        const span = document.createElement('span');
        span.className = className;
        span.textContent = text;
        span.style.left = `${Math.round(left)}px`;
        span.style.top = `${Math.round(top)}px`;
        items.push(span);
      };
      for (const i of xSplits) add(ticks[i] ?? '', 'x-label', over.offsetLeft + u.valToPos(i, 'x'), over.offsetTop + over.clientHeight + 6);
      ySplits.forEach((v, k) => add(yLabels[k] ?? '', 'y-label', over.offsetLeft - 8, over.offsetTop + u.valToPos(v, 'y')));
      layer.replaceChildren(...items);
    };
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 280),
      height: HEIGHT,
      // Room for half of the last tick label on the right, so "Dec 2026" is not cut at the edge.
      padding: [12, Math.ceil(labelWidth / 2) + 4, 0, 0],
      scales: {
        x: { time: false, range: (_u, min, max) => (min === max ? [min - 0.5, max + 0.5] : [min, max]) },
        y: { range: (_u, _min, max) => countRange(max) },
      },
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      axes: [
        {
          font: AXIS_FONT,
          stroke: muted,
          grid: { show: false },
          ticks: { stroke: line },
          size: 30,
          splits: (u) => (xSplits = tickIndexes(labels.length, tickStep(labels.length, u.bbox.width / uPlot.pxRatio, labelWidth, grain))),
          values: (_u, splits) => splits.map(() => ''),
        },
        {
          font: AXIS_FONT,
          stroke: muted,
          grid: { stroke: line },
          ticks: { show: false },
          incrs: INTEGER_INCREMENTS,
          values: (_u, splits) => {
            ySplits = splits;
            yLabels = splits.map((v) => count.format(v));
            return splits.map(() => '');
          },
          // Wide enough for the widest label (12,500 used to read 2,500), plus the gap, and for
          // half of the first x label, which is centred under the axis.
          size: () => Math.max(Math.ceil(widest(yLabels)) + 16, Math.ceil(labelWidth / 2) + 4),
        },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: cssColor(element, s.colorVar),
          width: s.previous ? 1.5 : 2,
          alpha: s.previous ? 0.45 : 1,
          ...(s.previous ? { dash: [6, 4] } : {}),
          points: { show: labels.length <= 40 && !s.previous },
        })),
      ],
      hooks: {
        draw: [drawLabels],
        setCursor: [
          (u) => {
            const idx = u.cursor.idx ?? null;
            setHovered(idx);
            const tip = tooltip.current;
            if (!tip) return;
            if (idx === null || u.cursor.left === undefined || u.cursor.left < 0) {
              tip.hidden = true;
              return;
            }
            tip.hidden = false;
            const over = u.over;
            const left = over.offsetLeft + (u.cursor.left ?? 0);
            const flip = left > element.clientWidth / 2;
            tip.style.left = `${left}px`;
            tip.style.top = `${over.offsetTop + 8}px`;
            tip.style.transform = flip ? 'translateX(calc(-100% - 12px))' : 'translateX(12px)';
          },
        ],
      },
    };
    const chart = new uPlot(options, [x, ...series.map((s) => s.values)], element);
    chart.over.parentElement?.append(layer);
    drawLabels(chart);
    const observer = new ResizeObserver(() => chart.setSize({ width: Math.max(element.clientWidth, 280), height: HEIGHT }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [labels, series, grain]);

  const shown = hovered ?? labels.length - 1;
  const readout = shown >= 0 && (
    <>
      <span class="bucket">{longLabel(labels[shown] ?? '', grain)}</span>
      {series.map((s) => (
        <span class={`entry${s.previous ? ' previous' : ''}`} key={s.label} data-series={s.label}>
          <span class={`swatch ${s.colorVar.slice(2)}`} aria-hidden="true" />
          {s.label} <strong data-value={s.values[shown] ?? ''}>{s.values[shown] === null || s.values[shown] === undefined ? '–' : count.format(s.values[shown]!)}</strong>
        </span>
      ))}
    </>
  );
  return (
    <div class="chart-wrap">
      <p class="chart-legend" aria-live="off" data-hovered={hovered === null ? 'none' : String(hovered)}>
        {readout}
      </p>
      <div class="chart" ref={box} role="img" aria-label={title} />
      <div class="chart-tooltip" ref={tooltip} hidden>
        {readout}
      </div>
    </div>
  );
}
