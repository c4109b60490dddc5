import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeMmdb, type MmdbNetwork } from './mmdbWriter.js';

/**
 * City databases for tests, written by test/helpers/mmdbWriter.ts in the two layouts Mythic reads:
 * GeoLite2's / DB-IP Lite City's nested records, and ip-location-db's flat ones. The networks are
 * real public ones with made-up-but-plausible answers, so the shipped country database and these
 * can be told apart (8.8.8.8 is US in the shipped one and unknown to these).
 */

/** Addresses the fixtures answer, and what they answer. */
export const CITY_FIXTURE = {
  london: { ip: '81.2.69.142', country: 'GB', region: 'England', city: 'London' },
  linkoping: { ip: '89.160.20.112', country: 'SE', region: 'Östergötland County', city: 'Linköping' },
  /** Known to the database by country only: region and city stay null. */
  countryOnly: { ip: '175.16.199.1', country: 'CN', region: null, city: null },
  ipv6: { ip: '2a02:c7f:1234::1', country: 'GB', region: 'Scotland', city: 'Edinburgh' },
  /** A private network the database (wrongly) places: Mythic must not believe it. */
  privateListed: { ip: '10.1.2.3' },
} as const;

const nested = (country: string, region: string | null, city: string | null) => ({
  continent: { code: 'EU', names: { en: 'Europe', de: 'Europa' } },
  country: { iso_code: country, geoname_id: 1, names: { en: `Country ${country}` } },
  ...(region === null ? {} : { subdivisions: [{ iso_code: 'X', names: { en: region, de: `${region} (de)` } }] }),
  ...(city === null ? {} : { city: { geoname_id: 2, names: { en: city, fr: `${city} (fr)` } } }),
  location: { latitude: 51.5, longitude: -0.09, accuracy_radius: 100 },
});

const flat = (country: string, region: string | null, city: string | null) => ({
  country_code: country,
  ...(region === null ? {} : { state1: region }),
  ...(city === null ? {} : { city }),
  latitude: 51.5,
  longitude: -0.09,
});

export type CityLayout = 'geolite2' | 'flat';

export function cityNetworks(layout: CityLayout): MmdbNetwork[] {
  const record = layout === 'geolite2' ? nested : flat;
  const f = CITY_FIXTURE;
  return [
    { cidr: '81.2.69.0/24', data: record(f.london.country, f.london.region, f.london.city) },
    { cidr: '89.160.20.0/24', data: record(f.linkoping.country, f.linkoping.region, f.linkoping.city) },
    { cidr: '175.16.0.0/16', data: record(f.countryOnly.country, null, null) },
    { cidr: '2a02:c7f::/32', data: record(f.ipv6.country, f.ipv6.region, f.ipv6.city) },
    { cidr: '10.0.0.0/8', data: record('US', 'California', 'Nowhere') },
  ];
}

/** 2026-05-01T00:00:00Z: the build date the start-up line must show. */
export const FIXTURE_BUILD_EPOCH = Date.parse('2026-05-01T00:00:00Z') / 1000;

/** Writes a City fixture to a temporary file; `dispose` removes it. */
export function writeCityFixture(layout: CityLayout): { file: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mythic-geo-'));
  const file = join(dir, `${layout}-city.mmdb`);
  const databaseType = layout === 'geolite2' ? 'GeoLite2-City' : 'dbip-city-flat';
  writeFileSync(file, writeMmdb(cityNetworks(layout), { databaseType, buildEpoch: FIXTURE_BUILD_EPOCH }));
  return { file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
