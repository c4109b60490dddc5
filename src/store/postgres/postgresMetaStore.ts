import pg from 'pg';
import {
  UniqueViolation,
  type AgencyChanges,
  type AgencyDeletion,
  type AgencyFields,
  type AgencyFilter,
  type AgencyRow,
  type ClientChanges,
  type ClientFields,
  type ClientFilter,
  type ClientRow,
  type FirstEventRow,
  type FunnelChanges,
  type FunnelInsertion,
  type FunnelRow,
  type HostnameOwner,
  type HostnameRow,
  type KeyKind,
  type KeyMatch,
  type KeyRow,
  type MetaStore,
  type Page,
  type PageOf,
  type SnippetRow,
  type TagRow,
  type UniqueField,
} from '../metaStore.js';
import {
  afterClause,
  AGENCY_COLUMNS,
  AGENCY_SELECT,
  agencyWhere,
  CLIENT_COLUMNS,
  CLIENT_SELECT,
  clientWhere,
  hostnameOwnerSql,
  insertClause,
  setClause,
  type SqlPiece,
} from '../sql.js';
import type { CheckRecord, CheckRow, DueMonitor, MonitorRow, MonitorSettings, MonitorStatus } from '../../uptime/monitorRow.js';
import type { LinkChanges, LinkFilter, LinkRow } from '../../links/linkRow.js';
import { LINK_COLUMNS, linkWhere } from '../linkSql.js';
import type { DeliveryOutcome, DeliveryRow, WebhookChanges, WebhookOutcome, WebhookRow } from '../../webhooks/webhookRows.js';
import type { McpKeyRow } from '../../mcp/mcpKeyRows.js';
import type { BacklogCounts, MessageRow, PushOutcome, SubscriptionChanges, SubscriptionFilter, SubscriptionRow } from '../../pubsub/pubsubRows.js';
import {
  backlogSql,
  byDueThenId,
  deadLetterExpiredSql,
  leaseCandidatesSql,
  MESSAGE_COLUMNS,
  PUSH_CLAIM_ORDER,
  PUSH_DUE,
  SUBSCRIPTION_CHANGE_COLUMNS,
  SUBSCRIPTION_COLUMNS,
  toMessageRow,
  toSubscriptionRow,
} from '../pubsubSql.js';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_MIGRATIONS_TABLE } from './migrations.js';
import type { RegexVerdict } from '../../validation/safeRegex.js';

type Row = Record<string, unknown>;
type Queryable = pg.Pool | pg.PoolClient;

/** Key of the transaction-scoped advisory lock that serialises `migrate()` across processes. */
const MIGRATION_LOCK = '8130552744251163117';

/** Constraint names from the migrations onto the field that collided. */
const UNIQUE_CONSTRAINTS: Record<string, UniqueField> = {
  clients_pkey: 'id',
  clients_domain_key: 'domain',
  clients_global_name_key: 'global_name',
  agencies_pkey: 'id',
  agencies_name_key_key: 'name',
  client_keys_key_hash_key: 'key',
  client_hostnames_pkey: 'hostname',
  client_funnels_name_key: 'name',
  client_funnels_pkey: 'id',
  links_slug_key_key: 'slug',
  links_pkey: 'id',
  mcp_keys_pkey: 'id',
  mcp_keys_key_hash_key: 'key',
  pubsub_subscriptions_name_key_key: 'name',
  pubsub_subscriptions_pkey: 'id',
};

function uniqueViolationOf(error: unknown): UniqueViolation | null {
  if (!(error instanceof pg.DatabaseError) || error.code !== '23505') return null;
  const field = error.constraint === undefined ? undefined : UNIQUE_CONSTRAINTS[error.constraint];
  return field ? new UniqueViolation(field) : null;
}

function rethrowUnique(error: unknown): never {
  throw uniqueViolationOf(error) ?? error;
}

const dollar = (n: number): string => `$${n}`;

/** BIGINT (int8) and COUNT(*) arrive from pg as strings; epoch milliseconds fit a double exactly. */
const toNumber = (value: unknown): number => Number(value);
const toNumberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** JSON columns arrive parsed. */
function toMcpKeyRow(row: Row): McpKeyRow {
  return {
    id: String(row.id),
    name: String(row.name),
    key_hash: String(row.key_hash),
    key_last4: String(row.key_last4),
    scopes: row.scopes as McpKeyRow['scopes'],
    client_ids: row.client_ids as string[] | null,
    expires_at: toNumberOrNull(row.expires_at),
    revoked_at: toNumberOrNull(row.revoked_at),
    last_used_at: toNumberOrNull(row.last_used_at),
    created_at: toNumber(row.created_at),
  };
}

function toClientRow(row: Row): ClientRow {
  return {
    ...(row as unknown as ClientRow),
    created_at: toNumber(row.created_at),
    updated_at: toNumber(row.updated_at),
  };
}

function toAgencyRow(row: Row): AgencyRow {
  return {
    ...(row as unknown as AgencyRow),
    created_at: toNumber(row.created_at),
    updated_at: toNumber(row.updated_at),
    client_count: toNumber(row.client_count),
  };
}

/** JSON columns arrive parsed; the rest as stored. */
function toTagRow(row: Row): TagRow {
  return {
    tag_id: String(row.tag_id),
    enabled: row.enabled === true,
    params: row.params as TagRow['params'],
    trigger_rules: row.trigger_rules as TagRow['trigger_rules'],
  };
}

function toSnippetRow(row: Row): SnippetRow {
  return {
    id: String(row.id),
    code: String(row.code),
    description: String(row.description),
    enabled: row.enabled === true,
    trigger_rules: row.trigger_rules as SnippetRow['trigger_rules'],
  };
}

function toFunnelRow(row: Row): FunnelRow {
  return {
    id: String(row.id),
    client_id: String(row.client_id),
    name: String(row.name),
    steps: row.steps as FunnelRow['steps'],
    window_seconds: toNumber(row.window_seconds),
    created_at: toNumber(row.created_at),
    updated_at: toNumber(row.updated_at),
  };
}

function toWebhookRow(row: Row): WebhookRow {
  return {
    id: String(row.id),
    url: String(row.url),
    events: row.events as string[],
    client_id: row.client_id === null ? null : String(row.client_id),
    description: row.description === null ? null : String(row.description),
    secret_sealed: String(row.secret_sealed),
    enabled: row.enabled === true,
    disabled_reason: row.disabled_reason === null ? null : String(row.disabled_reason),
    consecutive_failures: toNumber(row.consecutive_failures),
    failing_since: toNumberOrNull(row.failing_since),
    created_at: toNumber(row.created_at),
    updated_at: toNumber(row.updated_at),
  };
}

function toDeliveryRow(row: Row): DeliveryRow {
  return {
    ...(row as unknown as DeliveryRow),
    attempts: toNumber(row.attempts),
    next_attempt_at: toNumber(row.next_attempt_at),
    lease_until: toNumberOrNull(row.lease_until),
    last_status: toNumberOrNull(row.last_status),
    last_duration_ms: toNumberOrNull(row.last_duration_ms),
    total_duration_ms: toNumber(row.total_duration_ms),
    created_at: toNumber(row.created_at),
    finished_at: toNumberOrNull(row.finished_at),
  };
}

/** Columns of webhooks a change may name. */
const WEBHOOK_COLUMNS: ReadonlySet<string> = new Set([
  'url', 'events', 'description', 'secret_sealed', 'enabled', 'disabled_reason', 'consecutive_failures', 'failing_since', 'updated_at',
]);

const DELIVERY_COLUMNS = [
  'id', 'webhook_id', 'event', 'payload', 'status', 'attempts', 'next_attempt_at', 'lease_until', 'lease_owner',
  'last_status', 'last_error', 'last_duration_ms', 'total_duration_ms', 'created_at', 'finished_at',
] as const;

function toLinkRow(row: Row): LinkRow {
  return {
    id: String(row.id),
    client_id: row.client_id === null ? null : String(row.client_id),
    slug: String(row.slug),
    slug_key: String(row.slug_key),
    destination_url: String(row.destination_url),
    title: row.title === null ? null : String(row.title),
    tags: row.tags as string[],
    metadata: row.metadata as Record<string, unknown>,
    password_hash: row.password_hash === null ? null : String(row.password_hash),
    expires_at: toNumberOrNull(row.expires_at),
    created_at: toNumber(row.created_at),
    updated_at: toNumber(row.updated_at),
  };
}

function toMonitorRow(row: Row): MonitorRow {
  return {
    link_id: String(row.link_id),
    interval_seconds: toNumber(row.interval_seconds),
    timeout_seconds: toNumber(row.timeout_seconds),
    active: row.active === true,
    status: row.status as MonitorStatus,
    consecutive_failures: toNumber(row.consecutive_failures),
    last_checked_at: toNumberOrNull(row.last_checked_at),
    last_response_ms: toNumberOrNull(row.last_response_ms),
    last_status_code: toNumberOrNull(row.last_status_code),
    last_error: row.last_error === null ? null : String(row.last_error),
    next_check_at: toNumber(row.next_check_at),
    lease_until: toNumberOrNull(row.lease_until),
    lease_owner: row.lease_owner === null ? null : String(row.lease_owner),
    started_at: toNumber(row.started_at),
  };
}

function toCheckRow(row: Row): CheckRow {
  return {
    link_id: String(row.link_id),
    checked_at: toNumber(row.checked_at),
    ok: row.ok === true,
    status_code: toNumberOrNull(row.status_code),
    response_ms: toNumberOrNull(row.response_ms),
    error: row.error === null ? null : String(row.error),
  };
}

function toKeyRow(row: Row): KeyRow {
  return {
    ...(row as unknown as KeyRow),
    created_at: toNumber(row.created_at),
    expires_at: toNumberOrNull(row.expires_at),
    last_used_at: toNumberOrNull(row.last_used_at),
  };
}

/**
 * Values as bound parameters: objects (the JSON columns) as JSON text, which PostgreSQL casts to
 * json from the column's type. Serialising here rather than leaving it to pg keeps an array value
 * from being sent as a PostgreSQL array literal. Booleans, numbers, strings and null pass through.
 */
function storable(value: unknown): unknown {
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value;
}

/** First entry of a search_path setting, as the schema name it denotes (unquoted names fold to lower case). */
function firstSearchPathSchema(searchPath: string): string | null {
  const match = /^\s*("(?:[^"]|"")*"|[^,\s]+)/.exec(searchPath);
  const item = match?.[1];
  if (item === undefined) return null;
  if (item.startsWith('"')) {
    const name = item.slice(1, -1).replace(/""/g, '"');
    return name === '$user' || name === '' ? null : name;
  }
  return item.toLowerCase();
}

export class PostgresMetaStore implements MetaStore {
  readonly engine = 'postgres' as const;
  private readonly pool: pg.Pool;
  private ending: Promise<void> | null = null;

  /**
   * `connectionString` may carry `options=-c search_path=<schema>` (URL-encoded or not): every
   * pooled connection then resolves and creates the tables in that schema.
   */
  constructor(connectionString: string, options: { max?: number } = {}) {
    this.pool = new pg.Pool({ connectionString, ...(options.max !== undefined ? { max: options.max } : {}) });
    // An idle pooled connection that dies (server restart, network) emits 'error' on the pool; pg
    // already drops it, and without a listener the event would crash the process.
    this.pool.on('error', () => {});
  }

  private async query(sql: string, params: unknown[] = [], on: Queryable = this.pool): Promise<pg.QueryResult<Row>> {
    return on.query<Row>(sql, params);
  }

  /** Runs `work` between BEGIN and COMMIT on one checked-out connection; ROLLBACK on any error. */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(begin);
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // The connection is unusable: release it with an error so the pool discards it.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        throw error;
      }
    } finally {
      client.release(broken);
    }
  }

  async migrate(): Promise<void> {
    await this.transaction(async (client) => {
      // Held until COMMIT/ROLLBACK: a second process starting at the same time waits here, then
      // sees the versions the first one recorded.
      await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await this.ensureSchema(client);
      await client.query(POSTGRES_SCHEMA_MIGRATIONS_TABLE);
      const applied = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)),
      );
      for (const migration of POSTGRES_MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
      }
    });
  }

  /**
   * When the search_path names a schema that does not exist yet (a fresh per-test schema, say),
   * creates it, so the unqualified CREATE TABLEs land there rather than failing.
   */
  private async ensureSchema(client: pg.PoolClient): Promise<void> {
    const current = (await client.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0]?.schema;
    if (current) return;
    const searchPath = (await client.query<{ search_path: string }>('SHOW search_path')).rows[0]?.search_path ?? '';
    const schema = firstSearchPathSchema(searchPath);
    if (schema === null) return;
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    this.ending ??= this.pool.end();
    await this.ending;
  }

  async insertClient(client: ClientFields, keys: KeyRow[]): Promise<void> {
    const insert = insertClause(client, CLIENT_COLUMNS, dollar);
    try {
      await this.transaction(async (db) => {
        await this.query(`INSERT INTO clients ${insert.sql}`, insert.params.map(storable), db);
        for (const key of keys) await this.insertKey(key, db);
      });
    } catch (error) {
      rethrowUnique(error);
    }
  }

  private async insertKey(key: KeyRow, db: Queryable): Promise<void> {
    await this.query(
      `INSERT INTO client_keys (id, client_id, kind, key_hash, publishable_key, last4, created_at, expires_at, last_used_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [key.id, key.client_id, key.kind, key.key_hash, key.publishable_key, key.last4, key.created_at, key.expires_at, key.last_used_at],
      db,
    );
  }

  async getClient(id: string): Promise<ClientRow | null> {
    const row = (await this.query(`${CLIENT_SELECT} WHERE c.id = $1`, [id])).rows[0];
    return row ? toClientRow(row) : null;
  }

  async clientLives(ids: string[]): Promise<Map<string, number>> {
    const lives = new Map<string, number>();
    if (ids.length === 0) return lives;
    const { rows } = await this.query('SELECT id, created_at FROM clients WHERE id = ANY($1::text[])', [ids]);
    for (const row of rows) lives.set(String(row.id), toNumber(row.created_at));
    return lives;
  }

  async listClients(filter: ClientFilter, page: Page): Promise<PageOf<ClientRow>> {
    const where = clientWhere(filter, dollar, 'ILIKE', (b) => b);
    const after = afterClause(page, 'c', dollar, where.params.length);
    const { total, rows } = await this.countAndPage('clients c', 'c', CLIENT_SELECT, where, after, page);
    return { rows: rows.map(toClientRow), total };
  }

  /**
   * The number of matches and one page of them, read from one snapshot (REPEATABLE READ), so the
   * count agrees with the rows even while other nodes write.
   */
  private async countAndPage(
    from: string,
    table: string,
    select: string,
    where: SqlPiece,
    after: SqlPiece,
    page: Page,
  ): Promise<{ total: number; rows: Row[] }> {
    return this.transaction(
      async (db) => {
        const total = await this.query(`SELECT COUNT(*) AS n FROM ${from} WHERE ${where.sql}`, where.params, db);
        const rows = await this.pageRows(`${select} WHERE ${where.sql} AND ${after.sql}`, table, [...where.params, ...after.params], page, db);
        return { total: toNumber(total.rows[0]?.n), rows };
      },
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
  }

  private async pageRows(select: string, table: string, params: unknown[], page: Page, db: Queryable): Promise<Row[]> {
    const n = params.length;
    const sql = `${select} ORDER BY ${table}.created_at DESC, ${table}.id DESC LIMIT ${dollar(n + 1)} OFFSET ${dollar(n + 2)}`;
    return (await this.query(sql, [...params, page.limit, page.offset ?? 0], db)).rows;
  }

  async updateClient(id: string, changes: ClientChanges, updatedAt: number): Promise<ClientRow | null> {
    return (await this.update('clients', CLIENT_COLUMNS, id, { ...changes, updated_at: updatedAt })) ? this.getClient(id) : null;
  }

  /** Applies `values` to the row `id` of `table`; false when there is no such row. */
  private async update(table: string, columns: ReadonlySet<string>, id: string, values: Record<string, unknown>): Promise<boolean> {
    const set = setClause(values, columns, dollar);
    try {
      const result = await this.query(`UPDATE ${table} SET ${set.sql} WHERE id = ${dollar(set.params.length + 1)}`, [
        ...set.params.map(storable),
        id,
      ]);
      return (result.rowCount ?? 0) > 0;
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async deleteClient(id: string): Promise<boolean> {
    // The allow lists naming it (MCP keys, subscription filters) lose it in the same transaction:
    // a client created later with the same id is another tenant, never theirs. An emptied list
    // means no client (null is every client). Subscription rows are locked before the client's
    // (its messages go with it), in the order every Pub/Sub write takes: the subscription first.
    return this.transaction(async (db) => {
      const subscriptions = await this.query(
        `SELECT id, filter FROM pubsub_subscriptions WHERE jsonb_exists(filter::jsonb -> 'client_ids', $1) ORDER BY id FOR UPDATE`,
        [id],
        db,
      );
      for (const row of subscriptions.rows as Row[]) {
        const filter = row.filter as SubscriptionFilter;
        const kept = { ...filter, client_ids: (filter.client_ids ?? []).filter((clientId) => clientId !== id) };
        await this.query('UPDATE pubsub_subscriptions SET filter = $2 WHERE id = $1', [row.id, storable(kept)], db);
      }
      const keys = await this.query(`SELECT id, client_ids FROM mcp_keys WHERE jsonb_exists(client_ids::jsonb, $1) ORDER BY id FOR UPDATE`, [id], db);
      for (const row of keys.rows as Row[]) {
        const kept = (row.client_ids as string[]).filter((clientId) => clientId !== id);
        await this.query('UPDATE mcp_keys SET client_ids = $2 WHERE id = $1', [row.id, storable(kept)], db);
      }
      // client_keys rows go with it: ON DELETE CASCADE.
      return ((await this.query('DELETE FROM clients WHERE id = $1', [id], db)).rowCount ?? 0) > 0;
    });
  }

  async rotateKeys(clientId: string, kinds: KeyKind[], newKeys: KeyRow[], expireOldAt: number, updatedAt: number): Promise<boolean> {
    try {
      return await this.transaction(async (db) => {
        // Also locks the client row, so two rotations of one client run one after the other.
        const touched = await this.query('UPDATE clients SET updated_at = $1 WHERE id = $2', [updatedAt, clientId], db);
        if (touched.rowCount === 0) return false;
        for (const kind of kinds) {
          await this.query(
            `UPDATE client_keys SET expires_at = $1
             WHERE client_id = $2 AND kind = $3 AND (expires_at IS NULL OR expires_at > $1)`,
            [expireOldAt, clientId, kind],
            db,
          );
        }
        for (const key of newKeys) await this.insertKey(key, db);
        return true;
      });
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async listActiveKeys(clientId: string, now: number): Promise<KeyRow[]> {
    const result = await this.query(
      `SELECT * FROM client_keys WHERE client_id = $1 AND (expires_at IS NULL OR expires_at > $2)
       ORDER BY created_at DESC, id DESC`,
      [clientId, now],
    );
    return result.rows.map(toKeyRow);
  }

  async findKeyByHash(keyHash: string): Promise<KeyMatch | null> {
    const row = (
      await this.query(
        `SELECT k.*, c.status AS client_status FROM client_keys k JOIN clients c ON c.id = k.client_id
         WHERE k.key_hash = $1`,
        [keyHash],
      )
    ).rows[0];
    return row ? { ...toKeyRow(row), client_status: row.client_status === true } : null;
  }

  async touchKey(keyId: string, usedAt: number): Promise<void> {
    await this.query('UPDATE client_keys SET last_used_at = $1 WHERE id = $2', [usedAt, keyId]);
  }

  async insertAgency(agency: AgencyFields, nameKey: string): Promise<void> {
    const insert = insertClause({ ...agency, name_key: nameKey }, AGENCY_COLUMNS, dollar);
    try {
      await this.query(`INSERT INTO agencies ${insert.sql}`, insert.params.map(storable));
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async getAgency(id: string): Promise<AgencyRow | null> {
    const row = (await this.query(`${AGENCY_SELECT} WHERE a.id = $1`, [id])).rows[0];
    return row ? toAgencyRow(row) : null;
  }

  async listAgencies(filter: AgencyFilter, page: Page): Promise<PageOf<AgencyRow>> {
    const where = agencyWhere(filter, dollar, 'ILIKE');
    const after = afterClause(page, 'a', dollar, where.params.length);
    const { total, rows } = await this.countAndPage('agencies a', 'a', AGENCY_SELECT, where, after, page);
    return { rows: rows.map(toAgencyRow), total };
  }

  async updateAgency(id: string, changes: AgencyChanges, nameKey: string | undefined, updatedAt: number): Promise<AgencyRow | null> {
    const values: Record<string, unknown> = { ...changes, updated_at: updatedAt };
    if (nameKey !== undefined) values.name_key = nameKey;
    return (await this.update('agencies', AGENCY_COLUMNS, id, values)) ? this.getAgency(id) : null;
  }

  async deleteAgency(id: string, detachClients: boolean, updatedAt: number): Promise<AgencyDeletion> {
    return this.transaction(async (db): Promise<AgencyDeletion> => {
      // The row lock makes concurrent deletions of one agency queue up behind this one.
      const exists = await this.query('SELECT 1 FROM agencies WHERE id = $1 FOR UPDATE', [id], db);
      if (exists.rowCount === 0) return { outcome: 'not_found' };
      const count = toNumber((await this.query('SELECT COUNT(*) AS n FROM clients WHERE agency_id = $1', [id], db)).rows[0]?.n);
      if (count > 0 && !detachClients) return { outcome: 'has_clients', client_count: count };
      await this.query('UPDATE clients SET agency_id = NULL, updated_at = $1 WHERE agency_id = $2', [updatedAt, id], db);
      await this.query('DELETE FROM agencies WHERE id = $1', [id], db);
      return { outcome: 'deleted', detached: count };
    });
  }

  /**
   * Moves the client's updated_at inside `db`'s transaction; false when there is no such client.
   * The row lock it takes queues concurrent replacements of one client's tags or snippets, so each
   * replacement sees the previous one's rows and the stored set is always one request's set, whole.
   */
  private async touchClient(clientId: string, updatedAt: number, db: Queryable): Promise<boolean> {
    return ((await this.query('UPDATE clients SET updated_at = $1 WHERE id = $2', [updatedAt, clientId], db)).rowCount ?? 0) > 0;
  }

  async replaceTags(clientId: string, tags: TagRow[], updatedAt: number): Promise<boolean> {
    return this.transaction(async (db) => {
      if (!(await this.touchClient(clientId, updatedAt, db))) return false;
      await this.query('DELETE FROM client_tags WHERE client_id = $1', [clientId], db);
      if (tags.length === 0) return true;
      // One statement for the whole set: row i takes parameters 6i+1 … 6i+6.
      const values = tags.map((_, i) => `(${[1, 2, 3, 4, 5, 6].map((k) => dollar(6 * i + k)).join(', ')})`);
      const params = tags.flatMap((tag, position) => [
        clientId,
        position,
        tag.tag_id,
        tag.enabled,
        storable(tag.params),
        storable(tag.trigger_rules),
      ]);
      await this.query(
        `INSERT INTO client_tags (client_id, position, tag_id, enabled, params, trigger_rules) VALUES ${values.join(', ')}`,
        params,
        db,
      );
      return true;
    });
  }

  async listTags(clientId: string): Promise<TagRow[]> {
    return (await this.query('SELECT * FROM client_tags WHERE client_id = $1 ORDER BY position', [clientId])).rows.map(toTagRow);
  }

  async replaceSnippets(clientId: string, snippets: SnippetRow[], updatedAt: number): Promise<boolean> {
    return this.transaction(async (db) => {
      if (!(await this.touchClient(clientId, updatedAt, db))) return false;
      await this.query('DELETE FROM client_snippets WHERE client_id = $1', [clientId], db);
      if (snippets.length === 0) return true;
      const values = snippets.map((_, i) => `(${[1, 2, 3, 4, 5, 6, 7].map((k) => dollar(7 * i + k)).join(', ')})`);
      const params = snippets.flatMap((snippet, position) => [
        snippet.id,
        clientId,
        position,
        snippet.code,
        snippet.description,
        snippet.enabled,
        storable(snippet.trigger_rules),
      ]);
      await this.query(
        `INSERT INTO client_snippets (id, client_id, position, code, description, enabled, trigger_rules) VALUES ${values.join(', ')}`,
        params,
        db,
      );
      return true;
    });
  }

  async listSnippets(clientId: string): Promise<SnippetRow[]> {
    return (await this.query('SELECT * FROM client_snippets WHERE client_id = $1 ORDER BY position', [clientId])).rows.map(toSnippetRow);
  }

  async addHostname(row: HostnameRow): Promise<boolean> {
    try {
      return await this.transaction(async (db) => {
        // FOR SHARE keeps the client from being hard-deleted before the insert commits.
        const client = await this.query('SELECT 1 FROM clients WHERE id = $1 FOR SHARE', [row.client_id], db);
        if (client.rowCount === 0) return false;
        // A client's domain is taken for every other purpose too; no index spans both tables.
        const domain = await this.query('SELECT 1 FROM clients WHERE domain = $1', [row.hostname], db);
        if ((domain.rowCount ?? 0) > 0) throw new UniqueViolation('hostname');
        await this.query('INSERT INTO client_hostnames (hostname, client_id, created_at) VALUES ($1, $2, $3)', [row.hostname, row.client_id, row.created_at], db);
        return true;
      });
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async addSharedHostname(row: HostnameRow): Promise<boolean> {
    return this.transaction(async (db) => {
      // FOR SHARE keeps the client from being hard-deleted before the insert commits.
      const client = await this.query('SELECT 1 FROM clients WHERE id = $1 FOR SHARE', [row.client_id], db);
      if (client.rowCount === 0) return false;
      await this.query(
        'INSERT INTO client_local_hosts (hostname, client_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [row.hostname, row.client_id, row.created_at],
        db,
      );
      return true;
    });
  }

  async listHostnames(clientId: string): Promise<HostnameRow[]> {
    const result = await this.query(
      `SELECT hostname, client_id, created_at FROM client_hostnames WHERE client_id = $1
       UNION ALL
       SELECT hostname, client_id, created_at FROM client_local_hosts WHERE client_id = $1
       ORDER BY created_at, hostname`,
      [clientId],
    );
    return result.rows.map((row) => ({ ...(row as unknown as HostnameRow), created_at: toNumber(row.created_at) }));
  }

  async regexVerdicts(judging: string, patterns: readonly string[]): Promise<Map<string, boolean>> {
    const result = await this.query('SELECT pattern, safe FROM regex_verdicts WHERE judging = $1 AND pattern = ANY($2::text[])', [judging, patterns]);
    return new Map(result.rows.map((row) => [String(row.pattern), row.safe === true]));
  }

  async saveRegexVerdicts(judging: string, verdicts: readonly RegexVerdict[]): Promise<void> {
    if (verdicts.length === 0) return;
    // Every node inserts in one order: two inserts of the same new patterns in two orders can
    // each wait for a row the other holds (a deadlock).
    const ordered = [...verdicts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await this.query(
      `INSERT INTO regex_verdicts (judging, pattern, safe)
       SELECT $1, v.pattern, v.safe FROM unnest($2::text[], $3::boolean[]) AS v (pattern, safe)
       ON CONFLICT DO NOTHING`,
      [judging, ordered.map(([pattern]) => pattern), ordered.map(([, safe]) => safe)],
    );
  }

  async hasHostname(clientId: string, hostname: string): Promise<boolean> {
    const result = await this.query(
      `SELECT 1 FROM client_hostnames WHERE client_id = $1 AND hostname = $2
       UNION ALL
       SELECT 1 FROM client_local_hosts WHERE client_id = $1 AND hostname = $2`,
      [clientId, hostname],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async deleteHostname(clientId: string, hostname: string): Promise<boolean> {
    return this.transaction(async (db) => {
      await this.query('DELETE FROM hostname_first_events WHERE client_id = $1 AND hostname = $2', [clientId, hostname], db);
      const local = await this.query('DELETE FROM client_local_hosts WHERE client_id = $1 AND hostname = $2', [clientId, hostname], db);
      const own = await this.query('DELETE FROM client_hostnames WHERE client_id = $1 AND hostname = $2', [clientId, hostname], db);
      return (local.rowCount ?? 0) + (own.rowCount ?? 0) > 0;
    });
  }

  async findHostnameOwner(hostname: string): Promise<HostnameOwner | null> {
    const row = (await this.query(hostnameOwnerSql('$1'), [hostname])).rows[0];
    return row ? (row as unknown as HostnameOwner) : null;
  }

  async recordFirstEvent(clientId: string, hostname: string, at: number, life?: number): Promise<void> {
    try {
      await this.query(
        `INSERT INTO hostname_first_events (client_id, hostname, first_event_at)
         SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM clients WHERE id = $1 AND ($4::BIGINT IS NULL OR created_at = $4::BIGINT))
         ON CONFLICT (client_id, hostname) DO NOTHING`,
        [clientId, hostname, at, life ?? null],
      );
    } catch (error) {
      // The client was deleted between the EXISTS and the foreign key check: nothing to record.
      if (error instanceof pg.DatabaseError && error.code === '23503') return;
      throw error;
    }
  }

  async listFirstEvents(clientId: string): Promise<FirstEventRow[]> {
    const result = await this.query('SELECT hostname, first_event_at FROM hostname_first_events WHERE client_id = $1', [clientId]);
    return result.rows.map((row) => ({ hostname: String(row.hostname), first_event_at: toNumber(row.first_event_at) }));
  }

  async insertFunnel(row: FunnelRow, nameKey: string, maxPerClient: number): Promise<FunnelInsertion> {
    try {
      return await this.transaction(async (db): Promise<FunnelInsertion> => {
        // FOR UPDATE queues concurrent saves for one client behind each other, so each counts the
        // ones committed before it (and the client cannot be hard-deleted meanwhile).
        const client = await this.query('SELECT 1 FROM clients WHERE id = $1 FOR UPDATE', [row.client_id], db);
        if (client.rowCount === 0) return 'no_client';
        const count = await this.query('SELECT COUNT(*) AS n FROM client_funnels WHERE client_id = $1', [row.client_id], db);
        if (toNumber(count.rows[0]?.n) >= maxPerClient) return 'limit_reached';
        await this.query(
          `INSERT INTO client_funnels (id, client_id, name, name_key, steps, window_seconds, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [row.id, row.client_id, row.name, nameKey, storable(row.steps), row.window_seconds, row.created_at, row.updated_at],
          db,
        );
        return 'inserted';
      });
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async listFunnels(clientId: string): Promise<FunnelRow[]> {
    return (await this.query('SELECT * FROM client_funnels WHERE client_id = $1 ORDER BY name_key, id', [clientId])).rows.map(toFunnelRow);
  }

  async getFunnel(clientId: string, funnelId: string): Promise<FunnelRow | null> {
    const row = (await this.query('SELECT * FROM client_funnels WHERE client_id = $1 AND id = $2', [clientId, funnelId])).rows[0];
    return row ? toFunnelRow(row) : null;
  }

  async updateFunnel(clientId: string, funnelId: string, changes: FunnelChanges, nameKey: string | undefined, updatedAt: number): Promise<FunnelRow | null> {
    try {
      const row = (
        await this.query(
          `UPDATE client_funnels SET name = COALESCE($3::text, name), name_key = COALESCE($4::text, name_key),
             steps = COALESCE($5::json, steps), window_seconds = COALESCE($6::integer, window_seconds), updated_at = $7
           WHERE client_id = $1 AND id = $2 RETURNING *`,
          [
            clientId,
            funnelId,
            changes.name ?? null,
            nameKey ?? null,
            changes.steps === undefined ? null : storable(changes.steps),
            changes.window_seconds ?? null,
            updatedAt,
          ],
        )
      ).rows[0];
      return row ? toFunnelRow(row) : null;
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async deleteFunnel(clientId: string, funnelId: string): Promise<boolean> {
    return ((await this.query('DELETE FROM client_funnels WHERE client_id = $1 AND id = $2', [clientId, funnelId])).rowCount ?? 0) > 0;
  }

  async insertWebhook(row: WebhookRow): Promise<'inserted' | 'no_client'> {
    try {
      await this.query(
        `INSERT INTO webhooks (id, url, events, client_id, description, secret_sealed, enabled, disabled_reason, consecutive_failures, failing_since, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          row.id, row.url, storable(row.events), row.client_id, row.description, row.secret_sealed, row.enabled, row.disabled_reason,
          row.consecutive_failures, row.failing_since, row.created_at, row.updated_at,
        ],
      );
      return 'inserted';
    } catch (error) {
      // The client named does not exist (or was deleted as the webhook was inserted).
      if (error instanceof pg.DatabaseError && error.code === '23503') return 'no_client';
      rethrowUnique(error);
    }
  }

  async getWebhook(id: string): Promise<WebhookRow | null> {
    const row = (await this.query('SELECT * FROM webhooks WHERE id = $1', [id])).rows[0];
    return row ? toWebhookRow(row) : null;
  }

  async listWebhooks(page: Page): Promise<PageOf<WebhookRow>> {
    const after = afterClause(page, 'webhooks', dollar, 0);
    const { total, rows } = await this.countAndPage('webhooks', 'webhooks', 'SELECT * FROM webhooks', { sql: 'TRUE', params: [] }, after, page);
    return { rows: rows.map(toWebhookRow), total };
  }

  async listEnabledWebhooks(): Promise<WebhookRow[]> {
    return (await this.query('SELECT * FROM webhooks WHERE enabled ORDER BY created_at, id')).rows.map(toWebhookRow);
  }

  async updateWebhook(id: string, changes: WebhookChanges, updatedAt: number): Promise<WebhookRow | null> {
    return (await this.update('webhooks', WEBHOOK_COLUMNS, id, { ...changes, updated_at: updatedAt })) ? this.getWebhook(id) : null;
  }

  async deleteWebhook(id: string): Promise<boolean> {
    return ((await this.query('DELETE FROM webhooks WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async noteWebhookOutcome(id: string, outcome: WebhookOutcome, at: number): Promise<WebhookRow | null> {
    const set = {
      delivered: 'consecutive_failures = 0, failing_since = NULL',
      attempt_failed: 'failing_since = COALESCE(failing_since, $2::BIGINT)',
      delivery_failed: 'consecutive_failures = consecutive_failures + 1, failing_since = COALESCE(failing_since, $2::BIGINT)',
    }[outcome];
    const params = outcome === 'delivered' ? [id] : [id, at];
    const row = (await this.query(`UPDATE webhooks SET ${set} WHERE id = $1 RETURNING *`, params)).rows[0];
    return row ? toWebhookRow(row) : null;
  }

  async insertDeliveries(rows: DeliveryRow[]): Promise<void> {
    if (rows.length === 0) return;
    // One statement for the batch: unnest of one array per column. Rows of a webhook deleted
    // meanwhile are dropped by the join rather than failing the others.
    const types = ['text', 'text', 'text', 'text', 'text', 'int', 'bigint', 'bigint', 'text', 'int', 'text', 'int', 'bigint', 'bigint', 'bigint'];
    const columns = DELIVERY_COLUMNS.join(', ');
    const arrays = DELIVERY_COLUMNS.map((column) => rows.map((row) => row[column]));
    await this.query(
      `INSERT INTO webhook_deliveries (${columns})
       SELECT ${DELIVERY_COLUMNS.map((c) => `u.${c}`).join(', ')}
       FROM unnest(${types.map((t, i) => `${dollar(i + 1)}::${t}[]`).join(', ')}) AS u(${columns})
       JOIN webhooks w ON w.id = u.webhook_id`,
      arrays,
    );
  }

  async getDelivery(id: string): Promise<DeliveryRow | null> {
    const row = (await this.query('SELECT * FROM webhook_deliveries WHERE id = $1', [id])).rows[0];
    return row ? toDeliveryRow(row) : null;
  }

  async listDeliveries(webhookId: string, page: Page): Promise<PageOf<DeliveryRow>> {
    const where = { sql: 'webhook_deliveries.webhook_id = $1', params: [webhookId] };
    const after = afterClause(page, 'webhook_deliveries', dollar, 1);
    const { total, rows } = await this.countAndPage('webhook_deliveries', 'webhook_deliveries', 'SELECT * FROM webhook_deliveries', where, after, page);
    return { rows: rows.map(toDeliveryRow), total };
  }

  async claimDueDeliveries(now: number, leaseUntil: number, owner: string, limit: number): Promise<DeliveryRow[]> {
    // SKIP LOCKED: a node claiming at the same moment takes other rows instead of waiting for these.
    // A MATERIALIZED CTE runs the locking SELECT once (as `IN (subquery)` it may run again and pass
    // its LIMIT); the outer conditions are checked again on each locked row.
    const result = await this.query(
      `WITH due AS MATERIALIZED (
         SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.enabled
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until <= $1)
         ORDER BY d.next_attempt_at LIMIT $4
         FOR UPDATE OF d SKIP LOCKED)
       UPDATE webhook_deliveries SET lease_until = $2, lease_owner = $3
       FROM due WHERE webhook_deliveries.id = due.id
         AND webhook_deliveries.status = 'pending' AND (webhook_deliveries.lease_until IS NULL OR webhook_deliveries.lease_until <= $1)
       RETURNING webhook_deliveries.*`,
      [now, leaseUntil, owner, limit],
    );
    return result.rows.map(toDeliveryRow).sort((a, b) => a.next_attempt_at - b.next_attempt_at);
  }

  async finishDelivery(id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean> {
    const result = await this.query(
      `UPDATE webhook_deliveries SET status = $3, attempts = $4, next_attempt_at = $5, last_status = $6, last_error = $7,
         last_duration_ms = $8::INTEGER, total_duration_ms = total_duration_ms + $8::INTEGER, finished_at = $9, lease_until = NULL, lease_owner = NULL
       WHERE id = $1 AND lease_owner = $2`,
      [id, owner, outcome.status, outcome.attempts, outcome.next_attempt_at, outcome.last_status, outcome.last_error, outcome.last_duration_ms, outcome.finished_at],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async pruneDeliveries(before: number): Promise<number> {
    return (await this.query('DELETE FROM webhook_deliveries WHERE finished_at IS NOT NULL AND finished_at < $1', [before])).rowCount ?? 0;
  }

  async insertLink(row: LinkRow): Promise<'inserted' | 'no_client'> {
    const insert = insertClause(row, LINK_COLUMNS, dollar);
    try {
      return await this.transaction(async (db): Promise<'inserted' | 'no_client'> => {
        if (row.client_id !== null) {
          // FOR SHARE: the client cannot be hard-deleted between this check and the insert.
          const client = await this.query('SELECT 1 FROM clients WHERE id = $1 FOR SHARE', [row.client_id], db);
          if (client.rowCount === 0) return 'no_client';
        }
        await this.query(`INSERT INTO links ${insert.sql}`, insert.params.map(storable), db);
        return 'inserted';
      });
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async getLink(id: string): Promise<LinkRow | null> {
    const row = (await this.query('SELECT * FROM links WHERE id = $1', [id])).rows[0];
    return row ? toLinkRow(row) : null;
  }

  async findLinkBySlug(slugKey: string): Promise<LinkRow | null> {
    const row = (await this.query('SELECT * FROM links WHERE slug_key = $1', [slugKey])).rows[0];
    return row ? toLinkRow(row) : null;
  }

  async listLinks(filter: LinkFilter, page: Page): Promise<PageOf<LinkRow>> {
    const where = linkWhere(filter, dollar, 'ILIKE', (p) => `EXISTS (SELECT 1 FROM json_array_elements_text(l.tags) AS t (value) WHERE t.value = ${p})`);
    const after = afterClause(page, 'l', dollar, where.params.length);
    const { total, rows } = await this.countAndPage('links l', 'l', 'SELECT l.* FROM links l', where, after, page);
    return { rows: rows.map(toLinkRow), total };
  }

  async updateLink(id: string, changes: LinkChanges, updatedAt: number): Promise<LinkRow | null> {
    return (await this.update('links', LINK_COLUMNS, id, { ...changes, updated_at: updatedAt })) ? this.getLink(id) : null;
  }

  async deleteLink(id: string): Promise<boolean> {
    return ((await this.query('DELETE FROM links WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async startMonitor(linkId: string, settings: MonitorSettings, now: number): Promise<MonitorRow | null> {
    // INSERT … SELECT FROM links: no row (and no foreign-key error) when the link does not exist.
    // SET reads the old row throughout, so the CASEs see whether the monitor was running.
    const row = (
      await this.query(
        `INSERT INTO uptime_monitors (link_id, interval_seconds, timeout_seconds, active, status, consecutive_failures, next_check_at, started_at)
         SELECT id, $2::integer, $3::integer, TRUE, 'unknown', 0, $4::bigint, $4::bigint FROM links WHERE id = $1
         ON CONFLICT (link_id) DO UPDATE SET
           interval_seconds = excluded.interval_seconds,
           timeout_seconds = excluded.timeout_seconds,
           status = CASE WHEN uptime_monitors.active THEN uptime_monitors.status ELSE 'unknown' END,
           consecutive_failures = CASE WHEN uptime_monitors.active THEN uptime_monitors.consecutive_failures ELSE 0 END,
           next_check_at = CASE WHEN uptime_monitors.active
             THEN LEAST(uptime_monitors.next_check_at, $4::bigint + excluded.interval_seconds::bigint * 1000) ELSE $4::bigint END,
           started_at = CASE WHEN uptime_monitors.active THEN uptime_monitors.started_at ELSE $4::bigint END,
           lease_owner = CASE WHEN uptime_monitors.active THEN uptime_monitors.lease_owner ELSE NULL END,
           lease_until = CASE WHEN uptime_monitors.active THEN uptime_monitors.lease_until ELSE NULL END,
           active = TRUE
         RETURNING *`,
        [linkId, settings.interval_seconds, settings.timeout_seconds, now],
      )
    ).rows[0];
    return row ? toMonitorRow(row) : null;
  }

  async stopMonitor(linkId: string): Promise<MonitorRow | null> {
    const row = (await this.query('UPDATE uptime_monitors SET active = FALSE WHERE link_id = $1 RETURNING *', [linkId])).rows[0];
    return row ? toMonitorRow(row) : null;
  }

  async getMonitor(linkId: string): Promise<MonitorRow | null> {
    const row = (await this.query('SELECT * FROM uptime_monitors WHERE link_id = $1', [linkId])).rows[0];
    return row ? toMonitorRow(row) : null;
  }

  async listChecks(linkId: string, limit: number): Promise<CheckRow[]> {
    return (await this.query('SELECT * FROM uptime_checks WHERE link_id = $1 ORDER BY id DESC LIMIT $2', [linkId, limit])).rows.map(toCheckRow);
  }

  async claimDueMonitors(now: number, owner: string, leaseMs: number, limit: number): Promise<DueMonitor[]> {
    // SKIP LOCKED: a node claiming at the same moment passes over the rows this statement locked;
    // once this one commits, the re-checked condition (lease_until > now) keeps it off them.
    // MATERIALIZED: the locking subquery runs once, so the join cannot re-scan it past its LIMIT.
    const result = await this.query(
      `WITH due AS MATERIALIZED (
         SELECT link_id FROM uptime_monitors
         WHERE active AND next_check_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
         ORDER BY next_check_at, link_id LIMIT $4
         FOR UPDATE SKIP LOCKED
       )
       UPDATE uptime_monitors m SET lease_until = $2, lease_owner = $3, next_check_at = $1::bigint + m.interval_seconds::bigint * 1000
       FROM due, links l
       WHERE m.link_id = due.link_id AND l.id = m.link_id
       RETURNING m.*, l.destination_url, l.client_id, l.slug`,
      [now, now + leaseMs, owner, limit],
    );
    return result.rows.map((row) => ({
      ...toMonitorRow(row),
      destination_url: String(row.destination_url),
      client_id: row.client_id === null ? null : String(row.client_id),
      slug: String(row.slug),
    }));
  }

  async recordCheck(owner: string, record: CheckRecord, keep: number): Promise<boolean> {
    const { check } = record;
    return this.transaction(async (db) => {
      const held = (
        await this.query(
          'UPDATE uptime_monitors SET lease_until = NULL, lease_owner = NULL WHERE link_id = $1 AND lease_owner = $2 RETURNING active',
          [check.link_id, owner],
          db,
        )
      ).rows[0];
      if (!held || held.active !== true) return false;
      await this.query(
        `UPDATE uptime_monitors SET status = $2, consecutive_failures = $3, next_check_at = $4,
           last_checked_at = $5, last_response_ms = $6, last_status_code = $7, last_error = $8
         WHERE link_id = $1`,
        [check.link_id, record.status, record.consecutive_failures, record.next_check_at, check.checked_at, check.response_ms, check.status_code, check.error],
        db,
      );
      await this.query(
        'INSERT INTO uptime_checks (link_id, checked_at, ok, status_code, response_ms, error) VALUES ($1, $2, $3, $4, $5, $6)',
        [check.link_id, check.checked_at, check.ok, check.status_code, check.response_ms, check.error],
        db,
      );
      await this.query(
        `DELETE FROM uptime_checks WHERE link_id = $1
           AND id <= (SELECT id FROM uptime_checks WHERE link_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`,
        [check.link_id, keep],
        db,
      );
      return true;
    });
  }

  // Pub/Sub. Several nodes share these rows. Staging is a compare-and-set on the cursor; leasing
  // holds the subscription row FOR UPDATE (see leaseMessages); the push claim uses SKIP LOCKED.

  async insertSubscription(row: SubscriptionRow): Promise<void> {
    try {
      await this.query(
        `INSERT INTO pubsub_subscriptions (${SUBSCRIPTION_COLUMNS.join(', ')}) VALUES (${SUBSCRIPTION_COLUMNS.map((_, i) => dollar(i + 1)).join(', ')})`,
        SUBSCRIPTION_COLUMNS.map((c) => storable(row[c])),
      );
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async getSubscription(id: string): Promise<SubscriptionRow | null> {
    const row = (await this.query('SELECT * FROM pubsub_subscriptions WHERE id = $1', [id])).rows[0];
    return row ? toSubscriptionRow(row) : null;
  }

  async listSubscriptions(page: Page): Promise<PageOf<SubscriptionRow>> {
    const after = afterClause(page, 'pubsub_subscriptions', dollar, 0);
    const { total, rows } = await this.countAndPage(
      'pubsub_subscriptions', 'pubsub_subscriptions', 'SELECT * FROM pubsub_subscriptions', { sql: 'TRUE', params: [] }, after, page,
    );
    return { rows: rows.map(toSubscriptionRow), total };
  }

  async updateSubscription(id: string, changes: SubscriptionChanges, updatedAt: number): Promise<SubscriptionRow | null> {
    const set = setClause({ ...changes, updated_at: updatedAt }, SUBSCRIPTION_CHANGE_COLUMNS, dollar);
    const row = (await this.query(`UPDATE pubsub_subscriptions SET ${set.sql} WHERE id = ${dollar(set.params.length + 1)} RETURNING *`, [...set.params.map(storable), id]))
      .rows[0];
    return row ? toSubscriptionRow(row) : null;
  }

  async deleteSubscription(id: string): Promise<boolean> {
    // Its messages go with it: ON DELETE CASCADE.
    return ((await this.query('DELETE FROM pubsub_subscriptions WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async stageMessages(subscriptionId: string, expectedCursor: number, newCursor: number, messages: MessageRow[], dropped: number): Promise<boolean> {
    return this.transaction(async (db) => {
      // The cursor first. Two nodes staging the same range: the second's UPDATE waits for the
      // first's row lock, then sees the moved cursor and matches nothing, so it writes nothing.
      const moved = await this.query(
        'UPDATE pubsub_subscriptions SET cursor_seq = GREATEST(cursor_seq, $2::BIGINT), dropped_messages = dropped_messages + $3 WHERE id = $1 AND cursor_seq = $4',
        [subscriptionId, newCursor, dropped, expectedCursor],
        db,
      );
      if ((moved.rowCount ?? 0) === 0) return false;
      if (messages.length === 0) return true;
      // FOR KEY SHARE: a client cannot be hard-deleted between this look and the insert (its
      // messages would then fail the foreign key); one deleted before is skipped.
      const clientIds = [...new Set(messages.map((m) => m.client_id))];
      const live = new Set(
        (await this.query('SELECT id FROM clients WHERE id = ANY($1::text[]) FOR KEY SHARE', [clientIds], db)).rows.map((r) => String(r.id)),
      );
      const kept = messages.filter((m) => live.has(m.client_id));
      if (kept.length === 0) return true;
      const types = ['text', 'text', 'bigint', 'text', 'bigint', 'text', 'int', 'text', 'bigint', 'bigint', 'text'];
      const columns = MESSAGE_COLUMNS.join(', ');
      await this.query(
        `INSERT INTO pubsub_messages (${columns})
         SELECT * FROM unnest(${types.map((t, i) => `${dollar(i + 1)}::${t}[]`).join(', ')}) AS u(${columns})
         ON CONFLICT (subscription_id, message_id) DO NOTHING`,
        MESSAGE_COLUMNS.map((column) => kept.map((m) => (column === 'subscription_id' ? subscriptionId : m[column]))),
        db,
      );
      return true;
    });
  }

  async dropStaleMessages(subscriptionId: string, before: number): Promise<number> {
    return this.transaction(async (db) => {
      // The subscription row first, as leaseMessages locks it: deleting messages first and then
      // updating the row deadlocks with a lease of the same subscription on another node.
      await this.query('SELECT 1 FROM pubsub_subscriptions WHERE id = $1 FOR NO KEY UPDATE', [subscriptionId], db);
      const deleted = (await this.query('DELETE FROM pubsub_messages WHERE subscription_id = $1 AND dead_at IS NULL AND publish_time < $2', [subscriptionId, before], db))
        .rowCount ?? 0;
      if (deleted > 0) await this.query('UPDATE pubsub_subscriptions SET dropped_messages = dropped_messages + $2 WHERE id = $1', [subscriptionId, deleted], db);
      return deleted;
    });
  }

  async backlogCounts(subscriptionId: string, now: number): Promise<BacklogCounts> {
    const row = (await this.query(backlogSql({ sub: '$1', now: '$2::BIGINT' }), [subscriptionId, now])).rows[0] ?? {};
    return { available: toNumber(row.available), in_flight: toNumber(row.in_flight), dead: toNumber(row.dead), oldest_publish_time: row.oldest === null || row.oldest === undefined ? null : toNumber(row.oldest) };
  }

  /**
   * Holds the subscription row FOR UPDATE while it leases: the simplest way that is correct with
   * several callers. SKIP LOCKED on the messages alone would keep two callers from taking one
   * message, but not from each taking one message of the same client (neither sees the other's
   * uncommitted lease), which would break the per-client order. Lease steps of one subscription
   * are short (two statements over at most the staged window) and run one at a time; other
   * subscriptions lease in parallel. modifyAckDeadline takes the same row FOR KEY SHARE for the
   * same reason (a deadline moved under a running lease could hand a client to two holders).
   */
  async leaseMessages(subscriptionId: string, now: number, leaseUntil: number, max: number, maxDeliveryAttempts: number, newAckId: () => string): Promise<MessageRow[]> {
    return this.transaction(async (db) => {
      const held = await this.query('SELECT 1 FROM pubsub_subscriptions WHERE id = $1 FOR UPDATE', [subscriptionId], db);
      if (held.rowCount === 0) return [];
      await this.query(deadLetterExpiredSql({ sub: '$1', now: '$2::BIGINT', max: '$3::INTEGER' }), [subscriptionId, now, maxDeliveryAttempts], db);
      const candidates = (await this.query(leaseCandidatesSql({ sub: '$1', now: '$2::BIGINT', max: '$3::INTEGER' }), [subscriptionId, now, max], db)).rows;
      if (candidates.length === 0) return [];
      const ids = candidates.map((c) => String(c.message_id));
      const leased = await this.query(
        `UPDATE pubsub_messages m SET delivery_attempt = m.delivery_attempt + 1, ack_id = u.ack_id, lease_until = $2
         FROM unnest($3::text[], $4::text[]) AS u(message_id, ack_id)
         WHERE m.subscription_id = $1 AND m.message_id = u.message_id
         RETURNING m.*`,
        [subscriptionId, leaseUntil, ids, ids.map(() => newAckId())],
        db,
      );
      return leased.rows.map(toMessageRow).sort((a, b) => a.seq - b.seq || (a.message_id < b.message_id ? -1 : 1));
    });
  }

  async acknowledge(subscriptionId: string, ackIds: string[]): Promise<number> {
    if (ackIds.length === 0) return 0;
    // No subscription lock: a lease racing this DELETE either re-leases the row first (the ack id
    // then no longer matches when the DELETE re-checks it) or finds it gone.
    return (await this.query('DELETE FROM pubsub_messages WHERE subscription_id = $1 AND dead_at IS NULL AND ack_id = ANY($2::text[])', [subscriptionId, ackIds]))
      .rowCount ?? 0;
  }

  async modifyAckDeadline(subscriptionId: string, ackIds: string[], leaseUntil: number): Promise<number> {
    if (ackIds.length === 0) return 0;
    return this.transaction(async (db) => {
      await this.query('SELECT 1 FROM pubsub_subscriptions WHERE id = $1 FOR KEY SHARE', [subscriptionId], db);
      const moved = await this.query(
        'UPDATE pubsub_messages SET lease_until = $3 WHERE subscription_id = $1 AND dead_at IS NULL AND ack_id = ANY($2::text[])',
        [subscriptionId, ackIds, leaseUntil],
        db,
      );
      return moved.rowCount ?? 0;
    });
  }

  async noteDeliveryError(subscriptionId: string, ackIds: string[], error: string): Promise<void> {
    if (ackIds.length === 0) return;
    await this.query('UPDATE pubsub_messages SET last_error = $3 WHERE subscription_id = $1 AND dead_at IS NULL AND ack_id = ANY($2::text[])', [subscriptionId, ackIds, error]);
  }

  async listDeadLetters(subscriptionId: string, page: Page): Promise<PageOf<MessageRow>> {
    return this.transaction(
      async (db) => {
        const total = await this.query('SELECT COUNT(*) AS n FROM pubsub_messages WHERE subscription_id = $1 AND dead_at IS NOT NULL', [subscriptionId], db);
        // Keyset on (dead_at, message_id) when the page names the last row seen (its created_at and id).
        const after = page.after === undefined ? '' : 'AND (dead_at < $4 OR (dead_at = $4 AND message_id < $5))';
        const rows = await this.query(
          `SELECT * FROM pubsub_messages WHERE subscription_id = $1 AND dead_at IS NOT NULL ${after}
           ORDER BY dead_at DESC, message_id DESC LIMIT $2 OFFSET $3`,
          [subscriptionId, page.limit, page.offset ?? 0, ...(page.after === undefined ? [] : [page.after.created_at, page.after.id])],
          db,
        );
        return { rows: rows.rows.map(toMessageRow), total: toNumber(total.rows[0]?.n) };
      },
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
  }

  async replayDeadLetters(subscriptionId: string, messageIds: string[] | null): Promise<number> {
    const only = messageIds === null ? '' : 'AND message_id = ANY($2::text[])';
    const result = await this.query(
      `UPDATE pubsub_messages SET dead_at = NULL, delivery_attempt = 0, ack_id = NULL, lease_until = NULL, last_error = NULL
       WHERE subscription_id = $1 AND dead_at IS NOT NULL ${only}`,
      messageIds === null ? [subscriptionId] : [subscriptionId, messageIds],
    );
    return result.rowCount ?? 0;
  }

  async claimPushSubscriptions(now: number, owner: string, leaseUntil: number, limit: number): Promise<SubscriptionRow[]> {
    // SKIP LOCKED: a node claiming at the same moment takes other subscriptions instead of waiting
    // for these; the outer conditions are checked again on each locked row (see claimDueDeliveries).
    const result = await this.query(
      `WITH due AS MATERIALIZED (
         SELECT s.id FROM pubsub_subscriptions s WHERE ${PUSH_DUE('$1::BIGINT')}
         ORDER BY ${PUSH_CLAIM_ORDER()} LIMIT $4
         FOR UPDATE SKIP LOCKED)
       UPDATE pubsub_subscriptions s SET lease_owner = $2, lease_until = $3
       FROM due WHERE s.id = due.id AND ${PUSH_DUE('$1::BIGINT')}
       RETURNING s.*`,
      [now, owner, leaseUntil, limit],
    );
    return result.rows.map(toSubscriptionRow).sort(byDueThenId);
  }

  async finishPush(subscriptionId: string, owner: string, outcome: PushOutcome): Promise<boolean> {
    const result = await this.query(
      `UPDATE pubsub_subscriptions SET push_last_status = $3, push_last_error = $4, push_last_attempt_at = $5, push_next_attempt_at = $6,
         push_failures = $7, lease_owner = NULL
       WHERE id = $1 AND lease_owner = $2`,
      [subscriptionId, owner, outcome.status, outcome.error, outcome.attempted_at, outcome.next_attempt_at, outcome.failures],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async expireDeadLetters(subscriptionId: string, deadBefore: number, keep: number): Promise<number> {
    return this.transaction(async (db) => {
      // The subscription row first, as leaseMessages and dropStaleMessages lock it (see there).
      const exists = await this.query('SELECT 1 FROM pubsub_subscriptions WHERE id = $1 FOR NO KEY UPDATE', [subscriptionId], db);
      if ((exists.rowCount ?? 0) === 0) return 0;
      const old = await this.query('DELETE FROM pubsub_messages WHERE subscription_id = $1 AND dead_at IS NOT NULL AND dead_at < $2', [subscriptionId, deadBefore], db);
      const over = await this.query(
        `DELETE FROM pubsub_messages WHERE subscription_id = $1 AND message_id IN (
           SELECT message_id FROM pubsub_messages WHERE subscription_id = $1 AND dead_at IS NOT NULL
           ORDER BY dead_at DESC, message_id DESC OFFSET $2)`,
        [subscriptionId, Math.max(0, Math.floor(keep))],
        db,
      );
      const deleted = (old.rowCount ?? 0) + (over.rowCount ?? 0);
      if (deleted > 0) await this.query('UPDATE pubsub_subscriptions SET dropped_messages = dropped_messages + $2 WHERE id = $1', [subscriptionId, deleted], db);
      return deleted;
    });
  }

  async insertMcpKey(row: McpKeyRow): Promise<void> {
    try {
      await this.query(
        `INSERT INTO mcp_keys (id, name, key_hash, key_last4, scopes, client_ids, expires_at, revoked_at, last_used_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [row.id, row.name, row.key_hash, row.key_last4, storable(row.scopes), storable(row.client_ids), row.expires_at, row.revoked_at, row.last_used_at, row.created_at],
      );
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async getMcpKey(id: string): Promise<McpKeyRow | null> {
    const row = (await this.query('SELECT * FROM mcp_keys WHERE id = $1', [id])).rows[0];
    return row ? toMcpKeyRow(row) : null;
  }

  async listMcpKeys(page: Page): Promise<PageOf<McpKeyRow>> {
    const after = afterClause(page, 'mcp_keys', dollar, 0);
    const { total, rows } = await this.countAndPage('mcp_keys', 'mcp_keys', 'SELECT * FROM mcp_keys', { sql: 'TRUE', params: [] }, after, page);
    return { rows: rows.map(toMcpKeyRow), total };
  }

  async findMcpKeyByHash(keyHash: string): Promise<McpKeyRow | null> {
    const row = (await this.query('SELECT * FROM mcp_keys WHERE key_hash = $1', [keyHash])).rows[0];
    return row ? toMcpKeyRow(row) : null;
  }

  async revokeMcpKey(id: string, at: number): Promise<McpKeyRow | null> {
    // COALESCE: a second revocation keeps the first instant, in one statement (nodes may race).
    const row = (await this.query('UPDATE mcp_keys SET revoked_at = COALESCE(revoked_at, $2::BIGINT) WHERE id = $1 RETURNING *', [id, at])).rows[0];
    return row ? toMcpKeyRow(row) : null;
  }

  async touchMcpKey(id: string, at: number): Promise<void> {
    await this.query('UPDATE mcp_keys SET last_used_at = $2 WHERE id = $1', [id, at]);
  }
}
