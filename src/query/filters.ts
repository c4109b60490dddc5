import type { FilterCondition, ScopeFilters } from './plan.js';
import { FILTER_DIMENSIONS, type FilterValue, type QueryFiltersInput } from './schemas.js';

/**
 * The query body's filters, already valid by schema, as the typed conditions engines read: every
 * shape the API accepts (a string, `is`, `is_not`, `contains`) becomes one of two forms, so no
 * engine looks at input again or decides what a string means.
 */

function conditionOf(value: FilterValue): FilterCondition {
  if (typeof value === 'string') return { op: 'is', values: [value], none: false };
  if ('contains' in value) return { op: 'contains', text: value.contains };
  const [op, list] = 'is' in value ? (['is', value.is] as const) : (['is_not', value.is_not] as const);
  const values = [...new Set(list.filter((v): v is string => v !== null))];
  return { op, values, none: list.includes(null) };
}

export function planFilters(input: QueryFiltersInput): ScopeFilters {
  const filters: ScopeFilters = {};
  for (const name of FILTER_DIMENSIONS) {
    const value = input[name];
    if (value !== undefined) filters[name] = conditionOf(value);
  }
  if (input.url_contains !== undefined) filters.url_contains = input.url_contains;
  if (input.include_bots !== undefined) filters.include_bots = input.include_bots;
  return filters;
}
