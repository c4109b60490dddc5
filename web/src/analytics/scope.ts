import type { FilterDimension } from '../../../src/query/names.js';
import { periodFields, type Period } from './query.js';

/**
 * What every card of the analytics page looks at: the client, the period, the comparison and the
 * filters. The page keeps it in the URL (so reload and share keep it) and hands it to each card;
 * a card turns it into the query API's body with `scopeFields`.
 */

/** Dimensions that can be filtered on: the server's own list (every non-time dimension). */
export type { FilterDimension };

export type FilterOp = 'is' | 'is_not' | 'contains';

/** One filter chip: `values` null stands for "(none)" (no value); `contains` has exactly one string. */
export interface FilterClause {
  dimension: FilterDimension;
  op: FilterOp;
  values: (string | null)[];
}

export interface PageScope {
  clientId: string;
  period: Period;
  compare: boolean;
  filters: FilterClause[];
  /** Count events classified as bots too (the "include bots" toggle). */
  includeBots: boolean;
}

/** The query API's `filters` object for the chips: one operator per dimension, as the API takes it. */
export function apiFilters(filters: FilterClause[], includeBots: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const clause of filters) {
    body[clause.dimension] = clause.op === 'contains' ? { contains: clause.values[0] ?? '' } : { [clause.op]: clause.values };
  }
  if (includeBots) body.include_bots = true;
  return body;
}

/**
 * The fields every query of the page shares: client, period, filters, and visit-level attribution
 * (referrers and UTM credited to the visit's first event, as Plausible does). `compare` is added
 * by the cards that show a comparison.
 */
export function scopeFields(scope: PageScope): Record<string, unknown> {
  return {
    client_id: scope.clientId,
    ...periodFields(scope.period),
    filters: apiFilters(scope.filters, scope.includeBots),
    attribution: 'visit',
  };
}
