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
    ['postgres://u:hunter2@h/db', /must start with http:\/\/, https:\/\/ or chdb:/],
    ['not a url hunter2', /must be http\(s\):\/\/user:password@host:port\/database or chdb:<dir>/],
    ['http://u:hunter2@h:8123/bad-name', /database name/],
    ['http://u:hunter2@h:8123/db?x=1', /no \?query/],
    ['chdb:', /needs a directory/],
    ['chdb:dir?db=x', /only \?database/],
    ['chdb:dir?database=1x', /database name/],
    ['chdb:dir', /cluster name needs a ClickHouse server/, { cluster: 'c' }],
    ['http://u:hunter2@h:8123/db', /cluster name/, { cluster: 'a;DROP' }],
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
