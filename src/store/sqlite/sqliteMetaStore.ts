import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
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
import { SQLITE_MIGRATIONS } from './migrations.js';
import type { RegexVerdict } from '../../validation/safeRegex.js';

type Row = Record<string, unknown>;

const UNIQUE_COLUMNS: Record<string, UniqueField> = {
  'clients.id': 'id',
  'clients.domain': 'domain',
  'clients.global_name': 'global_name',
  'agencies.name_key': 'name',
  'agencies.id': 'id',
  'client_keys.key_hash': 'key',
  'client_hostnames.hostname': 'hostname',
  'client_funnels.client_id, client_funnels.name_key': 'name',
  'client_funnels.id': 'id',
  'links.slug_key': 'slug',
  'links.id': 'id',
  'mcp_keys.id': 'id',
  'mcp_keys.key_hash': 'key',
  'pubsub_subscriptions.name_key': 'name',
  'pubsub_subscriptions.id': 'id',
};

/**
 * Maps SQLite's "UNIQUE constraint failed: clients.domain" (or, for an index of several columns,
 * "…: client_funnels.client_id, client_funnels.name_key") onto the field that collided.
 */
function uniqueViolationOf(error: unknown): UniqueViolation | null {
  if (!(error instanceof Database.SqliteError)) return null;
  if (error.code !== 'SQLITE_CONSTRAINT_UNIQUE' && error.code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return null;
  const column = /failed: (.+)$/.exec(error.message)?.[1] ?? '';
  const field = UNIQUE_COLUMNS[column];
  return field ? new UniqueViolation(field) : null;
}

function rethrowUnique(error: unknown): never {
  throw uniqueViolationOf(error) ?? error;
}

const named = (n: number): string => `@p${n}`;
/** Named bindings for `@pN` placeholders, values converted to what SQLite stores. */
const bindings = (params: unknown[]): Record<string, unknown> =>
  Object.fromEntries(params.map((value, i) => [`p${i + 1}`, storable(value)]));

function toClientRow(row: Row): ClientRow {
  return {
    ...(row as unknown as ClientRow),
    status: row.status === 1,
    api_metadata: JSON.parse(String(row.api_metadata)) as Record<string, unknown>,
    sdk_settings: JSON.parse(String(row.sdk_settings)) as ClientRow['sdk_settings'],
  };
}

function toTagRow(row: Row): TagRow {
  return {
    tag_id: String(row.tag_id),
    enabled: row.enabled === 1,
    params: JSON.parse(String(row.params)) as TagRow['params'],
    trigger_rules: JSON.parse(String(row.trigger_rules)) as TagRow['trigger_rules'],
  };
}

function toSnippetRow(row: Row): SnippetRow {
  return {
    id: String(row.id),
    code: String(row.code),
    description: String(row.description),
    enabled: row.enabled === 1,
    trigger_rules: JSON.parse(String(row.trigger_rules)) as SnippetRow['trigger_rules'],
  };
}

function toFunnelRow(row: Row): FunnelRow {
  return {
    id: String(row.id),
    client_id: String(row.client_id),
    name: String(row.name),
    steps: JSON.parse(String(row.steps)) as FunnelRow['steps'],
    window_seconds: Number(row.window_seconds),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

function toWebhookRow(row: Row): WebhookRow {
  return {
    id: String(row.id),
    url: String(row.url),
    events: JSON.parse(String(row.events)) as string[],
    client_id: row.client_id === null ? null : String(row.client_id),
    description: row.description === null ? null : String(row.description),
    secret_sealed: String(row.secret_sealed),
    enabled: row.enabled === 1,
    disabled_reason: row.disabled_reason === null ? null : String(row.disabled_reason),
    consecutive_failures: Number(row.consecutive_failures),
    failing_since: row.failing_since === null ? null : Number(row.failing_since),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

function toMcpKeyRow(row: Row): McpKeyRow {
  return {
    id: String(row.id),
    name: String(row.name),
    key_hash: String(row.key_hash),
    key_last4: String(row.key_last4),
    scopes: JSON.parse(String(row.scopes)) as McpKeyRow['scopes'],
    client_ids: row.client_ids === null ? null : (JSON.parse(String(row.client_ids)) as string[]),
    expires_at: numberOrNull(row.expires_at),
    revoked_at: numberOrNull(row.revoked_at),
    last_used_at: numberOrNull(row.last_used_at),
    created_at: Number(row.created_at),
  };
}

const toDeliveryRow = (row: Row): DeliveryRow => row as unknown as DeliveryRow;

/** Columns of webhooks a change may name. */
const WEBHOOK_COLUMNS: ReadonlySet<string> = new Set([
  'url', 'events', 'description', 'secret_sealed', 'enabled', 'disabled_reason', 'consecutive_failures', 'failing_since', 'updated_at',
]);

function toLinkRow(row: Row): LinkRow {
  return {
    id: String(row.id),
    client_id: row.client_id === null ? null : String(row.client_id),
    slug: String(row.slug),
    slug_key: String(row.slug_key),
    destination_url: String(row.destination_url),
    title: row.title === null ? null : String(row.title),
    tags: JSON.parse(String(row.tags)) as string[],
    metadata: JSON.parse(String(row.metadata)) as Record<string, unknown>,
    password_hash: row.password_hash === null ? null : String(row.password_hash),
    expires_at: row.expires_at === null ? null : Number(row.expires_at),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function toMonitorRow(row: Row): MonitorRow {
  return {
    link_id: String(row.link_id),
    interval_seconds: Number(row.interval_seconds),
    timeout_seconds: Number(row.timeout_seconds),
    active: row.active === 1,
    status: row.status as MonitorStatus,
    consecutive_failures: Number(row.consecutive_failures),
    last_checked_at: numberOrNull(row.last_checked_at),
    last_response_ms: numberOrNull(row.last_response_ms),
    last_status_code: numberOrNull(row.last_status_code),
    last_error: row.last_error === null ? null : String(row.last_error),
    next_check_at: Number(row.next_check_at),
    lease_until: numberOrNull(row.lease_until),
    lease_owner: row.lease_owner === null ? null : String(row.lease_owner),
    started_at: Number(row.started_at),
  };
}

function toCheckRow(row: Row): CheckRow {
  return {
    link_id: String(row.link_id),
    checked_at: Number(row.checked_at),
    ok: row.ok === 1,
    status_code: numberOrNull(row.status_code),
    response_ms: numberOrNull(row.response_ms),
    error: row.error === null ? null : String(row.error),
  };
}

function toAgencyRow(row: Row): AgencyRow {
  return { ...(row as unknown as AgencyRow), metadata: JSON.parse(String(row.metadata)) as Record<string, unknown> };
}

function toKeyRow(row: Row): KeyRow {
  return row as unknown as KeyRow;
}

/** Values as SQLite stores them: booleans as 0/1, objects as JSON text. */
function storable(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value;
}

/**
 * The not-dead messages of subscription @sub with the ack ids of @acks (a JSON list): found
 * through the ack id index. Left to itself SQLite (no ANALYZE statistics) took the subscription's
 * index and read every staged message of it (1,000) to acknowledge 100; the unary `+` keeps those
 * two terms off the index choice, and `ack_id IS NOT NULL` lets it use the partial index.
 */
const BY_ACK_IDS = 'ack_id IN (SELECT value FROM json_each(@acks)) AND ack_id IS NOT NULL AND +subscription_id = @sub AND +dead_at IS NULL';

export class SqliteMetaStore implements MetaStore {
  readonly engine = 'sqlite' as const;
  private readonly db: Database.Database;
  /** Prepared once per SQL text: preparing costs more than running these point lookups. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: a transaction acknowledged to a caller survives power loss, not only a process crash.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // One process owns the embedded store. Holding the lock for good spares every statement the
    // shared-memory locking of WAL mode (a third of a point lookup's cost) and keeps a second
    // server from opening the same data dir. Other engines serve several processes: PostgreSQL.
    this.db.pragma('locking_mode = EXCLUSIVE');
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async migrate(): Promise<void> {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const applied = new Set(
      this.db.prepare('SELECT version FROM schema_migrations').all().map((r) => (r as Row).version as number),
    );
    for (const migration of SQLITE_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      // IMMEDIATE takes the write lock up front, so two processes cannot apply the same migration.
      this.db.transaction(() => {
        const again = this.db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
        if (again) return;
        this.db.exec(migration.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, Date.now());
      }).immediate();
    }
  }

  async ping(): Promise<void> {
    this.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async insertClient(client: ClientFields, keys: KeyRow[]): Promise<void> {
    const insert = insertClause(client, CLIENT_COLUMNS, named);
    try {
      this.db.transaction(() => {
        this.prepare(`INSERT INTO clients ${insert.sql}`).run(bindings(insert.params));
        for (const key of keys) this.insertKey(key);
      })();
    } catch (error) {
      rethrowUnique(error);
    }
  }

  private insertKey(key: KeyRow): void {
    this.prepare(
        `INSERT INTO client_keys (id, client_id, kind, key_hash, publishable_key, last4, created_at, expires_at, last_used_at)
         VALUES (@id, @client_id, @kind, @key_hash, @publishable_key, @last4, @created_at, @expires_at, @last_used_at)`,
      )
      .run(key);
  }

  async getClient(id: string): Promise<ClientRow | null> {
    const row = this.prepare(`${CLIENT_SELECT} WHERE c.id = ?`).get(id) as Row | undefined;
    return row ? toClientRow(row) : null;
  }

  async clientLives(ids: string[]): Promise<Map<string, number>> {
    const lives = new Map<string, number>();
    if (ids.length === 0) return lives;
    // json_each: one statement for any number of ids (no limit on bound parameters to meet).
    const rows = this.prepare('SELECT id, created_at FROM clients WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as { id: string; created_at: number }[];
    for (const row of rows) lives.set(row.id, Number(row.created_at));
    return lives;
  }

  async listClients(filter: ClientFilter, page: Page): Promise<PageOf<ClientRow>> {
    const where = clientWhere(filter, named, 'LIKE', (b) => (b ? 1 : 0));
    const after = afterClause(page, 'c', named, where.params.length);
    const { total, rows } = this.countAndPage('clients c', 'c', CLIENT_SELECT, where, after, page);
    return { rows: rows.map(toClientRow), total };
  }

  /** The number of matches and one page of them (synchronous calls: nothing writes in between). */
  private countAndPage(from: string, table: string, select: string, where: SqlPiece, after: SqlPiece, page: Page): { total: number; rows: Row[] } {
    const total = this.prepare(`SELECT COUNT(*) AS n FROM ${from} WHERE ${where.sql}`).get(bindings(where.params)) as Row;
    const rows = this.pageRows(`${select} WHERE ${where.sql} AND ${after.sql}`, table, [...where.params, ...after.params], page);
    return { total: Number(total.n), rows };
  }

  private pageRows(select: string, table: string, params: unknown[], page: Page): Row[] {
    const sql = `${select} ORDER BY ${table}.created_at DESC, ${table}.id DESC LIMIT @limit OFFSET @offset`;
    return this.prepare(sql).all({ ...bindings(params), limit: page.limit, offset: page.offset ?? 0 }) as Row[];
  }

  async updateClient(id: string, changes: ClientChanges, updatedAt: number): Promise<ClientRow | null> {
    return this.update('clients', CLIENT_COLUMNS, id, { ...changes, updated_at: updatedAt }) ? this.getClient(id) : null;
  }

  /** Applies `values` to the row `id` of `table`; false when there is no such row. */
  private update(table: string, columns: ReadonlySet<string>, id: string, values: Record<string, unknown>): boolean {
    const set = setClause(values, columns, named);
    try {
      return this.prepare(`UPDATE ${table} SET ${set.sql} WHERE id = @id`).run({ ...bindings(set.params), id }).changes > 0;
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async deleteClient(id: string): Promise<boolean> {
    // The allow lists naming it (MCP keys, subscription filters) lose it in the same transaction:
    // a client created later with the same id is another tenant, never theirs. An emptied list
    // means no client (null is every client).
    const keys = this.prepare(
      `SELECT id, client_ids FROM mcp_keys WHERE client_ids IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(mcp_keys.client_ids) WHERE value = ?)`,
    );
    const subscriptions = this.prepare(
      `SELECT id, filter FROM pubsub_subscriptions WHERE EXISTS (SELECT 1 FROM json_each(pubsub_subscriptions.filter, '$.client_ids') WHERE value = ?)`,
    );
    return this.db.transaction(() => {
      for (const row of keys.all(id) as Row[]) {
        const kept = (JSON.parse(String(row.client_ids)) as string[]).filter((clientId) => clientId !== id);
        this.prepare('UPDATE mcp_keys SET client_ids = ? WHERE id = ?').run(JSON.stringify(kept), row.id);
      }
      for (const row of subscriptions.all(id) as Row[]) {
        const filter = JSON.parse(String(row.filter)) as SubscriptionFilter;
        const kept = { ...filter, client_ids: (filter.client_ids ?? []).filter((clientId) => clientId !== id) };
        this.prepare('UPDATE pubsub_subscriptions SET filter = ? WHERE id = ?').run(JSON.stringify(kept), row.id);
      }
      return this.prepare('DELETE FROM clients WHERE id = ?').run(id).changes > 0;
    }).immediate();
  }

  async rotateKeys(clientId: string, kinds: KeyKind[], newKeys: KeyRow[], expireOldAt: number, updatedAt: number): Promise<boolean> {
    const expire = this.prepare(
      `UPDATE client_keys SET expires_at = @at
       WHERE client_id = @client AND kind = @kind AND (expires_at IS NULL OR expires_at > @at)`,
    );
    try {
      return this.db.transaction(() => {
        const touched = this.prepare('UPDATE clients SET updated_at = ? WHERE id = ?').run(updatedAt, clientId);
        if (touched.changes === 0) return false;
        for (const kind of kinds) expire.run({ at: expireOldAt, client: clientId, kind });
        for (const key of newKeys) this.insertKey(key);
        return true;
      }).immediate();
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async listActiveKeys(clientId: string, now: number): Promise<KeyRow[]> {
    const rows = this.prepare(
        `SELECT * FROM client_keys WHERE client_id = ? AND (expires_at IS NULL OR expires_at > ?)
         ORDER BY created_at DESC, id DESC`,
      )
      .all(clientId, now) as Row[];
    return rows.map(toKeyRow);
  }

  async findKeyByHash(keyHash: string): Promise<KeyMatch | null> {
    const row = this.prepare(
        `SELECT k.*, c.status AS client_status FROM client_keys k JOIN clients c ON c.id = k.client_id
         WHERE k.key_hash = ?`,
      )
      .get(keyHash) as Row | undefined;
    return row ? { ...toKeyRow(row), client_status: row.client_status === 1 } : null;
  }

  async touchKey(keyId: string, usedAt: number): Promise<void> {
    this.prepare('UPDATE client_keys SET last_used_at = ? WHERE id = ?').run(usedAt, keyId);
  }

  async insertAgency(agency: AgencyFields, nameKey: string): Promise<void> {
    const insert = insertClause({ ...agency, name_key: nameKey }, AGENCY_COLUMNS, named);
    try {
      this.prepare(`INSERT INTO agencies ${insert.sql}`).run(bindings(insert.params));
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async getAgency(id: string): Promise<AgencyRow | null> {
    const row = this.prepare(`${AGENCY_SELECT} WHERE a.id = ?`).get(id) as Row | undefined;
    return row ? toAgencyRow(row) : null;
  }

  async listAgencies(filter: AgencyFilter, page: Page): Promise<PageOf<AgencyRow>> {
    const where = agencyWhere(filter, named, 'LIKE');
    const after = afterClause(page, 'a', named, where.params.length);
    const { total, rows } = this.countAndPage('agencies a', 'a', AGENCY_SELECT, where, after, page);
    return { rows: rows.map(toAgencyRow), total };
  }

  async updateAgency(id: string, changes: AgencyChanges, nameKey: string | undefined, updatedAt: number): Promise<AgencyRow | null> {
    const values: Record<string, unknown> = { ...changes, updated_at: updatedAt };
    if (nameKey !== undefined) values.name_key = nameKey;
    return this.update('agencies', AGENCY_COLUMNS, id, values) ? this.getAgency(id) : null;
  }

  async deleteAgency(id: string, detachClients: boolean, updatedAt: number): Promise<AgencyDeletion> {
    return this.db.transaction((): AgencyDeletion => {
      const exists = this.prepare('SELECT 1 FROM agencies WHERE id = ?').get(id);
      if (!exists) return { outcome: 'not_found' };
      const count = Number((this.prepare('SELECT COUNT(*) AS n FROM clients WHERE agency_id = ?').get(id) as Row).n);
      if (count > 0 && !detachClients) return { outcome: 'has_clients', client_count: count };
      this.prepare('UPDATE clients SET agency_id = NULL, updated_at = ? WHERE agency_id = ?').run(updatedAt, id);
      this.prepare('DELETE FROM agencies WHERE id = ?').run(id);
      return { outcome: 'deleted', detached: count };
    }).immediate();
  }

  /** Moves the client's updated_at; false when there is no such client. Runs inside the caller's transaction. */
  private touchClient(clientId: string, updatedAt: number): boolean {
    return this.prepare('UPDATE clients SET updated_at = ? WHERE id = ?').run(updatedAt, clientId).changes > 0;
  }

  async replaceTags(clientId: string, tags: TagRow[], updatedAt: number): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.touchClient(clientId, updatedAt)) return false;
      this.prepare('DELETE FROM client_tags WHERE client_id = ?').run(clientId);
      const insert = this.prepare(
        `INSERT INTO client_tags (client_id, position, tag_id, enabled, params, trigger_rules)
         VALUES (@client_id, @position, @tag_id, @enabled, @params, @trigger_rules)`,
      );
      tags.forEach((tag, position) => {
        insert.run({
          client_id: clientId,
          position,
          tag_id: tag.tag_id,
          enabled: storable(tag.enabled),
          params: storable(tag.params),
          trigger_rules: storable(tag.trigger_rules),
        });
      });
      return true;
    }).immediate();
  }

  async listTags(clientId: string): Promise<TagRow[]> {
    const rows = this.prepare('SELECT * FROM client_tags WHERE client_id = ? ORDER BY position').all(clientId) as Row[];
    return rows.map(toTagRow);
  }

  async replaceSnippets(clientId: string, snippets: SnippetRow[], updatedAt: number): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.touchClient(clientId, updatedAt)) return false;
      this.prepare('DELETE FROM client_snippets WHERE client_id = ?').run(clientId);
      const insert = this.prepare(
        `INSERT INTO client_snippets (id, client_id, position, code, description, enabled, trigger_rules)
         VALUES (@id, @client_id, @position, @code, @description, @enabled, @trigger_rules)`,
      );
      snippets.forEach((snippet, position) => {
        insert.run({
          id: snippet.id,
          client_id: clientId,
          position,
          code: snippet.code,
          description: snippet.description,
          enabled: storable(snippet.enabled),
          trigger_rules: storable(snippet.trigger_rules),
        });
      });
      return true;
    }).immediate();
  }

  async listSnippets(clientId: string): Promise<SnippetRow[]> {
    const rows = this.prepare('SELECT * FROM client_snippets WHERE client_id = ? ORDER BY position').all(clientId) as Row[];
    return rows.map(toSnippetRow);
  }

  async regexVerdicts(judging: string, patterns: readonly string[]): Promise<Map<string, boolean>> {
    const rows = this.prepare('SELECT pattern, safe FROM regex_verdicts WHERE judging = ? AND pattern IN (SELECT value FROM json_each(?))').all(
      judging,
      JSON.stringify(patterns),
    ) as { pattern: string; safe: number }[];
    return new Map(rows.map((row) => [row.pattern, row.safe === 1]));
  }

  async saveRegexVerdicts(judging: string, verdicts: readonly RegexVerdict[]): Promise<void> {
    const insert = this.prepare('INSERT INTO regex_verdicts (judging, pattern, safe) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    this.db.transaction(() => {
      for (const [pattern, safe] of verdicts) insert.run(judging, pattern, safe ? 1 : 0);
    })();
  }

  async addHostname(row: HostnameRow): Promise<boolean> {
    try {
      return this.db.transaction(() => {
        if (!this.prepare('SELECT 1 FROM clients WHERE id = ?').get(row.client_id)) return false;
        // A client's domain is taken for every other purpose too; no index spans both tables.
        if (this.prepare('SELECT 1 FROM clients WHERE domain = ?').get(row.hostname)) throw new UniqueViolation('hostname');
        this.prepare('INSERT INTO client_hostnames (hostname, client_id, created_at) VALUES (@hostname, @client_id, @created_at)').run(row);
        return true;
      }).immediate();
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async addSharedHostname(row: HostnameRow): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.prepare('SELECT 1 FROM clients WHERE id = ?').get(row.client_id)) return false;
      this.prepare(
        'INSERT INTO client_local_hosts (hostname, client_id, created_at) VALUES (@hostname, @client_id, @created_at) ON CONFLICT DO NOTHING',
      ).run(row);
      return true;
    }).immediate();
  }

  async listHostnames(clientId: string): Promise<HostnameRow[]> {
    return this.prepare(
      `SELECT hostname, client_id, created_at FROM client_hostnames WHERE client_id = @clientId
       UNION ALL
       SELECT hostname, client_id, created_at FROM client_local_hosts WHERE client_id = @clientId
       ORDER BY created_at, hostname`,
    ).all({ clientId }) as HostnameRow[];
  }

  async hasHostname(clientId: string, hostname: string): Promise<boolean> {
    const found = this.prepare(
      `SELECT 1 FROM client_hostnames WHERE client_id = @clientId AND hostname = @hostname
       UNION ALL
       SELECT 1 FROM client_local_hosts WHERE client_id = @clientId AND hostname = @hostname`,
    ).get({ clientId, hostname });
    return found !== undefined;
  }

  async deleteHostname(clientId: string, hostname: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.prepare('DELETE FROM hostname_first_events WHERE client_id = ? AND hostname = ?').run(clientId, hostname);
      const local = this.prepare('DELETE FROM client_local_hosts WHERE client_id = ? AND hostname = ?').run(clientId, hostname).changes;
      return local + this.prepare('DELETE FROM client_hostnames WHERE client_id = ? AND hostname = ?').run(clientId, hostname).changes > 0;
    }).immediate();
  }

  async findHostnameOwner(hostname: string): Promise<HostnameOwner | null> {
    const row = this.prepare(hostnameOwnerSql('@hostname')).get({ hostname }) as HostnameOwner | undefined;
    return row ?? null;
  }

  async recordFirstEvent(clientId: string, hostname: string, at: number, life?: number): Promise<void> {
    this.prepare(
      `INSERT INTO hostname_first_events (client_id, hostname, first_event_at)
       SELECT @clientId, @hostname, @at WHERE EXISTS (SELECT 1 FROM clients WHERE id = @clientId AND (@life IS NULL OR created_at = @life))
       ON CONFLICT (client_id, hostname) DO NOTHING`,
    ).run({ clientId, hostname, at, life: life ?? null });
  }

  async listFirstEvents(clientId: string): Promise<FirstEventRow[]> {
    return this.prepare('SELECT hostname, first_event_at FROM hostname_first_events WHERE client_id = ?').all(clientId) as FirstEventRow[];
  }

  async insertFunnel(row: FunnelRow, nameKey: string, maxPerClient: number): Promise<FunnelInsertion> {
    try {
      return this.db.transaction((): FunnelInsertion => {
        if (!this.prepare('SELECT 1 FROM clients WHERE id = ?').get(row.client_id)) return 'no_client';
        const count = Number((this.prepare('SELECT COUNT(*) AS n FROM client_funnels WHERE client_id = ?').get(row.client_id) as Row).n);
        if (count >= maxPerClient) return 'limit_reached';
        this.prepare(
          `INSERT INTO client_funnels (id, client_id, name, name_key, steps, window_seconds, created_at, updated_at)
           VALUES (@id, @client_id, @name, @name_key, @steps, @window_seconds, @created_at, @updated_at)`,
        ).run({ ...row, name_key: nameKey, steps: storable(row.steps) });
        return 'inserted';
      }).immediate();
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async listFunnels(clientId: string): Promise<FunnelRow[]> {
    const rows = this.prepare('SELECT * FROM client_funnels WHERE client_id = ? ORDER BY name_key, id').all(clientId) as Row[];
    return rows.map(toFunnelRow);
  }

  async getFunnel(clientId: string, funnelId: string): Promise<FunnelRow | null> {
    const row = this.prepare('SELECT * FROM client_funnels WHERE client_id = ? AND id = ?').get(clientId, funnelId) as Row | undefined;
    return row ? toFunnelRow(row) : null;
  }

  async updateFunnel(clientId: string, funnelId: string, changes: FunnelChanges, nameKey: string | undefined, updatedAt: number): Promise<FunnelRow | null> {
    try {
      const result = this.prepare(
        `UPDATE client_funnels SET name = COALESCE(@name, name), name_key = COALESCE(@name_key, name_key),
           steps = COALESCE(@steps, steps), window_seconds = COALESCE(@window_seconds, window_seconds), updated_at = @updated_at
         WHERE client_id = @client_id AND id = @id`,
      ).run({
        name: changes.name ?? null,
        name_key: nameKey ?? null,
        steps: changes.steps === undefined ? null : storable(changes.steps),
        window_seconds: changes.window_seconds ?? null,
        updated_at: updatedAt,
        client_id: clientId,
        id: funnelId,
      });
      return result.changes > 0 ? this.getFunnel(clientId, funnelId) : null;
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async deleteFunnel(clientId: string, funnelId: string): Promise<boolean> {
    return this.prepare('DELETE FROM client_funnels WHERE client_id = ? AND id = ?').run(clientId, funnelId).changes > 0;
  }

  async insertWebhook(row: WebhookRow): Promise<'inserted' | 'no_client'> {
    return this.db.transaction((): 'inserted' | 'no_client' => {
      if (row.client_id !== null && !this.prepare('SELECT 1 FROM clients WHERE id = ?').get(row.client_id)) return 'no_client';
      this.prepare(
        `INSERT INTO webhooks (id, url, events, client_id, description, secret_sealed, enabled, disabled_reason, consecutive_failures, failing_since, created_at, updated_at)
         VALUES (@id, @url, @events, @client_id, @description, @secret_sealed, @enabled, @disabled_reason, @consecutive_failures, @failing_since, @created_at, @updated_at)`,
      ).run({ ...row, events: storable(row.events), enabled: storable(row.enabled) });
      return 'inserted';
    }).immediate();
  }

  async getWebhook(id: string): Promise<WebhookRow | null> {
    const row = this.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as Row | undefined;
    return row ? toWebhookRow(row) : null;
  }

  async listWebhooks(page: Page): Promise<PageOf<WebhookRow>> {
    const after = afterClause(page, 'webhooks', named, 0);
    const { total, rows } = this.countAndPage('webhooks', 'webhooks', 'SELECT * FROM webhooks', { sql: 'TRUE', params: [] }, after, page);
    return { rows: rows.map(toWebhookRow), total };
  }

  async listEnabledWebhooks(): Promise<WebhookRow[]> {
    return (this.prepare('SELECT * FROM webhooks WHERE enabled = 1 ORDER BY created_at, id').all() as Row[]).map(toWebhookRow);
  }

  async updateWebhook(id: string, changes: WebhookChanges, updatedAt: number): Promise<WebhookRow | null> {
    return this.update('webhooks', WEBHOOK_COLUMNS, id, { ...changes, updated_at: updatedAt }) ? this.getWebhook(id) : null;
  }

  async deleteWebhook(id: string): Promise<boolean> {
    return this.prepare('DELETE FROM webhooks WHERE id = ?').run(id).changes > 0;
  }

  async noteWebhookOutcome(id: string, outcome: WebhookOutcome, at: number): Promise<WebhookRow | null> {
    const sql = {
      delivered: 'UPDATE webhooks SET consecutive_failures = 0, failing_since = NULL WHERE id = @id',
      attempt_failed: 'UPDATE webhooks SET failing_since = COALESCE(failing_since, @at) WHERE id = @id',
      delivery_failed: 'UPDATE webhooks SET consecutive_failures = consecutive_failures + 1, failing_since = COALESCE(failing_since, @at) WHERE id = @id',
    }[outcome];
    const row = this.prepare(`${sql} RETURNING *`).get({ id, ...(outcome === 'delivered' ? {} : { at }) }) as Row | undefined;
    return row ? toWebhookRow(row) : null;
  }

  async insertDeliveries(rows: DeliveryRow[]): Promise<void> {
    if (rows.length === 0) return;
    this.db.transaction(() => {
      const insert = this.prepare(
        `INSERT INTO webhook_deliveries (id, webhook_id, event, payload, status, attempts, next_attempt_at, lease_until, lease_owner,
           last_status, last_error, last_duration_ms, total_duration_ms, created_at, finished_at)
         SELECT @id, @webhook_id, @event, @payload, @status, @attempts, @next_attempt_at, @lease_until, @lease_owner,
           @last_status, @last_error, @last_duration_ms, @total_duration_ms, @created_at, @finished_at
         WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = @webhook_id)`,
      );
      for (const row of rows) insert.run(row);
    }).immediate();
  }

  async getDelivery(id: string): Promise<DeliveryRow | null> {
    const row = this.prepare('SELECT * FROM webhook_deliveries WHERE id = ?').get(id) as Row | undefined;
    return row ? toDeliveryRow(row) : null;
  }

  async listDeliveries(webhookId: string, page: Page): Promise<PageOf<DeliveryRow>> {
    const where = { sql: 'webhook_deliveries.webhook_id = @p1', params: [webhookId] };
    const after = afterClause(page, 'webhook_deliveries', named, 1);
    const { total, rows } = this.countAndPage('webhook_deliveries', 'webhook_deliveries', 'SELECT * FROM webhook_deliveries', where, after, page);
    return { rows: rows.map(toDeliveryRow), total };
  }

  async claimDueDeliveries(now: number, leaseUntil: number, owner: string, limit: number): Promise<DeliveryRow[]> {
    // One statement under the database's write lock: nothing else claims in between.
    const rows = this.prepare(
      `UPDATE webhook_deliveries SET lease_until = @leaseUntil, lease_owner = @owner
       WHERE id IN (
         SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.enabled = 1
         WHERE d.status = 'pending' AND d.next_attempt_at <= @now AND (d.lease_until IS NULL OR d.lease_until <= @now)
         ORDER BY d.next_attempt_at LIMIT @limit)
       RETURNING *`,
    ).all({ now, leaseUntil, owner, limit }) as Row[];
    return rows.map(toDeliveryRow).sort((a, b) => a.next_attempt_at - b.next_attempt_at);
  }

  async finishDelivery(id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean> {
    return (
      this.prepare(
        `UPDATE webhook_deliveries SET status = @status, attempts = @attempts, next_attempt_at = @next_attempt_at, last_status = @last_status,
           last_error = @last_error, last_duration_ms = @last_duration_ms, total_duration_ms = total_duration_ms + @last_duration_ms,
           finished_at = @finished_at, lease_until = NULL, lease_owner = NULL
         WHERE id = @id AND lease_owner = @owner`,
      ).run({ ...outcome, id, owner }).changes > 0
    );
  }

  async pruneDeliveries(before: number): Promise<number> {
    return this.prepare('DELETE FROM webhook_deliveries WHERE finished_at IS NOT NULL AND finished_at < ?').run(before).changes;
  }

  async insertLink(row: LinkRow): Promise<'inserted' | 'no_client'> {
    const insert = insertClause(row, LINK_COLUMNS, named);
    try {
      return this.db.transaction((): 'inserted' | 'no_client' => {
        if (row.client_id !== null && !this.prepare('SELECT 1 FROM clients WHERE id = ?').get(row.client_id)) return 'no_client';
        this.prepare(`INSERT INTO links ${insert.sql}`).run(bindings(insert.params));
        return 'inserted';
      }).immediate();
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async getLink(id: string): Promise<LinkRow | null> {
    const row = this.prepare('SELECT * FROM links WHERE id = ?').get(id) as Row | undefined;
    return row ? toLinkRow(row) : null;
  }

  async findLinkBySlug(slugKey: string): Promise<LinkRow | null> {
    const row = this.prepare('SELECT * FROM links WHERE slug_key = ?').get(slugKey) as Row | undefined;
    return row ? toLinkRow(row) : null;
  }

  async listLinks(filter: LinkFilter, page: Page): Promise<PageOf<LinkRow>> {
    const where = linkWhere(filter, named, 'LIKE', (p) => `EXISTS (SELECT 1 FROM json_each(l.tags) WHERE json_each.value = ${p})`);
    const after = afterClause(page, 'l', named, where.params.length);
    const { total, rows } = this.countAndPage('links l', 'l', 'SELECT l.* FROM links l', where, after, page);
    return { rows: rows.map(toLinkRow), total };
  }

  async updateLink(id: string, changes: LinkChanges, updatedAt: number): Promise<LinkRow | null> {
    return this.update('links', LINK_COLUMNS, id, { ...changes, updated_at: updatedAt }) ? this.getLink(id) : null;
  }

  async deleteLink(id: string): Promise<boolean> {
    return this.prepare('DELETE FROM links WHERE id = ?').run(id).changes > 0;
  }

  async startMonitor(linkId: string, settings: MonitorSettings, now: number): Promise<MonitorRow | null> {
    return this.db.transaction((): MonitorRow | null => {
      if (!this.prepare('SELECT 1 FROM links WHERE id = ?').get(linkId)) return null;
      this.prepare(
        `INSERT INTO uptime_monitors (link_id, interval_seconds, timeout_seconds, active, status, consecutive_failures, next_check_at, started_at)
         VALUES (@link_id, @interval_seconds, @timeout_seconds, 1, 'unknown', 0, @now, @now)
         ON CONFLICT (link_id) DO UPDATE SET
           interval_seconds = excluded.interval_seconds,
           timeout_seconds = excluded.timeout_seconds,
           status = CASE WHEN active = 1 THEN status ELSE 'unknown' END,
           consecutive_failures = CASE WHEN active = 1 THEN consecutive_failures ELSE 0 END,
           next_check_at = CASE WHEN active = 1 THEN MIN(next_check_at, @now + excluded.interval_seconds * 1000) ELSE @now END,
           started_at = CASE WHEN active = 1 THEN started_at ELSE @now END,
           lease_owner = CASE WHEN active = 1 THEN lease_owner ELSE NULL END,
           lease_until = CASE WHEN active = 1 THEN lease_until ELSE NULL END,
           active = 1`,
      ).run({ link_id: linkId, interval_seconds: settings.interval_seconds, timeout_seconds: settings.timeout_seconds, now });
      return toMonitorRow(this.prepare('SELECT * FROM uptime_monitors WHERE link_id = ?').get(linkId) as Row);
    }).immediate();
  }

  async stopMonitor(linkId: string): Promise<MonitorRow | null> {
    const row = this.prepare('UPDATE uptime_monitors SET active = 0 WHERE link_id = ? RETURNING *').get(linkId) as Row | undefined;
    return row ? toMonitorRow(row) : null;
  }

  async getMonitor(linkId: string): Promise<MonitorRow | null> {
    const row = this.prepare('SELECT * FROM uptime_monitors WHERE link_id = ?').get(linkId) as Row | undefined;
    return row ? toMonitorRow(row) : null;
  }

  async listChecks(linkId: string, limit: number): Promise<CheckRow[]> {
    return (this.prepare('SELECT * FROM uptime_checks WHERE link_id = ? ORDER BY id DESC LIMIT ?').all(linkId, limit) as Row[]).map(toCheckRow);
  }

  async claimDueMonitors(now: number, owner: string, leaseMs: number, limit: number): Promise<DueMonitor[]> {
    // One process owns an SQLite file (locking_mode EXCLUSIVE); the transaction keeps the claim atomic all the same.
    return this.db.transaction((): DueMonitor[] => {
      const due = this.prepare(
        `SELECT m.link_id FROM uptime_monitors m
         WHERE m.active = 1 AND m.next_check_at <= @now AND (m.lease_until IS NULL OR m.lease_until <= @now)
         ORDER BY m.next_check_at, m.link_id LIMIT @limit`,
      ).all({ now, limit }) as Row[];
      const claimed: DueMonitor[] = [];
      for (const { link_id } of due) {
        const row = this.prepare(
          `UPDATE uptime_monitors SET lease_until = @until, lease_owner = @owner, next_check_at = @now + interval_seconds * 1000
           WHERE link_id = @link_id RETURNING *`,
        ).get({ link_id, until: now + leaseMs, owner, now }) as Row;
        const link = this.prepare('SELECT destination_url, client_id, slug FROM links WHERE id = ?').get(link_id) as Row;
        claimed.push({
          ...toMonitorRow(row),
          destination_url: String(link.destination_url),
          client_id: link.client_id === null ? null : String(link.client_id),
          slug: String(link.slug),
        });
      }
      return claimed;
    }).immediate();
  }

  async recordCheck(owner: string, record: CheckRecord, keep: number): Promise<boolean> {
    const { check } = record;
    return this.db.transaction((): boolean => {
      const held = this.prepare(
        'UPDATE uptime_monitors SET lease_until = NULL, lease_owner = NULL WHERE link_id = ? AND lease_owner = ? RETURNING active',
      ).get(check.link_id, owner) as Row | undefined;
      if (!held || held.active !== 1) return false;
      this.prepare(
        `UPDATE uptime_monitors SET status = @status, consecutive_failures = @consecutive_failures, next_check_at = @next_check_at,
           last_checked_at = @checked_at, last_response_ms = @response_ms, last_status_code = @status_code, last_error = @error
         WHERE link_id = @link_id`,
      ).run({
        status: record.status,
        consecutive_failures: record.consecutive_failures,
        next_check_at: record.next_check_at,
        checked_at: check.checked_at,
        response_ms: check.response_ms,
        status_code: check.status_code,
        error: check.error,
        link_id: check.link_id,
      });
      this.prepare(
        `INSERT INTO uptime_checks (link_id, checked_at, ok, status_code, response_ms, error)
         VALUES (@link_id, @checked_at, @ok, @status_code, @response_ms, @error)`,
      ).run({ ...check, ok: check.ok ? 1 : 0 });
      this.prepare(
        `DELETE FROM uptime_checks WHERE link_id = @link_id
           AND id <= (SELECT id FROM uptime_checks WHERE link_id = @link_id ORDER BY id DESC LIMIT 1 OFFSET @keep)`,
      ).run({ link_id: check.link_id, keep });
      return true;
    }).immediate();
  }

  // Pub/Sub. One process owns the file (locking_mode EXCLUSIVE) and better-sqlite3 runs each
  // transaction synchronously, so an IMMEDIATE transaction is all the atomicity these need: no
  // other caller, on this node or any, runs between its statements.

  async insertSubscription(row: SubscriptionRow): Promise<void> {
    try {
      this.prepare(
        `INSERT INTO pubsub_subscriptions (${SUBSCRIPTION_COLUMNS.join(', ')}) VALUES (${SUBSCRIPTION_COLUMNS.map((c) => `@${c}`).join(', ')})`,
      ).run({ ...row, filter: JSON.stringify(row.filter) });
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async getSubscription(id: string): Promise<SubscriptionRow | null> {
    const row = this.prepare('SELECT * FROM pubsub_subscriptions WHERE id = ?').get(id) as Row | undefined;
    return row ? toSubscriptionRow(row) : null;
  }

  async listSubscriptions(page: Page): Promise<PageOf<SubscriptionRow>> {
    const after = afterClause(page, 'pubsub_subscriptions', named, 0);
    const { total, rows } = this.countAndPage('pubsub_subscriptions', 'pubsub_subscriptions', 'SELECT * FROM pubsub_subscriptions', { sql: 'TRUE', params: [] }, after, page);
    return { rows: rows.map(toSubscriptionRow), total };
  }

  async updateSubscription(id: string, changes: SubscriptionChanges, updatedAt: number): Promise<SubscriptionRow | null> {
    const set = setClause({ ...changes, updated_at: updatedAt }, SUBSCRIPTION_CHANGE_COLUMNS, named);
    const row = this.prepare(`UPDATE pubsub_subscriptions SET ${set.sql} WHERE id = @id RETURNING *`).get({ ...bindings(set.params), id }) as Row | undefined;
    return row ? toSubscriptionRow(row) : null;
  }

  async deleteSubscription(id: string): Promise<boolean> {
    // Its messages go with it: ON DELETE CASCADE.
    return this.prepare('DELETE FROM pubsub_subscriptions WHERE id = ?').run(id).changes > 0;
  }

  async stageMessages(subscriptionId: string, expectedCursor: number, newCursor: number, messages: MessageRow[], dropped: number): Promise<boolean> {
    return this.db.transaction((): boolean => {
      // The cursor first: when another stager moved it, nothing else is written.
      const moved = this.prepare(
        'UPDATE pubsub_subscriptions SET cursor_seq = MAX(cursor_seq, @newCursor), dropped_messages = dropped_messages + @dropped WHERE id = @id AND cursor_seq = @expectedCursor',
      ).run({ id: subscriptionId, newCursor, dropped, expectedCursor });
      if (moved.changes === 0) return false;
      const insert = this.prepare(
        `INSERT INTO pubsub_messages (${MESSAGE_COLUMNS.join(', ')})
         SELECT ${MESSAGE_COLUMNS.map((c) => `@${c}`).join(', ')} WHERE EXISTS (SELECT 1 FROM clients WHERE id = @client_id)
         ON CONFLICT (subscription_id, message_id) DO NOTHING`,
      );
      for (const message of messages) insert.run({ ...message, subscription_id: subscriptionId });
      return true;
    }).immediate();
  }

  async dropStaleMessages(subscriptionId: string, before: number): Promise<number> {
    return this.db.transaction((): number => {
      const deleted = this.prepare('DELETE FROM pubsub_messages WHERE subscription_id = ? AND dead_at IS NULL AND publish_time < ?').run(subscriptionId, before).changes;
      if (deleted > 0) this.prepare('UPDATE pubsub_subscriptions SET dropped_messages = dropped_messages + ? WHERE id = ?').run(deleted, subscriptionId);
      return deleted;
    }).immediate();
  }

  async backlogCounts(subscriptionId: string, now: number): Promise<BacklogCounts> {
    const row = this.prepare(backlogSql({ sub: '@sub', now: '@now' })).get({ sub: subscriptionId, now }) as Row;
    return { available: Number(row.available), in_flight: Number(row.in_flight), dead: Number(row.dead), oldest_publish_time: numberOrNull(row.oldest) };
  }

  async leaseMessages(subscriptionId: string, now: number, leaseUntil: number, max: number, maxDeliveryAttempts: number, newAckId: () => string): Promise<MessageRow[]> {
    return this.db.transaction((): MessageRow[] => {
      this.prepare(deadLetterExpiredSql({ sub: '@sub', now: '@now', max: '@max' })).run({ sub: subscriptionId, now, max: maxDeliveryAttempts });
      const candidates = this.prepare(leaseCandidatesSql({ sub: '@sub', now: '@now', max: '@max' })).all({ sub: subscriptionId, now, max }) as Row[];
      const lease = this.prepare(
        `UPDATE pubsub_messages SET delivery_attempt = delivery_attempt + 1, ack_id = @ack, lease_until = @leaseUntil
         WHERE subscription_id = @sub AND message_id = @message RETURNING *`,
      );
      const leased = candidates.map((c) => lease.get({ sub: subscriptionId, message: c.message_id, ack: newAckId(), leaseUntil }) as Row);
      return leased.map(toMessageRow);
    }).immediate();
  }

  async acknowledge(subscriptionId: string, ackIds: string[]): Promise<number> {
    if (ackIds.length === 0) return 0;
    return this.prepare(`DELETE FROM pubsub_messages WHERE ${BY_ACK_IDS}`).run({ sub: subscriptionId, acks: JSON.stringify(ackIds) }).changes;
  }

  async modifyAckDeadline(subscriptionId: string, ackIds: string[], leaseUntil: number): Promise<number> {
    if (ackIds.length === 0) return 0;
    return this.prepare(
      `UPDATE pubsub_messages SET lease_until = @leaseUntil WHERE ${BY_ACK_IDS}`,
    ).run({ leaseUntil, sub: subscriptionId, acks: JSON.stringify(ackIds) }).changes;
  }

  async noteDeliveryError(subscriptionId: string, ackIds: string[], error: string): Promise<void> {
    if (ackIds.length === 0) return;
    this.prepare(`UPDATE pubsub_messages SET last_error = @error WHERE ${BY_ACK_IDS}`).run({ error, sub: subscriptionId, acks: JSON.stringify(ackIds) });
  }

  async listDeadLetters(subscriptionId: string, page: Page): Promise<PageOf<MessageRow>> {
    const total = this.prepare('SELECT COUNT(*) AS n FROM pubsub_messages WHERE subscription_id = ? AND dead_at IS NOT NULL').get(subscriptionId) as Row;
    // Keyset on (dead_at, message_id) when the page names the last row seen (its created_at and id).
    const after = page.after === undefined ? '' : 'AND (dead_at < @at OR (dead_at = @at AND message_id < @id))';
    const rows = this.prepare(
      `SELECT * FROM pubsub_messages WHERE subscription_id = @sub AND dead_at IS NOT NULL ${after}
       ORDER BY dead_at DESC, message_id DESC LIMIT @limit OFFSET @offset`,
    ).all({
      sub: subscriptionId,
      limit: page.limit,
      offset: page.offset ?? 0,
      ...(page.after === undefined ? {} : { at: page.after.created_at, id: page.after.id }),
    }) as Row[];
    return { rows: rows.map(toMessageRow), total: Number(total.n) };
  }

  async replayDeadLetters(subscriptionId: string, messageIds: string[] | null): Promise<number> {
    const only = messageIds === null ? '' : 'AND message_id IN (SELECT value FROM json_each(@ids))';
    return this.prepare(
      `UPDATE pubsub_messages SET dead_at = NULL, delivery_attempt = 0, ack_id = NULL, lease_until = NULL, last_error = NULL
       WHERE subscription_id = @sub AND dead_at IS NOT NULL ${only}`,
    ).run({ sub: subscriptionId, ...(messageIds === null ? {} : { ids: JSON.stringify(messageIds) }) }).changes;
  }

  async claimPushSubscriptions(now: number, owner: string, leaseUntil: number, limit: number): Promise<SubscriptionRow[]> {
    // One statement under the write lock: nothing else claims in between.
    const rows = this.prepare(
      `UPDATE pubsub_subscriptions SET lease_owner = @owner, lease_until = @leaseUntil
       WHERE id IN (SELECT s.id FROM pubsub_subscriptions s WHERE ${PUSH_DUE('@now')} ORDER BY ${PUSH_CLAIM_ORDER()} LIMIT @limit)
       RETURNING *`,
    ).all({ now, owner, leaseUntil, limit }) as Row[];
    return rows.map(toSubscriptionRow).sort(byDueThenId);
  }

  async finishPush(subscriptionId: string, owner: string, outcome: PushOutcome): Promise<boolean> {
    return (
      this.prepare(
        `UPDATE pubsub_subscriptions SET push_last_status = @status, push_last_error = @error, push_last_attempt_at = @attempted_at,
           push_next_attempt_at = @next_attempt_at, push_failures = @failures, lease_owner = NULL
         WHERE id = @id AND lease_owner = @owner`,
      ).run({ ...outcome, id: subscriptionId, owner }).changes > 0
    );
  }

  async expireDeadLetters(subscriptionId: string, deadBefore: number, keep: number): Promise<number> {
    return this.db.transaction((): number => {
      const old = this.prepare('DELETE FROM pubsub_messages WHERE subscription_id = ? AND dead_at IS NOT NULL AND dead_at < ?').run(subscriptionId, deadBefore).changes;
      // LIMIT -1: SQLite's "no limit", so OFFSET skips the newest `keep`.
      const over = this.prepare(
        `DELETE FROM pubsub_messages WHERE subscription_id = @sub AND message_id IN (
           SELECT message_id FROM pubsub_messages WHERE subscription_id = @sub AND dead_at IS NOT NULL
           ORDER BY dead_at DESC, message_id DESC LIMIT -1 OFFSET @keep)`,
      ).run({ sub: subscriptionId, keep: Math.max(0, Math.floor(keep)) }).changes;
      const deleted = old + over;
      if (deleted > 0) this.prepare('UPDATE pubsub_subscriptions SET dropped_messages = dropped_messages + ? WHERE id = ?').run(deleted, subscriptionId);
      return deleted;
    }).immediate();
  }

  async insertMcpKey(row: McpKeyRow): Promise<void> {
    try {
      this.prepare(
        `INSERT INTO mcp_keys (id, name, key_hash, key_last4, scopes, client_ids, expires_at, revoked_at, last_used_at, created_at)
         VALUES (@id, @name, @key_hash, @key_last4, @scopes, @client_ids, @expires_at, @revoked_at, @last_used_at, @created_at)`,
      ).run({ ...row, scopes: storable(row.scopes), client_ids: storable(row.client_ids) });
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async getMcpKey(id: string): Promise<McpKeyRow | null> {
    const row = this.prepare('SELECT * FROM mcp_keys WHERE id = ?').get(id) as Row | undefined;
    return row ? toMcpKeyRow(row) : null;
  }

  async listMcpKeys(page: Page): Promise<PageOf<McpKeyRow>> {
    const after = afterClause(page, 'mcp_keys', named, 0);
    const { total, rows } = this.countAndPage('mcp_keys', 'mcp_keys', 'SELECT * FROM mcp_keys', { sql: 'TRUE', params: [] }, after, page);
    return { rows: rows.map(toMcpKeyRow), total };
  }

  async findMcpKeyByHash(keyHash: string): Promise<McpKeyRow | null> {
    const row = this.prepare('SELECT * FROM mcp_keys WHERE key_hash = ?').get(keyHash) as Row | undefined;
    return row ? toMcpKeyRow(row) : null;
  }

  async revokeMcpKey(id: string, at: number): Promise<McpKeyRow | null> {
    this.prepare('UPDATE mcp_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id);
    return this.getMcpKey(id);
  }

  async touchMcpKey(id: string, at: number): Promise<void> {
    this.prepare('UPDATE mcp_keys SET last_used_at = ? WHERE id = ?').run(at, id);
  }
}

