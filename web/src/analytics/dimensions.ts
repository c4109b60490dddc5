import type { FilterDimension, FilterOp } from './scope.js';

/**
 * How the analytics page names dimensions and their values: one place, so a breakdown row, a filter
 * chip ("Country is Germany") and the details dialog say the same thing.
 */

export const DIMENSION_LABELS: Record<FilterDimension, string> = {
  path: 'Page',
  entry_path: 'Entry page',
  exit_path: 'Exit page',
  referrer_host: 'Referrer',
  utm_source: 'UTM source',
  utm_medium: 'UTM medium',
  utm_campaign: 'UTM campaign',
  utm_term: 'UTM term',
  utm_content: 'UTM content',
  browser: 'Browser',
  os: 'Operating system',
  device_type: 'Device',
  event: 'Event',
  country: 'Country',
  region: 'Region',
  city: 'City',
  link_id: 'Short link',
};

export const OP_LABELS: Record<FilterOp, string> = { is: 'is', is_not: 'is not', contains: 'contains' };

/** What "no value" means per dimension: a visit without a referrer came directly. */
const NONE_LABELS: Partial<Record<FilterDimension, string>> = { referrer_host: 'Direct / none' };

const regionNames = ((): Intl.DisplayNames | null => {
  try {
    return new Intl.DisplayNames(['en'], { type: 'region' });
  } catch {
    return null;
  }
})();

/** DE → Germany; a code the browser does not know stays as it is. */
export function countryName(code: string): string {
  try {
    return regionNames?.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** The text shown for a value: "(none)" (or its dimension's word for it), a country's name. */
export function valueLabel(dimension: string, value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return NONE_LABELS[dimension as FilterDimension] ?? '(none)';
  if (dimension === 'country') return countryName(String(value));
  return String(value);
}

/** A breakdown row's text: a country also shows its ISO code ("Germany (DE)"), as the API holds it. */
export function rowLabel(dimension: string, value: string | number | null | undefined): string {
  const label = valueLabel(dimension, value);
  return dimension === 'country' && typeof value === 'string' && value !== '' && label !== value ? `${label} (${value.toUpperCase()})` : label;
}
