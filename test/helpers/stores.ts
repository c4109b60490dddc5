import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import type { MetaStore } from '../../src/store/metaStore.js';
import { PostgresMetaStore } from '../../src/store/postgres/postgresMetaStore.js';
import { SqliteMetaStore } from '../../src/store/sqlite/sqliteMetaStore.js';

export const POSTGRES_URL = process.env.MYTHIC_TEST_DATABASE_URL || undefined;
export const POSTGRES_SKIP_REASON = 'PostgreSQL suite skipped: set MYTHIC_TEST_DATABASE_URL to run it (.ci/run does)';

export interface OpenedStore {
  store: MetaStore;
  /** Where the store lives, for tests that reopen it. */
  location: { dataDir: string; databaseUrl: string | undefined };
  /** Closes the store and removes what the test created. */
  dispose(): Promise<void>;
}

export interface StoreKind {
  name: 'sqlite' | 'postgres';
  open(): Promise<OpenedStore>;
}

async function openSqlite(): Promise<OpenedStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-test-'));
  const store = new SqliteMetaStore(join(dataDir, 'mythic.db'));
  await store.migrate();
  return {
    store,
    location: { dataDir, databaseUrl: undefined },
    dispose: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A database URL whose connections use a fresh schema, so test apps never see each other's rows. */
export async function freshPostgresSchema(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const dropper = new pg.Client({ connectionString: baseUrl });
      await dropper.connect();
      await dropper.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await dropper.end();
    },
  };
}

async function openPostgres(): Promise<OpenedStore> {
  const schema = await freshPostgresSchema(POSTGRES_URL as string);
  const dataDir = mkdtempSync(join(tmpdir(), 'mythic-test-'));
  const store = new PostgresMetaStore(schema.url);
  await store.migrate();
  return {
    store,
    location: { dataDir, databaseUrl: schema.url },
    dispose: async () => {
      await store.close();
      await schema.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const STORE_KINDS: StoreKind[] = [
  { name: 'sqlite', open: openSqlite },
  { name: 'postgres', open: openPostgres },
];

/**
 * Runs `suite` once per MetaStore engine. PostgreSQL runs when MYTHIC_TEST_DATABASE_URL is set;
 * otherwise its suite is reported as skipped, with the reason, rather than silently absent.
 */
export function describeEachStore(title: string, suite: (kind: StoreKind) => void): void {
  for (const kind of STORE_KINDS) {
    const skip = kind.name === 'postgres' && POSTGRES_URL === undefined ? POSTGRES_SKIP_REASON : false;
    describe(`${title} [${kind.name}]`, { skip }, () => suite(kind));
  }
}

/**
 * A store of `kind` for the tests of the suite that calls this: opened before them, disposed of
 * after them. Read it inside the tests (or in a `before` registered after this call).
 */
export function storeOfSuite(kind: StoreKind): Pick<OpenedStore, 'store' | 'location'> {
  let opened: OpenedStore | undefined;
  before(async () => {
    opened = await kind.open();
  });
  after(() => opened?.dispose());
  const current = (): OpenedStore => {
    if (opened === undefined) throw new Error('the suite’s store opens before its tests');
    return opened;
  };
  return {
    get store() {
      return current().store;
    },
    get location() {
      return current().location;
    },
  };
}
