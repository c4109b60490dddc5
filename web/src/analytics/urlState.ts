import { FILTER_DIMENSIONS } from '../../../src/query/names.js';
import type { Period, PeriodName } from './query.js';
import type { FilterClause, FilterDimension, FilterOp } from './scope.js';

/**
 * The analytics page's state as the query string of its hash URL
 * (`#/clients/acme/analytics?period=7d&compare=1&f=country:is:DE`), so a reload, a shared link and
 * back/forward all restore it. Pure functions: parsing never throws; a parameter that does not
 * parse (a hand-edited or truncated link) is ignored and its default kept, never a crash.
 *
 * Values inside `f` and `steps` are percent-encoded one by one (`,` and `:` separate them), so a
 * path such as `/a,b` survives; an empty value in an `is`/`is_not` list is "(none)" (JSON null).
 */

/** A funnel step as the funnel API takes it (the funnel card's `FunnelStep` has the same shape). */
export type FunnelStepDraft = { event: string } | { path: string };

export interface PageState {
  period: Period;
  compare: boolean;
  filters: FilterClause[];
  includeBots: boolean;
  steps: FunnelStepDraft[];
  /** The chosen tab of each tabbed card, by card id (`pages`, `sources`, …). */
  tabs: Record<string, string>;
}

/** The server's list of filterable dimensions, so a link can name exactly what the API takes. */
export { FILTER_DIMENSIONS };
const OPS: readonly FilterOp[] = ['is', 'is_not', 'contains'];
const PERIODS: readonly PeriodName[] = ['today', '24h', '7d', '30d', '90d', '12mo', 'custom'];
/** The API's bounds: 1–50 values per operator, 2–8 funnel steps. */
const MAX_VALUES = 50;
const MAX_STEPS = 8;
const TAB_KEYS = ['pages', 'sources', 'devices', 'locations'] as const;
const DEFAULT_PERIOD: Period = { name: '30d', from: '', to: '' };

export function defaultState(): PageState {
  return { period: { ...DEFAULT_PERIOD }, compare: false, filters: [], includeBots: false, steps: [], tabs: {} };
}

/** Percent-encodes a value, keeping `/` readable (paths are most filters): only `,` and `:` separate. */
const encodeValue = (value: string): string => encodeURIComponent(value).replace(/%2F/g, '/');

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** A calendar day that exists (2026-02-30 does not). */
function isDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** `country:is:DE,FR` → a clause, or null when any part is not one the API takes. */
export function parseFilter(text: string): FilterClause | null {
  const [dimension, op, list, ...rest] = text.split(':');
  if (rest.length > 0 || list === undefined) return null;
  if (!(FILTER_DIMENSIONS as readonly string[]).includes(dimension!) || !(OPS as readonly string[]).includes(op!)) return null;
  const values: (string | null)[] = [];
  for (const raw of list.split(',')) {
    if (raw === '') {
      values.push(null);
      continue;
    }
    const value = decode(raw);
    if (value === null) return null;
    values.push(value);
  }
  if (op === 'contains') {
    const [needle] = values;
    return values.length === 1 && typeof needle === 'string' && needle !== '' ? { dimension: dimension as FilterDimension, op: 'contains', values: [needle] } : null;
  }
  if (values.length < 1 || values.length > MAX_VALUES) return null;
  return { dimension: dimension as FilterDimension, op: op as FilterOp, values };
}

export function formatFilter(clause: FilterClause): string {
  return `${clause.dimension}:${clause.op}:${clause.values.map((v) => (v === null ? '' : encodeValue(v))).join(',')}`;
}

function parseSteps(text: string): FunnelStepDraft[] | null {
  const steps: FunnelStepDraft[] = [];
  for (const part of text.split(',')) {
    const match = /^(event|path):(.*)$/.exec(part);
    if (!match) return null;
    const value = decode(match[2]!);
    if (value === null) return null;
    steps.push(match[1] === 'event' ? { event: value } : { path: value });
  }
  return steps.length <= MAX_STEPS ? steps : null;
}

/** The query string's pairs, values still encoded (a `%2C` in a filter value must not become a separator). */
function pairs(query: string): [string, string][] {
  return query
    .replace(/^\?/, '')
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const at = pair.indexOf('=');
      return at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    });
}

export function parseState(query: string): PageState {
  const state = defaultState();
  let from = '';
  let to = '';
  let periodName: PeriodName | null = null;
  for (const [key, raw] of pairs(query)) {
    const value = key === 'f' || key === 'steps' ? raw : (decode(raw) ?? '');
    if (key === 'period' && (PERIODS as readonly string[]).includes(value)) periodName = value as PeriodName;
    else if (key === 'from' && isDay(value)) from = value;
    else if (key === 'to' && isDay(value)) to = value;
    else if (key === 'compare') state.compare = value === '1';
    else if (key === 'bots') state.includeBots = value === '1';
    else if (key === 'f') {
      const clause = parseFilter(value);
      // One operator per dimension, as the API takes it: a later clause replaces an earlier one.
      if (clause) state.filters = [...state.filters.filter((c) => c.dimension !== clause.dimension), clause];
    } else if (key === 'steps') state.steps = parseSteps(value) ?? [];
    else if ((TAB_KEYS as readonly string[]).includes(key) && /^[a-z_]{1,32}$/.test(value)) state.tabs[key] = value;
  }
  if (periodName === 'custom') {
    // A custom range needs both days in order; anything else falls back to the default period.
    if (from !== '' && to !== '' && from <= to) state.period = { name: 'custom', from, to };
  } else if (periodName !== null) state.period = { name: periodName, from: '', to: '' };
  return state;
}

/** The query string (without `?`) for a state; defaults are left out, so a plain link stays plain. */
export function formatState(state: PageState): string {
  const parts: string[] = [];
  if (state.period.name !== DEFAULT_PERIOD.name) parts.push(`period=${state.period.name}`);
  if (state.period.name === 'custom') parts.push(`from=${state.period.from}`, `to=${state.period.to}`);
  if (state.compare) parts.push('compare=1');
  if (state.includeBots) parts.push('bots=1');
  for (const clause of state.filters) parts.push(`f=${formatFilter(clause)}`);
  if (state.steps.length > 0) parts.push(`steps=${state.steps.map((s) => ('event' in s ? `event:${encodeValue(s.event)}` : `path:${encodeValue(s.path)}`)).join(',')}`);
  for (const key of TAB_KEYS) {
    const tab = state.tabs[key];
    if (tab !== undefined) parts.push(`${key}=${encodeURIComponent(tab)}`);
  }
  return parts.join('&');
}

/** Adds a clause, replacing any clause on the same dimension (the API takes one operator per dimension). */
export function withFilter(filters: FilterClause[], clause: FilterClause): FilterClause[] {
  return [...filters.filter((c) => c.dimension !== clause.dimension), clause];
}

export function withoutFilter(filters: FilterClause[], dimension: FilterDimension): FilterClause[] {
  return filters.filter((c) => c.dimension !== dimension);
}
