import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeCityFixture } from './helpers/geoFixtures.js';
import { assertCleanExit, runCli, startServer, stopAllServers } from './helpers/server.js';

/**
 * The location database as a started server sees it: which one answers is said once at start,
 * and a MYTHIC_GEOIP_DB that cannot be used stops the start as any other configuration mistake does
 * (one line, exit code 2, nothing created).
 */

const ADMIN_KEY = 'mk_geo_cli_test_5e1f0c9a7b3d2e4f6a8b0c1d';
const root = mkdtempSync(join(tmpdir(), 'mythic-geo-cli-'));
let dirs = 0;
const newDataDir = (): string => join(root, `data-${(dirs += 1)}`);
const fixture = writeCityFixture('geolite2');

after(async () => {
  await stopAllServers();
  fixture.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('the location database at start', () => {
  it('says which database answers: the shipped one by default, else MYTHIC_GEOIP_DB’s with its type and build date', async () => {
    const shipped = await startServer({ dataDir: newDataDir(), adminKey: ADMIN_KEY, args: ['--port', '0'] });
    assert.match(shipped.stdout(), /^Locations: country ipvAll built \d{4}-\d{2}-\d{2}, from the shipped DB-IP Lite country database \(CC BY 4\.0, IP Geolocation by DB-IP, https:\/\/db-ip\.com\)$/m);
    shipped.kill('SIGTERM');
    assertCleanExit(await shipped.waitForExit());
    const city = await startServer({ dataDir: newDataDir(), adminKey: ADMIN_KEY, args: ['--port', '0'], env: { MYTHIC_GEOIP_DB: fixture.file } });
    assert.ok(city.stdout().includes(`\nLocations: GeoLite2-City built 2026-05-01, from ${fixture.file}\n`), city.stdout());
    city.kill('SIGTERM');
    assertCleanExit(await city.waitForExit());
  });

  const broken = join(root, 'broken.mmdb');
  writeFileSync(broken, Buffer.concat([Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'), Buffer.from([0xff, 0xff])]));
  for (const c of [
    { title: 'a missing file', env: { MYTHIC_GEOIP_DB: join(root, 'GeoLite2-City.mmdb') }, mentions: ['MYTHIC_GEOIP_DB', 'does not exist'] },
    { title: 'a directory, by flag', args: ['--geoip-db', root], mentions: ['--geoip-db', 'is not a file'] },
    { title: 'a file that only looks like a database', env: { MYTHIC_GEOIP_DB: broken }, mentions: ['MYTHIC_GEOIP_DB', 'not a usable MaxMind DB'] },
  ]) {
    it(`refuses ${c.title} with one line and exit code 2, creating nothing`, async () => {
      const dataDir = newDataDir();
      const exit = await runCli('serve', { dataDir, adminKey: ADMIN_KEY, env: c.env, args: c.args });
      assert.equal(exit.code, 2, exit.stderr);
      const lines = exit.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, exit.stderr);
      assert.match(lines[0] ?? '', /^mythic: /);
      for (const mention of c.mentions) assert.ok(lines[0]?.includes(mention), `'${lines[0]}' mentions ${mention}`);
      assert.equal(exit.stdout, '');
      assert.ok(!existsSync(dataDir), 'nothing was created in the data dir');
    });
  }
});
