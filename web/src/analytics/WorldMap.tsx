import { useEffect, useState } from 'preact/hooks';
import { countryName } from './dimensions.js';
import { useCardQuery } from './pageStatus.js';
import { numberAt, runQuery } from './query.js';
import { scopeFields, type FilterClause, type PageScope } from './scope.js';

type Shapes = typeof import('./worldShapes.js');

const count = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/** A country's shade: at least a hint for one visitor, full for the busiest; square root so a few big countries don't wash out the rest. */
export function shadeOf(visitors: number, max: number): number {
  if (visitors <= 0 || max <= 0) return 0;
  return Math.round((0.15 + 0.85 * Math.sqrt(visitors / max)) * 100) / 100;
}

/**
 * Visitors by country on an inline SVG world map (outlines generated ahead of time into
 * worldShapes.ts, fetched as their own chunk when the map is first shown). Each country names its
 * visitors in a title; clicking one with visitors filters the page by it.
 */
export function WorldMap({ scope, onFilter }: { scope: PageScope; onFilter?: (clause: FilterClause) => void }) {
  const [shapes, setShapes] = useState<Shapes | null>(null);
  const [shapesError, setShapesError] = useState<unknown>(null);
  useEffect(() => {
    import('./worldShapes.js').then(setShapes, setShapesError);
  }, []);
  const result = useCardQuery('world-map', () => runQuery({ ...scopeFields(scope), metrics: ['unique_visitors'], dimensions: ['country'], limit: 300 }), [scope]);
  const data = result.data;
  const visitors = new Map<string, number>();
  if (data) for (const row of data.rows) if (typeof row[0] === 'string' && row[0] !== '') visitors.set(row[0].toUpperCase(), numberAt(data, row, 'unique_visitors'));
  const max = Math.max(0, ...visitors.values());
  if (shapesError) return <p class="hint">The map could not be loaded; the Countries tab lists the same numbers.</p>;
  if (!shapes || !data) return <div class="frame-placeholder map" aria-busy={result.loading || !shapes ? 'true' : 'false'} />;
  return (
    <figure class="world-map">
      <svg viewBox={shapes.WORLD_VIEWBOX} role="group" aria-label="Visitors by country">
        {shapes.WORLD_SHAPES.map(([code, fallbackName, d], index) => {
          const value = code ? (visitors.get(code) ?? 0) : 0;
          const name = code ? countryName(code) : fallbackName;
          const clickable = code !== null && value > 0 && onFilter !== undefined;
          const select = (): void => {
            if (clickable) onFilter({ dimension: 'country', op: 'is', values: [code] });
          };
          return (
            <path
              key={index}
              d={d}
              class={value > 0 ? 'country visited' : 'country'}
              fill-opacity={value > 0 ? shadeOf(value, max) : undefined}
              data-country={code ?? ''}
              data-visitors={value}
              {...(clickable
                ? {
                    tabIndex: 0,
                    role: 'button',
                    'aria-label': `${name}: ${count.format(value)} visitors`,
                    onClick: select,
                    onKeyDown: (event: KeyboardEvent) => {
                      if (event.key === 'Enter' || event.key === ' ') {
                        event.preventDefault();
                        select();
                      }
                    },
                  }
                : {})}
            >
              <title>{`${name}${code ? ` (${code})` : ''}: ${count.format(value)} visitor${value === 1 ? '' : 's'}`}</title>
            </path>
          );
        })}
      </svg>
      <figcaption class="hint">{visitors.size === 0 ? 'No visitor has a known country in this period.' : `Visitors from ${visitors.size} ${visitors.size === 1 ? 'country' : 'countries'}.`}</figcaption>
    </figure>
  );
}
