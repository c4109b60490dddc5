import { useState } from 'preact/hooks';
import { useAsync } from '../ui/useAsync.js';
import { DIMENSION_LABELS, OP_LABELS, valueLabel } from './dimensions.js';
import { runQuery } from './query.js';
import { scopeFields, type FilterClause, type FilterDimension, type FilterOp, type PageScope } from './scope.js';
import { FILTER_DIMENSIONS, withoutFilter } from './urlState.js';

/**
 * The page's filters as removable chips ("Country is Germany ×") and a form to add one on any
 * filterable dimension with `is`, `is not` or `contains`. The value box suggests the dimension's
 * top values in the current scope (without its own filter, so "is not" can offer what it hides).
 */

export function clauseText(clause: FilterClause): string {
  const values = clause.op === 'contains' ? `“${clause.values[0] ?? ''}”` : clause.values.map((v) => valueLabel(clause.dimension, v)).join(' or ');
  return `${DIMENSION_LABELS[clause.dimension]} ${OP_LABELS[clause.op]} ${values}`;
}

function Suggestions({ scope, dimension, id }: { scope: PageScope; dimension: FilterDimension; id: string }) {
  const suggestions = useAsync(
    () =>
      runQuery({ ...scopeFields({ ...scope, filters: withoutFilter(scope.filters, dimension) }), metrics: ['unique_visitors'], dimensions: [dimension], limit: 50 }).catch(() => null),
    [scope, dimension],
  );
  return (
    <datalist id={id}>
      {(suggestions.data?.rows ?? [])
        .map((row) => row[0])
        .filter((value): value is string => typeof value === 'string' && value !== '')
        .map((value) => (
          <option key={value} value={value}>
            {valueLabel(dimension, value)}
          </option>
        ))}
    </datalist>
  );
}

function AddFilter({ scope, onAdd, onClose }: { scope: PageScope; onAdd: (clause: FilterClause) => void; onClose: () => void }) {
  const [dimension, setDimension] = useState<FilterDimension>('path');
  const [op, setOp] = useState<FilterOp>('is');
  const [value, setValue] = useState('');
  const submit = (event: Event): void => {
    event.preventDefault();
    const text = value.trim();
    if (text === '') return;
    onAdd({ dimension, op, values: [dimension === 'country' && op !== 'contains' ? text.toUpperCase() : text] });
    onClose();
  };
  return (
    <form class="add-filter" aria-label="Add a filter" onSubmit={submit}>
      <label>
        <span class="visually-hidden">Filter on</span>
        <select aria-label="Filter on" value={dimension} onChange={(e) => setDimension(e.currentTarget.value as FilterDimension)}>
          {FILTER_DIMENSIONS.map((d) => (
            <option key={d} value={d}>
              {DIMENSION_LABELS[d]}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span class="visually-hidden">Operator</span>
        <select aria-label="Operator" value={op} onChange={(e) => setOp(e.currentTarget.value as FilterOp)}>
          {(Object.keys(OP_LABELS) as FilterOp[]).map((o) => (
            <option key={o} value={o}>
              {OP_LABELS[o]}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span class="visually-hidden">Value</span>
        <input aria-label="Value" list="filter-suggestions" value={value} required maxLength={1024} onInput={(e) => setValue(e.currentTarget.value)} placeholder={dimension === 'country' ? 'e.g. DE' : 'Value'} />
      </label>
      <Suggestions scope={scope} dimension={dimension} id="filter-suggestions" />
      <button type="submit" class="primary">
        Apply
      </button>
      <button type="button" onClick={onClose}>
        Cancel
      </button>
    </form>
  );
}

export function FilterBar({ scope, onAdd, onRemove, onClear }: { scope: PageScope; onAdd: (clause: FilterClause) => void; onRemove: (dimension: FilterDimension) => void; onClear: () => void }) {
  const [adding, setAdding] = useState(false);
  return (
    <div class="filter-bar" role="region" aria-label="Filters">
      <ul class="chips">
        {scope.filters.map((clause) => {
          const text = clauseText(clause);
          return (
            <li class="chip" key={clause.dimension} data-dimension={clause.dimension}>
              <span class="chip-text" title={text}>
                {text}
              </span>
              <button type="button" class="chip-remove" aria-label={`Remove filter: ${text}`} onClick={() => onRemove(clause.dimension)}>
                ×
              </button>
            </li>
          );
        })}
      </ul>
      {adding ? (
        <AddFilter scope={scope} onAdd={onAdd} onClose={() => setAdding(false)} />
      ) : (
        <button type="button" class="add-filter-button" onClick={() => setAdding(true)}>
          + Add filter
        </button>
      )}
      {scope.filters.length > 1 && (
        <button type="button" class="link-button" onClick={onClear}>
          Clear all
        </button>
      )}
    </div>
  );
}
