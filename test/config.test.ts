import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { ConfigError, loadConfig, MIN_ADMIN_KEY_LENGTH, redactClickhouseUrl, type Config } from '../src/config.js';

const GOOD_KEY = 'mk_0123456789abcdef0123456789abcdef';
const PG_URL = 'postgres://mythic:pw@db.internal:5432/mythic';

/** Asserts that loading fails with a ConfigError whose message names `setting` (and includes `also`). */
function assertRejected(argv: string[], env: NodeJS.ProcessEnv, setting: string, ...also: string[]): string {
  let message = '';
  assert.throws(
    () => loadConfig(argv, env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `a ConfigError, not ${String(error)}`);
      message = error.message;
      return true;
    },
  );
  assert.ok(message.startsWith(setting), `'${message}' starts with ${setting}`);
  for (const part of also) assert.ok(message.includes(part), `'${message}' includes ${part}`);
  assert.ok(!message.includes('\n'), 'one line');
  return message;
}

describe('loadConfig', () => {
  it('reads the outbound allow list and refuses an entry that is no address, range or host name', () => {
    assert.deepEqual(loadConfig([], { MYTHIC_OUTBOUND_ALLOW: ' 127.0.0.1/32, ::1/128 ,hooks.internal' }).outboundAllow, ['127.0.0.1/32', '::1/128', 'hooks.internal']);
    assert.deepEqual(loadConfig(['--outbound-allow', '10.0.0.0/8'], {}).outboundAllow, ['10.0.0.0/8']);
    assertRejected([], { MYTHIC_OUTBOUND_ALLOW: '10.0.0.0/40' }, 'MYTHIC_OUTBOUND_ALLOW', '10.0.0.0/40');
  });

  it('applies the defaults when nothing is set', () => {
    const expected: Config = {
      port: 8080,
      host: '127.0.0.1',
      dataDir: './data',
      adminKey: undefined,
      databaseUrl: undefined,
      logLevel: 'info',
      rateLimitPerIp: 200,
      rateLimitPerKey: 2000,
      trustProxy: false,
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 5_000,
      publicUrl: undefined,
      metaCacheTtlMs: 1_000,
    };
    assert.deepEqual(loadConfig([], {}), expected);
  });

  it('reads every setting from the environment', () => {
    const config = loadConfig([], {
      PORT: '9090',
      HOST: '0.0.0.0',
      MYTHIC_DATA_DIR: '/var/lib/mythic',
      MYTHIC_ADMIN_KEY: GOOD_KEY,
      MYTHIC_DATABASE_URL: PG_URL,
      MYTHIC_LOG_LEVEL: 'warn',
      MYTHIC_RATE_LIMIT_PER_IP: '0',
      MYTHIC_RATE_LIMIT_PER_KEY: '12.5',
      MYTHIC_TRUST_PROXY: '10.0.0.0/8, ::1',
      MYTHIC_REQUEST_TIMEOUT: '60',
      MYTHIC_HEADERS_TIMEOUT: '2.5',
      MYTHIC_KEEP_ALIVE_TIMEOUT: '75',
      MYTHIC_PUBLIC_URL: 'https://Analytics.Example.com:8443/',
      MYTHIC_META_CACHE_TTL: '2.5',
    });
    assert.deepEqual(config, {
      port: 9090,
      host: '0.0.0.0',
      dataDir: '/var/lib/mythic',
      adminKey: GOOD_KEY,
      databaseUrl: PG_URL,
      logLevel: 'warn',
      rateLimitPerIp: 0,
      rateLimitPerKey: 12.5,
      trustProxy: ['10.0.0.0/8', '::1'],
      requestTimeoutMs: 60_000,
      headersTimeoutMs: 2_500,
      keepAliveTimeoutMs: 75_000,
      publicUrl: 'https://analytics.example.com:8443',
      metaCacheTtlMs: 2_500,
    });
  });

  it('treats empty environment variables as unset', () => {
    const config = loadConfig([], { PORT: '', HOST: '', MYTHIC_DATA_DIR: '', MYTHIC_ADMIN_KEY: '', MYTHIC_DATABASE_URL: '', MYTHIC_LOG_LEVEL: '' });
    assert.deepEqual(config, loadConfig([], {}));
  });

  it('lets every flag win over its environment variable, in both --flag value and --flag=value forms', () => {
    const env = {
      PORT: '9090',
      HOST: '0.0.0.0',
      MYTHIC_DATA_DIR: '/env/dir',
      MYTHIC_ADMIN_KEY: `${GOOD_KEY}_env`,
      MYTHIC_DATABASE_URL: 'postgres://env/db',
      MYTHIC_LOG_LEVEL: 'warn',
      MYTHIC_TRUST_PROXY: 'true',
      MYTHIC_REQUEST_TIMEOUT: '60',
      MYTHIC_HEADERS_TIMEOUT: '20',
      MYTHIC_KEEP_ALIVE_TIMEOUT: '75',
      MYTHIC_PUBLIC_URL: 'https://env.example',
      MYTHIC_META_CACHE_TTL: '9',
    };
    const config = loadConfig(
      [
        ...['--port', '7070', '--host=::1', '--data-dir', '/flag/dir', `--admin-key=${GOOD_KEY}`, '--database-url', PG_URL, '--log-level', 'debug'],
        ...['--trust-proxy', 'false', '--request-timeout', '3', '--headers-timeout=1', '--keep-alive-timeout', '0.5', '--public-url', 'http://[::1]:8080', '--meta-cache-ttl', '0'],
      ],
      env,
    );
    assert.deepEqual(config, {
      port: 7070,
      host: '::1',
      dataDir: '/flag/dir',
      adminKey: GOOD_KEY,
      databaseUrl: PG_URL,
      logLevel: 'debug',
      rateLimitPerIp: 200,
      rateLimitPerKey: 2000,
      trustProxy: false,
      requestTimeoutMs: 3_000,
      headersTimeoutMs: 1_000,
      keepAliveTimeoutMs: 500,
      publicUrl: 'http://[::1]:8080',
      metaCacheTtlMs: 0,
    });
  });

  it('lets a valid flag stand in for an invalid environment value', () => {
    const config = loadConfig(['--port', '0', '--log-level', 'silent', '--admin-key', GOOD_KEY, '--database-url', PG_URL], {
      PORT: 'abc',
      MYTHIC_LOG_LEVEL: 'loud',
      MYTHIC_ADMIN_KEY: 'short',
      MYTHIC_DATABASE_URL: 'mysql://x',
    });
    assert.equal(config.port, 0);
    assert.equal(config.logLevel, 'silent');
    assert.equal(config.adminKey, GOOD_KEY);
    assert.equal(config.databaseUrl, PG_URL);
  });

  it('takes MYTHIC_PUBLIC_URL only as an http(s) origin, naming the setting and the value', () => {
    assert.equal(loadConfig([], { MYTHIC_PUBLIC_URL: 'http://127.0.0.1:8080' }).publicUrl, 'http://127.0.0.1:8080');
    assert.equal(loadConfig([], { MYTHIC_PUBLIC_URL: 'https://bücher.example' }).publicUrl, 'https://xn--bcher-kva.example');
    for (const bad of ['analytics.example.com', 'ftp://example.com', 'https://example.com/mythic', 'https://u:p@example.com', 'https://example.com/?a=1', 'https://example.com/#x', 'https://example.com?', 'http://', 'javascript:alert(1)']) {
      assertRejected([], { MYTHIC_PUBLIC_URL: bad }, 'MYTHIC_PUBLIC_URL', `'${bad}'`, 'origin');
    }
    assertRejected(['--public-url', 'example.com'], {}, '--public-url', "'example.com'");
  });

  it('accepts ports 0 to 65535', () => {
    for (const port of ['0', '1', '80', '65535']) assert.equal(loadConfig([], { PORT: port }).port, Number(port));
  });

  it('rejects a port that is not a whole number from 0 to 65535, naming the setting and the value', () => {
    for (const bad of ['abc', '70000', '65536', '-1', '1.5', '8080x', '0x50', '1e3', ' ']) {
      assertRejected([], { PORT: bad }, 'PORT', `'${bad}'`, '0 to 65535');
    }
    assertRejected(['--port', 'abc'], {}, '--port', "'abc'");
    assertRejected(['--port='], { PORT: '8080' }, '--port');
  });

  it('rejects an empty host or data dir', () => {
    assertRejected([], { HOST: '   ' }, 'HOST', 'empty');
    assertRejected(['--host', ''], {}, '--host', 'empty');
    assertRejected([], { MYTHIC_DATA_DIR: ' ' }, 'MYTHIC_DATA_DIR', 'empty');
    assertRejected(['--data-dir='], {}, '--data-dir', 'empty');
  });

  it(`requires an admin key of at least ${MIN_ADMIN_KEY_LENGTH} characters without spaces, and never echoes it`, () => {
    const exactly = 'k'.repeat(MIN_ADMIN_KEY_LENGTH);
    assert.equal(loadConfig([], { MYTHIC_ADMIN_KEY: exactly }).adminKey, exactly);
    for (const bad of ['short', 'k'.repeat(MIN_ADMIN_KEY_LENGTH - 1), `${'k'.repeat(MIN_ADMIN_KEY_LENGTH)} spaced`, `${GOOD_KEY}\n`]) {
      const message = assertRejected([], { MYTHIC_ADMIN_KEY: bad }, 'MYTHIC_ADMIN_KEY', String(MIN_ADMIN_KEY_LENGTH));
      assert.ok(!message.includes(bad.trim()), 'the rejected key is not echoed');
    }
    assertRejected(['--admin-key', 'short'], {}, '--admin-key', String(MIN_ADMIN_KEY_LENGTH));
  });

  it('accepts postgres:// and postgresql:// database URLs and rejects anything else', () => {
    assert.equal(loadConfig([], { MYTHIC_DATABASE_URL: PG_URL }).databaseUrl, PG_URL);
    assert.equal(loadConfig([], { MYTHIC_DATABASE_URL: 'postgresql://localhost/mythic' }).databaseUrl, 'postgresql://localhost/mythic');
    assertRejected([], { MYTHIC_DATABASE_URL: 'mysql://x' }, 'MYTHIC_DATABASE_URL', 'postgres://', 'mysql:');
    assertRejected([], { MYTHIC_DATABASE_URL: 'sqlite:///tmp/x.db' }, 'MYTHIC_DATABASE_URL', 'sqlite:');
    assertRejected([], { MYTHIC_DATABASE_URL: 'not a url' }, 'MYTHIC_DATABASE_URL', 'not a URL');
    assertRejected(['--database-url', 'mysql://x'], {}, '--database-url', 'postgres://');
  });

  it('takes MYTHIC_CLICKHOUSE_URL as an http(s) server URL with an optional database, or chdb:<dir>', () => {
    const server = 'https://mythic:s3cret@ch.internal:8443/analytics';
    assert.equal(loadConfig([], { MYTHIC_CLICKHOUSE_URL: server }).clickhouseUrl, server);
    assert.equal(loadConfig([], { MYTHIC_CLICKHOUSE_URL: 'http://127.0.0.1:8123' }).clickhouseUrl, 'http://127.0.0.1:8123');
    assert.equal(loadConfig([], { MYTHIC_CLICKHOUSE_URL: 'chdb:./data/clickhouse' }).clickhouseUrl, 'chdb:./data/clickhouse');
    assert.equal(loadConfig([], { MYTHIC_CLICKHOUSE_URL: 'chdb:./ch?database=events_1' }).clickhouseUrl, 'chdb:./ch?database=events_1');
    assert.equal(loadConfig(['--clickhouse-url', 'chdb:/var/lib/ch'], { MYTHIC_CLICKHOUSE_URL: 'mysql://x' }).clickhouseUrl, 'chdb:/var/lib/ch');
    const unset = loadConfig([], { MYTHIC_CLICKHOUSE_URL: '', MYTHIC_CLICKHOUSE_CLUSTER: '' });
    assert.ok(!('clickhouseUrl' in unset) && !('clickhouseCluster' in unset), 'DuckDB configurations carry no ClickHouse keys');
  });

  it('rejects a malformed ClickHouse URL in one line that never shows its password', () => {
    const cases: Array<{ bad: string; also: string[] }> = [
      { bad: 'tcp://u:pw-tcp@ch:9000/db', also: ['http(s)://', 'tcp:'] },
      { bad: 'clickhouse://u:pw-native@ch/db', also: ['clickhouse:'] },
      { bad: 'u:pw-nourl@ch:8123', also: [] },
      { bad: 'not a url pw-plain', also: ['not a URL'] },
      { bad: 'http://u:pw-path@ch:8123/a/b', also: ['one database', 'http://u:***@ch:8123/a/b'] },
      { bad: 'http://u:pw-dash@ch:8123/my-db', also: ['one database'] },
      { bad: 'http://u:pw-query@ch:8123/db?async_insert=1', also: ['query', 'u:***@'] },
      { bad: 'http://u:pw-hash@ch:8123/db#x', also: ['fragment'] },
      { bad: 'chdb:', also: ['directory'] },
      { bad: 'chdb:   ', also: ['directory'] },
      // What the engine would refuse only when it opens (exit code 1, not 2): refused here.
      { bad: `http://u:pw-long@ch:8123/${'d'.repeat(64)}`, also: ['one database', 'at most 63'] },
      { bad: 'chdb:./ch?database=my-db', also: ['?database=<name>', 'my-db'] },
      { bad: 'chdb:./ch?db=events', also: ['?database=<name>'] },
      { bad: 'chdb:./ch?database=', also: ['?database=<name>'] },
    ];
    for (const { bad, also } of cases) {
      const message = assertRejected([], { MYTHIC_CLICKHOUSE_URL: bad }, 'MYTHIC_CLICKHOUSE_URL', ...also);
      const password = /pw-[a-z]+/.exec(bad)?.[0];
      if (password !== undefined) assert.ok(!message.includes(password), `'${message}' hides the password`);
    }
    assertRejected(['--clickhouse-url', 'ftp://x'], {}, '--clickhouse-url', 'ftp:');
  });

  it('shows a ClickHouse URL with its password replaced, and nothing of a value that is not a URL', () => {
    assert.equal(redactClickhouseUrl('https://mythic:s3cret@ch:8443/db'), 'https://mythic:***@ch:8443/db');
    assert.equal(redactClickhouseUrl('http://mythic@ch:8123/db'), 'http://mythic@ch:8123/db');
    assert.equal(redactClickhouseUrl('chdb:/var/lib/ch'), 'chdb:/var/lib/ch');
    assert.ok(!redactClickhouseUrl('mythic:s3cret@ch').includes('s3cret'));
  });

  it('takes MYTHIC_CLICKHOUSE_CLUSTER only as a cluster name, and only with a ClickHouse server URL', () => {
    const url = 'http://u:p@ch:8123/mythic';
    assert.equal(loadConfig([], { MYTHIC_CLICKHOUSE_URL: url, MYTHIC_CLICKHOUSE_CLUSTER: 'analytics_1' }).clickhouseCluster, 'analytics_1');
    assert.equal(loadConfig(['--clickhouse-cluster', 'main'], { MYTHIC_CLICKHOUSE_URL: url }).clickhouseCluster, 'main');
    // 64 characters: the engine's limit (63), so a name that passes here also opens there.
    for (const bad of ['my cluster', "x' ON CLUSTER y", '1st', 'a-b', 'c'.repeat(64)]) {
      assertRejected([], { MYTHIC_CLICKHOUSE_URL: url, MYTHIC_CLICKHOUSE_CLUSTER: bad }, 'MYTHIC_CLICKHOUSE_CLUSTER', 'cluster name');
    }
    assertRejected([], { MYTHIC_CLICKHOUSE_CLUSTER: 'main' }, 'MYTHIC_CLICKHOUSE_CLUSTER', 'needs MYTHIC_CLICKHOUSE_URL');
    assertRejected(['--clickhouse-cluster', 'main'], { MYTHIC_CLICKHOUSE_URL: 'chdb:/tmp/ch' }, '--clickhouse-cluster', 'MYTHIC_CLICKHOUSE_URL=chdb:', 'not a cluster');
  });

  it('reads ingestion rate limits as requests per second, 0 meaning no limit, and rejects anything else', () => {
    assert.equal(loadConfig(['--rate-limit-per-ip', '5'], {}).rateLimitPerIp, 5);
    assert.equal(loadConfig([], { MYTHIC_RATE_LIMIT_PER_KEY: '0' }).rateLimitPerKey, 0);
    for (const bad of ['-1', 'abc', '1e3', '5/s', '2000000']) {
      assertRejected([], { MYTHIC_RATE_LIMIT_PER_IP: bad }, 'MYTHIC_RATE_LIMIT_PER_IP', `'${bad}'`);
      assertRejected([], { MYTHIC_RATE_LIMIT_PER_KEY: bad }, 'MYTHIC_RATE_LIMIT_PER_KEY', `'${bad}'`);
    }
  });

  it('reads trust-proxy as false, true or a list of proxy addresses and ranges Fastify accepts, and refuses hop counts', () => {
    assert.equal(loadConfig([], { MYTHIC_TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig(['--trust-proxy', 'false'], { MYTHIC_TRUST_PROXY: 'true' }).trustProxy, false);
    const lists = ['127.0.0.1', '10.0.0.0/8,192.168.1.0/24', ' ::1 , fd00::/8', 'loopback,uniquelocal,linklocal', '203.0.113.7/32,2001:db8::/128'];
    for (const raw of lists) {
      const trustProxy = loadConfig([], { MYTHIC_TRUST_PROXY: raw }).trustProxy;
      assert.deepEqual(trustProxy, raw.split(',').map((entry) => entry.trim()));
      // Fastify compiles the list when it builds the app: what the setting lets through must not throw there.
      assert.doesNotThrow(() => Fastify({ trustProxy }), raw);
    }
    for (const bad of ['yes', 'TRUE', '10.0.0.0/33', '::1/129', '10.0.0.1,', 'example.com', '10.0.0.0/8/8', '10.0.0.0/x']) {
      assertRejected([], { MYTHIC_TRUST_PROXY: bad }, 'MYTHIC_TRUST_PROXY', `'${bad}'`, 'CIDR');
    }
    for (const hops of ['1', '2']) assertRejected(['--trust-proxy', hops], {}, '--trust-proxy', 'hop count', 'forge');
  });

  it('reads the request, header and keep-alive timeouts as seconds, bounded, and refuses turning them off', () => {
    assert.equal(loadConfig([], { MYTHIC_REQUEST_TIMEOUT: '0.1', MYTHIC_HEADERS_TIMEOUT: '0.1' }).requestTimeoutMs, 100);
    assert.equal(loadConfig(['--keep-alive-timeout', '3600'], {}).keepAliveTimeoutMs, 3_600_000);
    for (const bad of ['0', '0.05', '-1', 'abc', '1e3', '3601', '10s', ' ']) {
      assertRejected([], { MYTHIC_REQUEST_TIMEOUT: bad }, 'MYTHIC_REQUEST_TIMEOUT', `'${bad}'`, '0.1 to 3600');
      assertRejected([], { MYTHIC_HEADERS_TIMEOUT: bad }, 'MYTHIC_HEADERS_TIMEOUT', `'${bad}'`);
      assertRejected([], { MYTHIC_KEEP_ALIVE_TIMEOUT: bad }, 'MYTHIC_KEEP_ALIVE_TIMEOUT', `'${bad}'`);
    }
    // Node refuses to create a server whose header timeout exceeds its request timeout.
    assertRejected([], { MYTHIC_REQUEST_TIMEOUT: '5' }, 'MYTHIC_HEADERS_TIMEOUT', 'must not be longer than MYTHIC_REQUEST_TIMEOUT');
    assertRejected(['--headers-timeout', '3', '--request-timeout', '2'], {}, '--headers-timeout', '--request-timeout');
  });

  it('reads the MetaStore cache lifetime as seconds from 0 (no reuse) to 300', () => {
    assert.equal(loadConfig([], { MYTHIC_META_CACHE_TTL: '300' }).metaCacheTtlMs, 300_000);
    assert.equal(loadConfig(['--meta-cache-ttl', '0.25'], {}).metaCacheTtlMs, 250);
    for (const bad of ['-1', '301', 'abc', '1e2', '5s', ' ']) {
      assertRejected([], { MYTHIC_META_CACHE_TTL: bad }, 'MYTHIC_META_CACHE_TTL', `'${bad}'`, '0 (no reuse) to 300');
    }
  });

  it('reads the Pub/Sub settle window in whole milliseconds from 100 to 600000, absent unless set', () => {
    assert.equal(loadConfig([], { MYTHIC_PUBSUB_SETTLE_MS: '2500' }).pubsubSettleMs, 2500);
    assert.equal(loadConfig(['--pubsub-settle-ms', '100'], { MYTHIC_PUBSUB_SETTLE_MS: '9000' }).pubsubSettleMs, 100);
    assert.ok(!('pubsubSettleMs' in loadConfig([], {})), 'the engine keeps its default');
    for (const bad of ['99', '0', '600001', '1.5', '5s', '-1']) {
      assertRejected([], { MYTHIC_PUBSUB_SETTLE_MS: bad }, 'MYTHIC_PUBSUB_SETTLE_MS', `'${bad}'`, '100 to 600000');
    }
  });

  it('accepts each pino level and rejects others, listing the choices', () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
      assert.equal(loadConfig([], { MYTHIC_LOG_LEVEL: level }).logLevel, level);
    }
    assertRejected([], { MYTHIC_LOG_LEVEL: 'loud' }, 'MYTHIC_LOG_LEVEL', "'loud'", 'info', 'silent');
    assertRejected([], { MYTHIC_LOG_LEVEL: 'INFO' }, 'MYTHIC_LOG_LEVEL', "'INFO'");
    assertRejected(['--log-level', 'verbose'], {}, '--log-level', "'verbose'");
  });

  it('rejects unknown flags, stray arguments and flags without a value as ConfigErrors', () => {
    assertRejected(['--nope'], {}, "Unknown option '--nope'");
    assertRejected(['extra'], {}, "Unexpected argument 'extra'");
    assertRejected(['--port'], {}, "Option '--port <value>' argument missing");
  });
});
