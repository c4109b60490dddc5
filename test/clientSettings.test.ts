import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { MetaStore } from '../src/store/metaStore.js';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_MIGRATIONS_TABLE } from '../src/store/postgres/migrations.js';
import { PostgresMetaStore } from '../src/store/postgres/postgresMetaStore.js';
import { SQLITE_MIGRATIONS } from '../src/store/sqlite/migrations.js';
import { SqliteMetaStore } from '../src/store/sqlite/sqliteMetaStore.js';
import { suiteApi, type TestApi } from './helpers/api.js';
import { describeEachStore, freshPostgresSchema, POSTGRES_SKIP_REASON, POSTGRES_URL } from './helpers/stores.js';

describeEachStore('client ip_storage and sdk_settings', (kind) => {
  const suite = suiteApi(kind, 'configured');
  let api: TestApi;
  let n = 0;
  before(() => {
    api = suite.api();
  });

  const fresh = (extra: Record<string, unknown> = {}) => {
    n += 1;
    return { id: `settings-${n}`, name: `Settings ${n}`, ...extra };
  };
  const create = (extra: Record<string, unknown> = {}) => api.request('POST', '/api/v1/clients', { body: fresh(extra) });

  it('defaults to truncated IPs and no SDK settings of its own', async () => {
    const res = await create();
    assert.equal(res.body.data.ip_storage, 'truncated');
    assert.deepEqual(res.body.data.sdk_settings, {});
    const row = await api.store.getClient(res.body.data.id);
    assert.equal(row?.ip_storage, 'truncated');
    assert.deepEqual(row?.sdk_settings, {});
  });

  it('stores both as given on create, and on the row ingestion reads', async () => {
    const sdk = { capture_pageview: false, respect_dnt: true, session_timeout_minutes: 720, batch_size: 1, flush_interval_ms: 60_000 };
    const res = await create({ ip_storage: 'none', sdk_settings: sdk });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.data.ip_storage, 'none');
    assert.deepEqual(res.body.data.sdk_settings, sdk);
    assert.deepEqual((await api.request('GET', `/api/v1/clients/${res.body.data.id}`)).body.data.sdk_settings, sdk);
    const row = await api.store.getClient(res.body.data.id);
    assert.equal(row?.ip_storage, 'none');
    assert.deepEqual(row?.sdk_settings, sdk);
  });

  it('patches them: sdk_settings replaced whole, null restores each default', async () => {
    const { id } = (await create({ ip_storage: 'hashed', sdk_settings: { batch_size: 20, require_consent: true } })).body.data;
    const patched = await api.request('PATCH', `/api/v1/clients/${id}`, { body: { sdk_settings: { flush_interval_ms: 100 } } });
    assert.deepEqual(patched.body.data.sdk_settings, { flush_interval_ms: 100 });
    assert.equal(patched.body.data.ip_storage, 'hashed');
    const cleared = await api.request('PATCH', `/api/v1/clients/${id}`, { body: { ip_storage: null, sdk_settings: null } });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.data.ip_storage, 'truncated');
    assert.deepEqual(cleared.body.data.sdk_settings, {});
    assert.equal((await api.request('PATCH', `/api/v1/clients/${id}`, { body: { ip_storage: 'hashed' } })).body.data.ip_storage, 'hashed');
  });

  it('refuses bad values with a detail naming the field, and stores nothing', async () => {
    const { id } = (await create({ ip_storage: 'hashed', sdk_settings: { batch_size: 5 } })).body.data;
    const stored = (await api.request('GET', `/api/v1/clients/${id}`)).body.data;
    const cases: [Record<string, unknown>, string, string][] = [
      [{ ip_storage: 'full' }, 'ip_storage', 'validation_error'],
      [{ ip_storage: 'TRUNCATED' }, 'ip_storage', 'validation_error'],
      [{ ip_storage: true }, 'ip_storage', 'validation_error'],
      [{ sdk_settings: 'on' }, 'sdk_settings', 'validation_error'],
      [{ sdk_settings: [] }, 'sdk_settings', 'validation_error'],
      [{ sdk_settings: { batch_size: 0 } }, 'sdk_settings.batch_size', 'validation_error'],
      [{ sdk_settings: { batch_size: 101 } }, 'sdk_settings.batch_size', 'validation_error'],
      [{ sdk_settings: { batch_size: 1.5 } }, 'sdk_settings.batch_size', 'validation_error'],
      [{ sdk_settings: { session_timeout_minutes: 0 } }, 'sdk_settings.session_timeout_minutes', 'validation_error'],
      [{ sdk_settings: { session_timeout_minutes: 721 } }, 'sdk_settings.session_timeout_minutes', 'validation_error'],
      [{ sdk_settings: { flush_interval_ms: 99 } }, 'sdk_settings.flush_interval_ms', 'validation_error'],
      [{ sdk_settings: { flush_interval_ms: 60_001 } }, 'sdk_settings.flush_interval_ms', 'validation_error'],
      [{ sdk_settings: { respect_dnt: 'yes' } }, 'sdk_settings.respect_dnt', 'validation_error'],
      [{ sdk_settings: { capture_pageview: null } }, 'sdk_settings.capture_pageview', 'validation_error'],
      [{ sdk_settings: { autocapture: true } }, 'sdk_settings.autocapture', 'unknown_field'],
    ];
    for (const [body, field, code] of cases) {
      for (const res of [
        await api.request('PATCH', `/api/v1/clients/${id}`, { body }),
        await api.request('POST', '/api/v1/clients', { body: fresh(body) }),
      ]) {
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.code, code, JSON.stringify(body));
        assert.deepEqual(res.body.details?.map((d) => d.field), [field], JSON.stringify(res.body.details));
      }
    }
    assert.deepEqual((await api.request('GET', `/api/v1/clients/${id}`)).body.data, stored);
  });
});

/** A v1 database holding one client, written as the previous release wrote it; then migrated. */
describe('migration 2 on an existing database', () => {
  const V1_CLIENT = {
    id: 'old-client',
    name: 'Old',
    status: true,
    timezone: 'UTC',
    api_metadata: '{}',
    created_at: 1,
    updated_at: 1,
  };

  async function checkMigrated(store: MetaStore): Promise<void> {
    await store.migrate();
    const row = await store.getClient('old-client');
    assert.equal(row?.name, 'Old');
    assert.equal(row?.ip_storage, 'truncated');
    assert.deepEqual(row?.sdk_settings, {});
    assert.deepEqual(await store.listTags('old-client'), []);
    assert.deepEqual(await store.listSnippets('old-client'), []);
    assert.deepEqual(await store.listHostnames('old-client'), []);
    // Saved funnels (migration 4) start empty and can be added to a client of the first schema.
    assert.deepEqual(await store.listFunnels('old-client'), []);
    const funnel = { id: 'fnl_old', client_id: 'old-client', name: 'Old', steps: [{ path: '/' }, { event: 'Signed Up' }], window_seconds: 600, created_at: 1, updated_at: 1 };
    assert.equal(await store.insertFunnel(funnel, 'old', 100), 'inserted');
    assert.deepEqual(await store.listFunnels('old-client'), [funnel]);
    // Migrating again changes nothing.
    await store.migrate();
    assert.equal((await store.getClient('old-client'))?.ip_storage, 'truncated');
    assert.deepEqual(await store.listFunnels('old-client'), [funnel]);
  }

  it('gives SQLite clients the defaults', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mythic-migrate-'));
    try {
      const path = join(dir, 'mythic.db');
      const db = new Database(path);
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      db.exec(SQLITE_MIGRATIONS[0]?.sql ?? '');
      db.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run(SQLITE_MIGRATIONS[0]?.name);
      db.prepare('INSERT INTO clients (id, name, status, timezone, api_metadata, created_at, updated_at) VALUES (@id, @name, 1, @timezone, @api_metadata, @created_at, @updated_at)').run(V1_CLIENT);
      db.close();
      const store = new SqliteMetaStore(path);
      try {
        await checkMigrated(store);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives PostgreSQL clients the defaults', { skip: POSTGRES_URL === undefined ? POSTGRES_SKIP_REASON : false }, async () => {
    const schema = await freshPostgresSchema(POSTGRES_URL as string);
    try {
      const client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      await client.query(POSTGRES_SCHEMA_MIGRATIONS_TABLE);
      await client.query(POSTGRES_MIGRATIONS[0]?.sql ?? '');
      await client.query('INSERT INTO schema_migrations VALUES (1, $1, 0)', [POSTGRES_MIGRATIONS[0]?.name]);
      await client.query(
        'INSERT INTO clients (id, name, status, timezone, api_metadata, created_at, updated_at) VALUES ($1, $2, true, $3, $4, $5, $6)',
        [V1_CLIENT.id, V1_CLIENT.name, V1_CLIENT.timezone, V1_CLIENT.api_metadata, V1_CLIENT.created_at, V1_CLIENT.updated_at],
      );
      await client.end();
      const store = new PostgresMetaStore(schema.url);
      try {
        await checkMigrated(store);
      } finally {
        await store.close();
      }
    } finally {
      await schema.drop();
    }
  });
});
