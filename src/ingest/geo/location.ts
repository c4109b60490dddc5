/**
 * Where a visitor is, as stored with each event: what a MaxMind-DB record says, reduced to three
 * columns. Two record layouts are in use among the databases an operator can get for free, so
 * both are read: MaxMind's GeoLite2 and DB-IP's own Lite files nest names by language
 * (`country.iso_code`, `subdivisions[0].names.en`, `city.names.en`); the ip-location-db packages
 * (the country database shipped with Mythic is one) store flat fields (`country_code`, `state1`, `city`).
 */

export interface Location {
  /** ISO 3166-1 alpha-2, upper case. */
  country: string | null;
  /** The first-level subdivision's English name (a state, a Land, a prefecture). */
  region: string | null;
  /** The city's English name. */
  city: string | null;
}

export const NO_LOCATION: Location = Object.freeze({ country: null, region: null, city: null });

/** ZZ is the code databases use for "unknown"; it is not a place, so it is not stored. */
const COUNTRY_CODE = /^[A-Z]{2}$/;
/** Longer than any real place name; a longer value is a malformed database, not a name. */
const MAX_NAME_LENGTH = 200;

const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;

const englishName = (value: unknown): unknown => field(field(value, 'names'), 'en');

function name(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' || trimmed.length > MAX_NAME_LENGTH ? null : trimmed;
}

function countryCode(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const code = value.trim().toUpperCase();
  return COUNTRY_CODE.test(code) && code !== 'ZZ' ? code : null;
}

/**
 * The location a database record gives, in either layout; nulls for what it does not say. Region
 * and city are kept only with a country: a name without its country cannot be placed (and would
 * mix with another country's place of the same name).
 */
export function locationOfRecord(record: unknown): Location {
  const subdivisions = field(record, 'subdivisions');
  const country = countryCode(field(field(record, 'country'), 'iso_code')) ?? countryCode(field(record, 'country_code'));
  if (country === null) return NO_LOCATION;
  const region = name(englishName(Array.isArray(subdivisions) ? subdivisions[0] : undefined)) ?? name(field(record, 'state1'));
  const cityField = field(record, 'city');
  const city = name(englishName(cityField)) ?? name(cityField);
  return { country, region, city };
}
