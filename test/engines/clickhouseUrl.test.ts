import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeLocation, parseClickHouseUrl } from '../../src/engines/clickhouse/url.js';

it('reads a server URL: credentials, database from the path, optional cluster', () => {
  assert.deepEqual(parseClickHouseUrl('https://mythic:s%40cret@ch.internal:8443/analytics', { cluster: 'main' }), {
    kind: 'http',
    url: 'https://ch.internal:8443',
    username: 'mythic',
    password: 's@cret',
    database: 'analytics',
    cluster: 'main',
  });
  assert.deepEqual(parseClickHouseUrl('http://ch:8123'), { kind: 'http', url: 'http://ch:8123', username: 'default', password: '', database: 'mythic' });
});

it('reads a chdb URL with an optional database', () => {
  assert.deepEqual(parseClickHouseUrl('chdb:data/ch'), { kind: 'chdb', dir: 'data/ch', database: 'mythic' });
  assert.deepEqual(parseClickHouseUrl('chdb:/var/lib/m?database=t_1'), { kind: 'chdb', dir: '/var/lib/m', database: 't_1' });
});

it('refuses anything else with a clear message that never repeats the password', () => {
  const cases: [string, RegExp, { cluster?: string }?][] = [
    ['postgres://u:hunter2@h/db', /must be http\(s\):\/\/user:password@host:8123\/database or chdb:<dir>, not postgres:/],
    ['not a url hunter2', /is not a URL; use http\(s\):\/\//],
    ['http://u:hunter2@h:8123/bad-name', /must name one database/],
    ['http://u:hunter2@h:8123/db?x=1', /must not carry a \?query/],
    ['chdb:', /needs the directory/],
    ['chdb:dir?db=x', /only \?database/],
    ['chdb:dir?database=1x', /only \?database=<name>/],
    ['chdb:dir', /has no cluster name/, { cluster: 'c' }],
    ['http://u:hunter2@h:8123/db', /cluster name/, { cluster: 'a;DROP' }],
    ['chdb:   ', /needs the directory/],
    ['http://u:hunter2@h:8123/db', /cluster name/, { cluster: 'c'.repeat(64) }],
  ];
  for (const [text, message, options] of cases) {
    assert.throws(() => parseClickHouseUrl(text, options), (error: Error) => message.test(error.message) && !error.message.includes('hunter2'), text);
  }
});

it('describes a location without its password', () => {
  const text = describeLocation(parseClickHouseUrl('https://mythic:hunter2@ch:8443/analytics', { cluster: 'main' }));
  assert.equal(text, 'clickhouse at https://ch:8443 as mythic, database analytics, cluster main');
  assert.equal(describeLocation(parseClickHouseUrl('chdb:data/ch?database=x')), 'clickhouse (chdb) at data/ch, database x');
});
