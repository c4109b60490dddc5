import { createHash } from 'node:crypto';
import { DuckDBInstance, DuckDBTimestampTZValue, type DuckDBAppender, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { AppendOutcome, EventStore, IdentityLink, RecentEventsQuery, StoredEvent } from '../eventStore.js';
import { DUCKDB_MIGRATIONS, EVENT_COLUMNS, EVENT_COLUMNS_AS_STORED, EVENT_KEYS_OF_CLIENT, INSERT_FROM_JSON_COLUMNS } from './schema.js';

/**
 * Up to this many rows a group goes through the appender (a few microseconds of fixed cost, but
 * one native call per value on the JavaScript thread); above it, as one JSON text that DuckDB
 * parses on its own threads (about 8 ms of fixed cost, a third of the JavaScript time per row).
 */
const APPENDER_MAX_ROWS = 200;

/** The hash key of a (client_id, uuid) pair in `event_keys`, as a UUID string; see EVENT_KEYS_OF_CLIENT. */
export function eventKey(clientId: string, uuid: string): string {
  const h = createHash('sha256').update(`${clientId}\u0000${uuid}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Events in one DuckDB file. Writes go through one connection, one at a time (the group-commit
 * writer above already batches them); reads use a second connection so they never see, or join,
 * a write transaction in progress.
 */
export class DuckDbEventStore implements EventStore {
  readonly engine = 'duckdb' as const;
  private writeQueue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Kept open between transactions: creating one costs milliseconds. */
  private appender: DuckDBAppender | undefined;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
  ) {}

  /** `path` is a file, or ':memory:' for a store that lives as long as the process. */
  static async open(path: string): Promise<DuckDbEventStore> {
    const instance = await DuckDBInstance.create(path);
    const writer = await instance.connect();
    // Times are rendered and converted in UTC whatever the machine's zone; reports pick their zone
    // per query. (ICU is loaded with the first connection, so this cannot be an open option.)
    await writer.run("SET GLOBAL TimeZone = 'UTC'");
    const reader = await instance.connect();
    return new DuckDbEventStore(instance, writer, reader);
  }

  /** Runs write work strictly one after another on the write connection. */
  private serialised<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the event store is closed'));
    const result = this.writeQueue.then(work);
    this.writeQueue = result.catch(() => undefined);
    return result;
  }

  migrate(): Promise<void> {
    return this.serialised(async () => {
      await this.writer.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)');
      const applied = await this.writer.runAndReadAll('SELECT version FROM schema_migrations');
      const done = new Set(applied.getRows().map((row) => Number(row[0])));
      for (const migration of DUCKDB_MIGRATIONS) {
        if (done.has(migration.version)) continue;
        await this.writer.run('BEGIN TRANSACTION');
        try {
          await this.writer.run(migration.sql);
          await this.writer.run('INSERT INTO schema_migrations VALUES ($1, $2, now())', [migration.version, migration.name]);
          await this.writer.run('COMMIT');
        } catch (error) {
          await this.writer.run('ROLLBACK');
          throw error;
        }
      }
    });
  }

  async ping(): Promise<void> {
    await this.reader.run('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let queued writes finish: each of them was promised to a caller waiting for its commit.
    await this.writeQueue;
    this.closed = true;
    this.appender?.closeSync();
    this.writer.closeSync();
    this.reader.closeSync();
    this.instance.closeSync();
  }

  append(events: StoredEvent[], links: IdentityLink[]): Promise<AppendOutcome> {
    return this.serialised(async () => {
      const keys = events.map((event) => eventKey(event.client_id, event.uuid));
      await this.writer.run('BEGIN TRANSACTION');
      try {
        const fresh = await this.claimKeys(keys);
        const duplicateIndexes: number[] = [];
        const toStore: StoredEvent[] = [];
        events.forEach((event, i) => {
          // A key claimed by this very call counts once: its first row is stored, later ones are repeats.
          if (fresh.delete(keys[i]!)) toStore.push(event);
          else duplicateIndexes.push(i);
        });
        if (toStore.length > APPENDER_MAX_ROWS) await this.writer.run(INSERT_FROM_JSON_COLUMNS, [columnsAsJson(toStore)]);
        else if (toStore.length > 0) await this.appendRows(toStore);
        if (links.length > 0) await this.insertLinks(links);
        await this.writer.run('COMMIT');
        return { duplicateIndexes };
      } catch (error) {
        await this.writer.run('ROLLBACK');
        throw error;
      }
    });
  }

  /** Inserts the keys not stored yet and returns those (the primary key skips the others). */
  private async claimKeys(keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    // One text parameter, split by DuckDB: the keys are hex digests made above, never input.
    const claimed = await this.writer.runAndReadAll(
      "INSERT OR IGNORE INTO event_keys SELECT DISTINCT unnest(string_split($1, ','))::UUID RETURNING key::VARCHAR",
      [keys.join(',')],
    );
    return new Set(claimed.getRows().map(([key]) => String(key)));
  }

  /** Small groups: straight into `events` through the long-lived appender, inside the open transaction. */
  private async appendRows(rows: StoredEvent[]): Promise<void> {
    this.appender ??= await this.writer.createAppender('events');
    const appender = this.appender;
    try {
      for (const row of rows) {
        for (const [name, type] of EVENT_COLUMNS) {
          const value = row[name];
          if (value === null) appender.appendNull();
          else if (type === 'DOUBLE') appender.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(value as number) * 1000n));
          else if (type === 'BOOLEAN') appender.appendBoolean(value as boolean);
          else appender.appendVarchar(value as string);
        }
        appender.endRow();
      }
      appender.flushSync();
    } catch (error) {
      // A failed flush invalidates the appender; the next group gets a new one.
      this.appender = undefined;
      try {
        appender.closeSync();
      } catch {
        // already unusable
      }
      throw error;
    }
  }

  private async insertLinks(links: IdentityLink[]): Promise<void> {
    const values = links.map((_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, make_timestamp(CAST($${i * 4 + 4} AS BIGINT) * 1000)::TIMESTAMPTZ)`);
    const params = links.flatMap((link) => [link.client_id, link.distinct_id, link.person_id, link.created_at]);
    await this.writer.run(`INSERT OR IGNORE INTO identities VALUES ${values.join(', ')}`, params);
  }

  async recentEvents(clientId: string, query: RecentEventsQuery): Promise<StoredEvent[]> {
    const params: DuckDBValue[] = [clientId, query.limit];
    let after = '';
    if (query.receivedAfter !== undefined) {
      params.push(query.receivedAfter);
      after = 'AND received_at > make_timestamp(CAST($3 AS BIGINT) * 1000)::TIMESTAMPTZ';
    }
    const result = await this.reader.runAndReadAll(
      `SELECT ${EVENT_COLUMNS_AS_STORED} FROM events WHERE client_id = $1 ${after} ORDER BY received_at DESC, uuid DESC LIMIT $2`,
      params,
    );
    return result.getRowObjects() as unknown as StoredEvent[];
  }

  async identityLinks(clientId: string): Promise<IdentityLink[]> {
    const result = await this.reader.runAndReadAll(
      'SELECT client_id, distinct_id, person_id, epoch_ms(created_at)::DOUBLE AS created_at FROM identities WHERE client_id = $1 ORDER BY created_at, distinct_id',
      [clientId],
    );
    return result.getRowObjects() as unknown as IdentityLink[];
  }

  deleteClient(clientId: string): Promise<void> {
    return this.serialised(async () => {
      await this.writer.run('BEGIN TRANSACTION');
      try {
        await this.writer.run(`DELETE FROM event_keys WHERE key IN (${EVENT_KEYS_OF_CLIENT})`, [clientId]);
        await this.writer.run('DELETE FROM events WHERE client_id = $1', [clientId]);
        await this.writer.run('DELETE FROM identities WHERE client_id = $1', [clientId]);
        await this.writer.run('COMMIT');
      } catch (error) {
        await this.writer.run('ROLLBACK');
        throw error;
      }
    });
  }
}

/** The rows as one JSON object holding a list per column (see INSERT_FROM_JSON_COLUMNS). */
function columnsAsJson(rows: StoredEvent[]): string {
  const columns: Record<string, unknown[]> = {};
  for (const [name] of EVENT_COLUMNS) columns[name] = rows.map((row) => row[name]);
  return JSON.stringify(columns);
}
