import { ConfigError, SETTINGS, type Config } from '../../config.js';
import type { GeoLookup } from './geoLookup.js';
import { GeoDatabaseUnusable, openGeoLookup, shippedGeoLookup } from './openGeoLookup.js';

/**
 * The location database a command runs with: MYTHIC_GEOIP_DB's file, or the shipped country
 * database. A file that passed the configuration check but cannot be read as a MaxMind DB is a
 * configuration error too (exit code 2), named by its setting.
 */
export function openConfiguredGeoLookup(config: Pick<Config, 'geoipDb'>): GeoLookup {
  if (config.geoipDb === undefined) return shippedGeoLookup();
  try {
    return openGeoLookup(config.geoipDb);
  } catch (error) {
    if (error instanceof GeoDatabaseUnusable) throw new ConfigError(`${SETTINGS.geoipDb.env} / --${SETTINGS.geoipDb.flag}: ${error.message}`);
    throw error;
  }
}

/** The start-up line that says which database answers (type and build date, from its metadata). */
export function describeGeoLookup(geo: GeoLookup, config: Pick<Config, 'geoipDb'>): string {
  const { type, built, file } = geo.info;
  const what = config.geoipDb === undefined ? 'the shipped DB-IP Lite country database (CC BY 4.0, IP Geolocation by DB-IP, https://db-ip.com)' : file;
  return `Locations: ${type} built ${built}, from ${what}`;
}
