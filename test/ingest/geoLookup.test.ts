import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { describeGeoLookup, openConfiguredGeoLookup } from '../../src/ingest/geo/configuredGeoLookup.js';
import { GeoLookup } from '../../src/ingest/geo/geoLookup.js';
import { locationOfRecord } from '../../src/ingest/geo/location.js';
import { GeoDatabaseUnusable, openGeoLookup, shippedCountryDatabase, shippedGeoLookup } from '../../src/ingest/geo/openGeoLookup.js';
import { CITY_FIXTURE, writeCityFixture } from '../helpers/geoFixtures.js';
import { writeMmdb } from '../helpers/mmdbWriter.js';

/**
 * The location lookup against real MaxMind DB files: the shipped DB-IP Lite country database
 * (its answers for these addresses were checked once against the file: they are stable
 * allocations of Google, Deutsche Telekom, SoftBank and KDDI), and City databases written by the
 * test MMDB writer in both record layouts.
 */

const place = (country: string | null, region: string | null = null, city: string | null = null) => ({ country, region, city });

describe('the shipped country database', () => {
  const geo = shippedGeoLookup();

  it('is found through the package, not a fixed path, and says what it is', () => {
    assert.match(shippedCountryDatabase(), /@ip-location-db[\\/]dbip-country-mmdb[\\/]dbip-country\.mmdb$/);
    assert.equal(geo.info.type, 'country ipvAll');
    assert.match(geo.info.built, /^\d{4}-\d{2}-\d{2}$/);
    assert.match(describeGeoLookup(geo, {}), /^Locations: country ipvAll built \d{4}-\d{2}-\d{2}, from the shipped DB-IP Lite country database \(CC BY 4\.0, IP Geolocation by DB-IP, https:\/\/db-ip\.com\)$/);
  });

  it('answers the country of public IPv4 and IPv6 addresses', () => {
    assert.deepEqual(geo.locate('8.8.8.8'), place('US'));
    assert.deepEqual(geo.locate('80.128.0.1'), place('DE'));
    assert.deepEqual(geo.locate('126.0.0.1'), place('JP'));
    assert.deepEqual(geo.locate('2a00:1450:4001::1'), place('DE'));
    assert.deepEqual(geo.locate('2001:268:c000::1'), place('JP'));
    assert.deepEqual(geo.locate('::ffff:8.8.8.8'), place('US'), 'IPv4-mapped');
    assert.deepEqual(geo.locate('8.8.8.8'), place('US'), 'the same from the cache');
  });

  it('answers nothing for private, loopback, link-local, reserved and malformed addresses', () => {
    for (const ip of ['10.0.0.1', '172.16.5.4', '192.168.1.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '192.0.2.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '2001:db8::1', 'not an address', '', '999.1.1.1', '1.2.3']) {
      assert.deepEqual(geo.locate(ip), place(null), ip);
    }
  });

  it('answers 6to4 and Teredo addresses as the IPv4 address they carry, not as the tunnel prefix (one US record)', () => {
    // 6to4 (2002::/16): bits 16–47 are the IPv4 address.
    assert.deepEqual(geo.locate('2002:7e00:1::1'), place('JP'), '6to4 of 126.0.0.1');
    assert.deepEqual(geo.locate('2002:c0a8:101::1'), place(null), '6to4 of 192.168.1.1');
    // Teredo (2001::/32): the client's address, inverted, in the last 32 bits.
    assert.deepEqual(geo.locate('2001:0:4136:e378:8000:63bf:3fff:fdd2'), place(null), 'RFC 4380 example: client 192.0.2.45, documentation');
    assert.deepEqual(geo.locate('2001:0:4136:e378:8000:63bf:81ff:fffe'), place('JP'), 'client 126.0.0.1');
    assert.deepEqual(geo.locate('2001:0000:4136:e378:8000:63bf:f7f7:f7f7'), place('US'), 'client 8.8.8.8, uncompressed');
  });

  it('answers nothing for the IETF protocol ranges of 2001::/23 that the database places somewhere', () => {
    for (const ip of ['2001:2::1', '2001:10::1', '2001:20::1', '2001:1::1', '2001:30::1']) {
      assert.deepEqual(geo.locate(ip), place(null), ip);
    }
    assert.deepEqual(geo.locate('2001:200::1'), place('JP'), 'the first regional allocation, just past the reserved block');
  });

  it('unmaps IPv4-mapped IPv6 in every spelling', () => {
    for (const ip of ['::ffff:808:808', '0:0:0:0:0:ffff:8.8.8.8', '0:0:0:0:0:FFFF:0808:0808']) {
      assert.deepEqual(geo.locate(ip), place('US'), ip);
    }
    assert.deepEqual(geo.locate('::ffff:c0a8:101'), place(null), '192.168.1.1');
  });
});

describe('City databases (MYTHIC_GEOIP_DB)', () => {
  for (const layout of ['geolite2', 'flat'] as const) {
    it(`read country, region and city from the ${layout} layout`, () => {
      const fixture = writeCityFixture(layout);
      try {
        const geo = openGeoLookup(fixture.file);
        for (const expected of [CITY_FIXTURE.london, CITY_FIXTURE.linkoping, CITY_FIXTURE.countryOnly, CITY_FIXTURE.ipv6]) {
          assert.deepEqual(geo.locate(expected.ip), place(expected.country, expected.region, expected.city), expected.ip);
        }
        assert.deepEqual(geo.locate(CITY_FIXTURE.privateListed.ip), place(null), 'a listed private network is still unknown');
        assert.deepEqual(geo.locate('8.8.8.8'), place(null), 'not in this database');
        assert.equal(geo.info.built, '2026-05-01');
        assert.equal(geo.info.file, fixture.file);
      } finally {
        fixture.dispose();
      }
    });
  }

  it('answers nothing for IPv6 from an IPv4-only database', () => {
    const bytes = writeMmdb([{ cidr: '8.8.8.0/24', data: { country_code: 'US' } }, { cidr: '42.0.0.0/8', data: { country_code: 'KR' } }], {
      databaseType: 'v4',
      buildEpoch: 0,
      ipVersion: 4,
    });
    const geo = new GeoLookup(bytes, 'v4.mmdb');
    assert.equal(geo.info.built, '1970-01-01');
    assert.deepEqual(geo.locate('8.8.8.8'), place('US'));
    assert.deepEqual(geo.locate('42.1.2.3'), place('KR'));
    // 2a00:… starts with bits 0010 1010, the same as 42.x.x.x: read as IPv4 it would say KR.
    assert.deepEqual(geo.locate('2a00:1450:4001::1'), place(null));
    assert.deepEqual(geo.locate('2002:2a01:203::1'), place('KR'), '6to4 of 42.1.2.3 is answered as IPv4');
  });
});

describe('locationOfRecord', () => {
  it('keeps only ISO alpha-2 countries, and places only with a country', () => {
    assert.deepEqual(locationOfRecord({ country_code: 'de', state1: ' Bavaria ', city: 'Munich' }), place('DE', 'Bavaria', 'Munich'));
    assert.deepEqual(locationOfRecord({ country_code: 'ZZ', city: 'Nowhere' }), place(null));
    assert.deepEqual(locationOfRecord({ country_code: 'USA' }), place(null));
    assert.deepEqual(locationOfRecord({ registered_country: { iso_code: 'US' } }), place(null), 'where the network is registered is not where the visitor is');
    assert.deepEqual(locationOfRecord({ city: { names: { en: 'Paris' } } }), place(null));
    assert.deepEqual(locationOfRecord({ country: { iso_code: 'FR' }, subdivisions: [], city: { names: { fr: 'Paris' } } }), place('FR'), 'no English name: none');
    assert.deepEqual(locationOfRecord({ country: { iso_code: 'FR' }, city: { names: { en: 'x'.repeat(201) } } }), place('FR'));
    for (const record of [null, undefined, 'US', 42, [], { country: 'US' }]) assert.deepEqual(locationOfRecord(record), place(null), JSON.stringify(record));
  });
});

describe('MYTHIC_GEOIP_DB', () => {
  let dir: string;
  let fixture: ReturnType<typeof writeCityFixture>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mythic-geoip-config-'));
    fixture = writeCityFixture('geolite2');
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    fixture.dispose();
  });

  /** Asserts a one-line ConfigError naming the setting and `also`. */
  function refused(argv: string[], env: NodeJS.ProcessEnv, setting: string, also: string): void {
    assert.throws(
      () => loadConfig(argv, env),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.ok(error.message.startsWith(setting), error.message);
        assert.ok(error.message.includes(also), error.message);
        assert.ok(!error.message.includes('\n'), 'one line');
        return true;
      },
    );
  }

  it('takes a City database from the environment or --geoip-db (the flag wins), and leaves it unset by default', () => {
    assert.equal(loadConfig([], {}).geoipDb, undefined);
    assert.equal(loadConfig([], { MYTHIC_GEOIP_DB: fixture.file }).geoipDb, fixture.file);
    assert.equal(loadConfig(['--geoip-db', fixture.file], { MYTHIC_GEOIP_DB: join(dir, 'absent.mmdb') }).geoipDb, fixture.file);
    const geo = openConfiguredGeoLookup({ geoipDb: fixture.file });
    assert.deepEqual(geo.locate(CITY_FIXTURE.london.ip), place('GB', 'England', 'London'));
    assert.equal(describeGeoLookup(geo, { geoipDb: fixture.file }), `Locations: GeoLite2-City built 2026-05-01, from ${fixture.file}`);
  });

  it('refuses a missing file, a directory, a file that is not a MaxMind DB and a gzipped one', () => {
    refused([], { MYTHIC_GEOIP_DB: join(dir, 'GeoLite2-City.mmdb') }, 'MYTHIC_GEOIP_DB', 'does not exist');
    refused(['--geoip-db', dir], {}, '--geoip-db', 'is not a file');
    // A Country file works (countries only): the message asks for a MaxMind DB, not for a City one.
    refused(['--geoip-db', dir], {}, '--geoip-db', 'must be a MaxMind DB (.mmdb) file, a City one for region and city');
    assert.equal(loadConfig([], { MYTHIC_GEOIP_DB: shippedCountryDatabase() }).geoipDb, shippedCountryDatabase());
    const text = join(dir, 'city.csv');
    writeFileSync(text, 'network,country\n8.8.8.0/24,US\n');
    refused([], { MYTHIC_GEOIP_DB: text }, 'MYTHIC_GEOIP_DB', 'is not a MaxMind DB (.mmdb) file');
    const empty = join(dir, 'empty.mmdb');
    writeFileSync(empty, '');
    refused([], { MYTHIC_GEOIP_DB: empty }, 'MYTHIC_GEOIP_DB', 'is not a MaxMind DB');
    const gzipped = join(dir, 'GeoLite2-City.mmdb.gz');
    writeFileSync(gzipped, gzipSync(readFileSync(fixture.file)));
    refused([], { MYTHIC_GEOIP_DB: gzipped }, 'MYTHIC_GEOIP_DB', 'gzip');
  });

  it('refuses, as a configuration error, a file whose metadata marker is there but whose contents are not a database', () => {
    const broken = join(dir, 'broken.mmdb');
    writeFileSync(broken, Buffer.concat([Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'), Buffer.from([0xff, 0xff])]));
    assert.equal(loadConfig([], { MYTHIC_GEOIP_DB: broken }).geoipDb, broken, 'the cheap check passes');
    assert.throws(() => openGeoLookup(broken), GeoDatabaseUnusable);
    assert.throws(
      () => openConfiguredGeoLookup({ geoipDb: broken }),
      (error: unknown) => error instanceof ConfigError && error.message.startsWith('MYTHIC_GEOIP_DB / --geoip-db: ') && error.message.includes('not a usable MaxMind DB'),
    );
  });
});
