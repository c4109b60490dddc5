import { hash } from 'node:crypto';
import { DuckDBInstance, listValue, type DuckDBAppender, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type {
  AppendOutcome,
  CommittedEvent,
  EventCount,
  EventStore,
  FunnelResult,
  IdentityLink,
  RecentEventsQuery,
  ReportResult,
  ReportRow,
  StoredEvent,
} from '../../events/eventStore.js';
import type { FunnelPlan, ReportPlan } from '../../query/plan.js';
import type { StreamBacklog, StreamQuery } from '../../pubsub/eventStream.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { readInSpans } from '../streamSpans.js';
import { streamWhere } from './stream.js';
import { duckdbFunnel } from './funnel.js';
import { appendEventRows } from './appendEvents.js';
import { countDaysStatements, CountedDays, countKeysOf, countsAnswer, FORGET_CLIENT_COUNTS, FORGET_COUNTS_OF_LATE_EVENTS, FORGET_COUNTS_OF_RELINKED, type CountKey } from './dayCounts.js';
import type { DayInterval } from './dayIntervals.js';
import { FORGET_CLIENT_ROLLUPS, ROLL_LATE_EVENTS, rollDayStatements, rollupAnswers, type RolledBlock } from './dayRollup.js';
import { RolledDays } from './rolledDays.js';
import { RollupPause } from './rollupPause.js';
import { duckdbReport } from './report.js';
import { AFFECTED_IDS, REFRESH_RESOLVED_PERSONS } from './resolvedPersons.js';
import { ALL_FAST_PATHS, type BuiltQuery, type FastPaths } from './scope.js';
import { DUCKDB_MIGRATIONS, EVENT_COLUMNS_AS_STORED, EVENT_KEYS_OF_CLIENT, HIGHEST_SEQ, RAISE_SEQ_HIGH_WATER } from './schema.js';

/** The narrowest seq span a Pub/Sub read asks for first (streamEvents). */
const MIN_STREAM_SPAN = 100;
/** What one committed write did: for the caller's answer, the seq that follows and the counts it made stale. */
interface Written {
  duplicateIndexes: number[];
  stored: { firstSeq: number; count: number };
  /** Distinct keys of the write found already stored (0 when claimed without looking). */
  storedRepeats: number;
  uncounted: CountKey[];
}

/** How a write claims its events' keys (claimKeys). */
type KeyClaim = 'insert' | 'look first';

/** A write's keys met one already stored while claimed without looking: it is redone looking first. */
class KeyAlreadyStored extends Error {}

const INSERT_EVENT_KEYS = "INSERT INTO event_keys SELECT unnest(string_split($1, ','))::UUID";

/** Above this many keys, stored ones are found by a join rather than an IN list. */
const KEY_LOOKUP_LIST_MAX = 500;
const EVENT_KEY_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The hash key of a (client_id, uuid) pair in `event_keys`, as a UUID string; see EVENT_KEYS_OF_CLIENT. */
export function eventKey(clientId: string, uuid: string): string {
  // One-shot hash(): a third of createHash()'s cost for inputs this small, paid for every event.
  const h = hash('sha256', `${clientId}\u0000${uuid}`, 'hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Events in one DuckDB file. Writes go through one connection, one at a time (the group-commit
 * writer above already batches them); reads use a second connection so they never see, or join,
 * a write transaction in progress.
 */
export class DuckDbEventStore implements EventStore {
  readonly description: string;
  /** When set, every statement report() and funnel() run is pushed here (the query bench explains slow ones). */
  /** The query builders' fast paths (scope.ts): all of them, except in tests that compare them with the plain statements. */
  fastPaths: FastPaths = ALL_FAST_PATHS;
  statementLog: BuiltQuery[] | undefined;
  private writeQueue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Kept open between transactions: creating one costs milliseconds. */
  private appender: DuckDBAppender | undefined;
  /**
   * The seq of the next event stored: write transactions run one at a time on one connection, so
   * numbering them here follows the commit order. Read at the first write from the events and
   * the high-water mark that deletes leave (seq_high_water), so a number is never given twice.
   */
  private nextSeq: number | undefined;
  /**
   * Whether the next write inserts its keys without looking for stored ones first (claimKeys).
   * Cleared when a write met a stored key, set again by the next write that did not: where
   * retries are common, writes keep looking first rather than failing and redoing each time.
   */
  private claimWithoutLooking = true;
  /** Which days are rolled and counted (dayRollup.ts, dayCounts.ts), read from their tables at the first use after migrations. */
  private rollupsLoad: Promise<{ rolled: RolledDays; counted: CountedDays }> | undefined;
  /** The instant against which a day counts as finished, to be rolled; tests and the bench set their own. */
  rollupClock: Clock = systemClock;
  /**
   * Background rollup work, one day after another: each transaction joins the writer's queue only
   * when the one before has committed, so stored events wait for one day's work at most.
   */
  private rollupWork: Promise<void> = Promise.resolve();
  /**
   * Clients whose last rollup work failed: none of theirs runs until the pause is over, and a
   * success forgets it. By client, so that one client's failing day pauses no other client.
   */
  private readonly rollupPauses = new Map<string, RollupPause>();
  /**
   * The monotonic clock of those pauses: not rollupClock, which tests and the bench set to the
   * data's time (and the wall clock may step back).
   */
  pauseClock: Clock = () => performance.now();
  /**
   * Raised for a client when its events are deleted (on the writer's turn): a report that saw it
   * change while it ran chose its rolled days from a life of the client that is gone.
   */
  private readonly clientLives = new Map<string, number>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
    path: string,
  ) {
    this.description = `duckdb at ${path}`;
  }

  /** `path` is a file, or ':memory:' for a store that lives as long as the process. */
  static async open(path: string): Promise<DuckDbEventStore> {
    // Checkpoints every 128 MB of WAL instead of DuckDB's 16: each one rewrites the table's last
    // row groups and the key index, so fewer of them cut the CPU of storing an event by a quarter
    // (68 → 51 µs per event over 500,000 in groups of 5,000). A crash replays at most that much WAL.
    const instance = await DuckDBInstance.create(path, { checkpoint_threshold: '128MB' });
    const writer = await instance.connect();
    // Times are rendered and converted in UTC whatever the machine's zone; reports pick their zone
    // per query. (ICU is loaded with the first connection, so this cannot be an open option.)
    await writer.run("SET GLOBAL TimeZone = 'UTC'");
    const reader = await instance.connect();
    return new DuckDbEventStore(instance, writer, reader, path);
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
        await this.inTransaction(async () => {
          await this.writer.run(migration.sql);
          await this.writer.run('INSERT INTO schema_migrations VALUES ($1, $2, now())', [migration.version, migration.name]);
        });
      }
    });
  }

  /** `work` as one transaction on the write connection (the caller has the writer's turn): committed, or rolled back and the error rethrown. */
  private async inTransaction<T>(work: () => Promise<T>): Promise<T> {
    await this.writer.run('BEGIN TRANSACTION');
    try {
      const result = await work();
      await this.writer.run('COMMIT');
      return result;
    } catch (error) {
      await this.writer.run('ROLLBACK');
      throw error;
    }
  }

  async ping(): Promise<void> {
    await this.reader.run('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Refuse new writes first, then let the queued ones finish: each was promised to a caller
    // waiting for its commit. (Closed only after the wait, a write queued meanwhile, say during a
    // large group's appending slices, would have run on a closed connection.)
    this.closed = true;
    await this.writeQueue;
    this.appender?.closeSync();
    this.writer.closeSync();
    this.reader.closeSync();
    this.instance.closeSync();
  }

  append(events: StoredEvent[], links: IdentityLink[]): Promise<AppendOutcome> {
    return this.serialised(async () => {
      const keys = events.map((event) => eventKey(event.client_id, event.uuid));
      const { rolled, counted } = await this.rollups();
      let written: Written | undefined;
      if (this.claimWithoutLooking) {
        try {
          written = await this.appendInTransaction(events, links, keys, rolled, counted, 'insert');
        } catch (error) {
          if (!(error instanceof KeyAlreadyStored)) throw error;
          this.claimWithoutLooking = false;
        }
      }
      if (written === undefined) {
        written = await this.appendInTransaction(events, links, keys, rolled, counted, 'look first');
        // A write of links alone looked nothing up, and says nothing about retries.
        if (keys.length > 0) this.claimWithoutLooking = written.storedRepeats === 0;
      }
      // Counts this write deletes leave the mirror once it commits (CountedDays).
      counted.remove(written.uncounted);
      this.nextSeq = written.stored.firstSeq + written.stored.count;
      return { duplicateIndexes: written.duplicateIndexes };
    });
  }

  /** One try at storing a write, as one transaction; `claim` says how its keys are claimed (claimKeys). */
  private async appendInTransaction(events: StoredEvent[], links: IdentityLink[], keys: string[], rolled: RolledDays, counted: CountedDays, claim: KeyClaim): Promise<Written> {
    const uncounted: CountKey[] = [];
    const { duplicateIndexes, stored, storedRepeats } = await this.inTransaction(async () => {
      const { fresh, storedRepeats } = await this.claimKeys(keys, claim);
      const duplicateIndexes: number[] = [];
      const toStore: StoredEvent[] = [];
      events.forEach((event, i) => {
        // A key claimed by this very call counts once: its first row is stored, later ones are repeats.
        if (fresh.delete(keys[i]!)) toStore.push(event);
        else duplicateIndexes.push(i);
      });
      const firstSeq = await this.seqOfNext();
      if (toStore.length > 0) await this.appendRows(toStore, firstSeq);
      // Late events in rolled days join their rollup now, so no snapshot sees one without the
      // other, and their days' counts go.
      if (toStore.length > 0 && rolled.touches(toStore)) {
        const seqs = [firstSeq, firstSeq + toStore.length];
        await this.writer.run(ROLL_LATE_EVENTS, seqs);
        uncounted.push(...countKeysOf((await this.writer.runAndReadAll(FORGET_COUNTS_OF_LATE_EVENTS, seqs)).getRows()));
      }
      if (links.length > 0) await this.insertLinks(links);
      if (links.length > 0) uncounted.push(...(await this.refreshResolvedPersons(links, counted)));
      return { duplicateIndexes, stored: { firstSeq, count: toStore.length }, storedRepeats };
    });
    return { duplicateIndexes, stored, storedRepeats, uncounted };
  }

  /**
   * Inserts the keys not stored yet: returns those, and how many of the distinct keys were stored
   * before. The keys are hex digests made by eventKey(), never input, and are checked to be exactly
   * that before being inlined.
   *
   * 'insert' inserts them all at once: the primary key looks each one up anyway, and nearly every
   * write is of new events. A key already stored fails the statement and with it the transaction
   * (KeyAlreadyStored), which the caller rolls back and redoes looking first. For 20,000 keys:
   * 24–31 ms against 67 ms looking first, among 400,000 to 1,200,000 stored keys.
   *
   * 'look first' reads which are stored, then inserts the rest. Two statements beat one INSERT OR
   * IGNORE (about 3 + 2 ms against 17 ms for 100 keys): only a literal IN list is answered from the
   * primary-key index, and a plain INSERT skips the conflict handling.
   */
  private async claimKeys(keys: string[], claim: KeyClaim): Promise<{ fresh: Set<string>; storedRepeats: number }> {
    const unique = new Set(keys);
    const distinct = [...unique];
    if (distinct.length === 0) return { fresh: unique, storedRepeats: 0 };
    if (!distinct.every((key) => EVENT_KEY_SHAPE.test(key))) throw new Error('an event key is not a hex digest');
    if (claim === 'insert') {
      try {
        await this.writer.run(INSERT_EVENT_KEYS, [distinct.join(',')]);
      } catch (error) {
        // The only constraint of event_keys is its primary key.
        if (error instanceof Error && error.message.startsWith('Constraint Error')) throw new KeyAlreadyStored();
        throw error;
      }
      return { fresh: unique, storedRepeats: 0 };
    }
    // Few keys: a literal IN list, answered from the index. Many: a join, which reads the key
    // column once instead of planning a list thousands long (10,000 keys: 22 ms against 113 ms).
    const stored =
      distinct.length <= KEY_LOOKUP_LIST_MAX
        ? await this.writer.runAndReadAll(`SELECT key::VARCHAR FROM event_keys WHERE key IN (${distinct.map((key) => `'${key}'`).join(',')})`)
        : await this.writer.runAndReadAll(
            "SELECT k.key::VARCHAR FROM event_keys k SEMI JOIN (SELECT unnest(string_split($1, ','))::UUID AS key) n ON k.key = n.key",
            [distinct.join(',')],
          );
    const known = new Set(stored.getRows().map(([key]) => String(key)));
    const fresh = distinct.filter((key) => !known.has(key));
    if (fresh.length > 0) await this.writer.run(INSERT_EVENT_KEYS, [fresh.join(',')]);
    return { fresh: new Set(fresh), storedRepeats: known.size };
  }

  private async seqOfNext(): Promise<number> {
    if (this.nextSeq === undefined) {
      const result = await this.writer.runAndReadAll(HIGHEST_SEQ);
      this.nextSeq = Number(result.getRows()[0]?.[0] ?? 0) + 1;
    }
    return this.nextSeq;
  }

  /** Straight into `events` through the long-lived appender, inside the open transaction (see appendEvents.ts). */
  private async appendRows(rows: StoredEvent[], firstSeq: number): Promise<void> {
    this.appender ??= await this.writer.createAppender('events');
    const appender = this.appender;
    try {
      await appendEventRows(appender, rows, firstSeq);
    } catch (error) {
      // A failed flush invalidates the appender; the next group gets a new one. Its rows are
      // dropped first: a closed-over appender that still holds them flushes them again when the
      // garbage collector finalises it, inside whatever transaction the connection has open then,
      // which that failure aborts (seen on a loaded machine: a later, valid group was refused with
      // "Current transaction is aborted"); a group that failed for a passing reason would even be
      // stored after its caller was told it was not.
      this.appender = undefined;
      try {
        appender.clear();
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

  /**
   * Recomputes the resolved persons the links just inserted can change, in the same transaction
   * (resolvedPersons.ts), and deletes the day counts of days where those ids have rows.
   */
  private async refreshResolvedPersons(links: IdentityLink[], counted: CountedDays): Promise<CountKey[]> {
    const uncounted: CountKey[] = [];
    const byClient = new Map<string, string[]>();
    for (const link of links) {
      const ids = byClient.get(link.client_id);
      if (ids === undefined) byClient.set(link.client_id, [link.distinct_id]);
      else ids.push(link.distinct_id);
    }
    for (const [client, ids] of byClient) {
      const affected = await this.writer.runAndReadAll(AFFECTED_IDS, [client, listValue(ids)]);
      const list = listValue(affected.getRows().map((row) => String(row[0])));
      for (const sql of REFRESH_RESOLVED_PERSONS) await this.writer.run(sql, [client, list]);
      if (counted.has(client)) uncounted.push(...countKeysOf((await this.writer.runAndReadAll(FORGET_COUNTS_OF_RELINKED, [client, list])).getRows()));
    }
    return uncounted;
  }

  async recentEvents(clientId: string, query: RecentEventsQuery): Promise<CommittedEvent[]> {
    const params: DuckDBValue[] = [clientId, query.limit];
    let after = '';
    if (query.receivedAfter !== undefined) {
      params.push(query.receivedAfter);
      after += ` AND received_at > make_timestamp(CAST($${params.length} AS BIGINT) * 1000)::TIMESTAMPTZ`;
    }
    if (query.afterSeq !== undefined) {
      params.push(query.afterSeq);
      after += ` AND seq > CAST($${params.length} AS BIGINT)`;
    }
    // After a seq: the events right after it, so that going on from the highest one skips none.
    const order = query.afterSeq === undefined ? 'DESC' : 'ASC';
    const result = await this.reader.runAndReadAll(
      `SELECT ${EVENT_COLUMNS_AS_STORED} FROM events WHERE client_id = $1${after} ORDER BY seq ${order} LIMIT $2`,
      params,
    );
    const rows = result.getRowObjects() as unknown as CommittedEvent[];
    return order === 'ASC' ? rows.reverse() : rows;
  }

  async identityLinks(clientId: string): Promise<IdentityLink[]> {
    const result = await this.reader.runAndReadAll(
      'SELECT client_id, distinct_id, person_id, epoch_ms(created_at)::DOUBLE AS created_at FROM identities WHERE client_id = $1 ORDER BY created_at, distinct_id',
      [clientId],
    );
    return result.getRowObjects() as unknown as IdentityLink[];
  }

  /**
   * Runs a statement on the read connection (never inside a write transaction). Not part of the
   * EventStore contract: for tests of DuckDB internals and the query bench's EXPLAIN.
   */
  async inspect(query: BuiltQuery): Promise<PlainRow[]> {
    if (this.closed) throw new Error('the event store is closed');
    const result = await this.reader.runAndReadAll(query.sql, query.params);
    return result.getRows().map((row) => row.map(plainValue));
  }

  private run(query: BuiltQuery): Promise<PlainRow[]> {
    this.statementLog?.push(query);
    return this.inspect(query);
  }

  /**
   * Whether the client has any identity link, asked once per report or funnel: without any, the
   * statements skip the identity join (cheaper), with the same answers.
   */
  private async hasIdentityLinks(clientId: string): Promise<boolean> {
    const result = await this.reader.runAndReadAll('SELECT EXISTS (SELECT 1 FROM identities WHERE client_id = $1)', [clientId]);
    return result.getRows()[0]?.[0] === true;
  }

  private rollups(): Promise<{ rolled: RolledDays; counted: CountedDays }> {
    // A failed read is not kept: the next write or report reads again.
    this.rollupsLoad ??= (async () => {
      const rolled = await this.reader.runAndReadAll('SELECT client_id, day_start, day_end FROM rolled_days');
      const counted = await this.reader.runAndReadAll('SELECT client_id, day_start, day_end, with_bots FROM day_counts');
      return {
        rolled: new RolledDays(rolled.getRows().map(([client, start, end]) => ({ client: String(client), start: Number(start), end: Number(end) }))),
        counted: new CountedDays(countKeysOf(counted.getRows())),
      };
    })();
    this.rollupsLoad.catch(() => {
      this.rollupsLoad = undefined;
    });
    return this.rollupsLoad;
  }

  /**
   * The rolled days a report reads from the rollup, when it answers the plan; its finished days
   * not rolled yet are rolled in the background, one write transaction per day so that stored
   * events wait for one day's work at most. A series by day also reads the day counts, and the
   * rolled days it reads that are not counted yet are counted in the background.
   */
  private async rolledBlock(plan: ReportPlan): Promise<RolledBlock | undefined> {
    if (!this.fastPaths.dayRollup || !rollupAnswers(plan)) return undefined;
    const { rolled, counted } = await this.rollups();
    const { block, toRoll, increasing } = rolled.consider(plan, this.rollupClock());
    for (const day of toRoll) this.rollDay(plan.clientId, day, rolled);
    if (block === undefined || !increasing || !countsAnswer(plan)) return block;
    const withBots = plan.filters.include_bots === true;
    const toCount = counted.claim(plan.clientId, block.days, withBots);
    if (toCount.length > 0) this.countDays(plan.clientId, toCount, withBots, counted);
    return { ...block, counts: { withBots } };
  }

  /**
   * One background write transaction, after the rollup work before it, on the writer's turn. A
   * failure is reported, not thrown: reports read from events or the rollup meanwhile, and no
   * rollup work runs during the pause that follows (work asked for meanwhile is dropped when its
   * turn comes, and asked for again by a later report). Nothing starts once the store is closing.
   */
  private inBackground(what: string, statements: string[], clientId: string, committed: () => void, settled: () => void): void {
    this.rollupWork = this.rollupWork.then(() => this.backgroundTransaction(what, statements, clientId, committed).finally(settled));
  }

  private async backgroundTransaction(what: string, statements: string[], clientId: string, committed: () => void): Promise<void> {
    if (this.closed || this.rollupPauses.get(clientId)?.allows(this.pauseClock()) === false) return;
    try {
      await this.serialised(async () => {
        await this.inTransaction(async () => {
          for (const sql of statements) await this.writer.run(sql, [clientId]);
        });
        // Still on the writer's turn: nothing is stored between the commit and this.
        committed();
      });
      this.rollupPauses.delete(clientId);
    } catch (error) {
      // A closing store just stops.
      if (this.closed) return;
      const pause = this.rollupPauses.get(clientId) ?? new RollupPause();
      this.rollupPauses.set(clientId, pause);
      const wait = pause.failed(this.pauseClock());
      const cause = error instanceof Error ? error.message : String(error);
      process.emitWarning(`${what} of client ${clientId} failed (${cause}); none of its days is rolled or counted for the next ${wait / 1000} s`);
    }
  }

  private countDays(clientId: string, days: DayInterval[], withBots: boolean, counted: CountedDays): void {
    this.inBackground(
      'counting days',
      countDaysStatements(days, withBots),
      clientId,
      () => counted.add(days.map((day) => ({ client: clientId, ...day, withBots }))),
      () => counted.settled(clientId, days, withBots),
    );
  }

  private rollDay(clientId: string, day: DayInterval, rolled: RolledDays): void {
    this.inBackground(
      'rolling a day',
      rollDayStatements(day),
      clientId,
      () => rolled.add(clientId, [day]),
      () => rolled.settled(clientId, [day]),
    );
  }

  /** Resolves once the days being rolled and counted are (for the query bench and tests: reports never wait for it). */
  async settleRollups(): Promise<void> {
    await this.rollupWork;
    await this.writeQueue;
  }

  async report(plan: ReportPlan): Promise<ReportResult> {
    const links = await this.hasIdentityLinks(plan.clientId);
    const life = this.clientLives.get(plan.clientId);
    const rolled = await this.rolledBlock(plan);
    let rows = await this.run(duckdbReport(plan, links, this.fastPaths, rolled));
    // The client was deleted meanwhile (and maybe stored anew): its rolled days may be gone from
    // the snapshot the statement read, so it is read again from events alone.
    if (rolled !== undefined && this.clientLives.get(plan.clientId) !== life) rows = await this.run(duckdbReport(plan, links, this.fastPaths));
    // Columns by position: the dimensions in plan order, the metrics in plan order, then the
    // total when the statement sorted and limited (see duckdbReport).
    const named = rows.map((row): ReportRow => {
      const dimensions: ReportRow['dimensions'] = {};
      const metrics: ReportRow['metrics'] = {};
      plan.dimensions.forEach((dimension, i) => {
        const value = row[i] ?? null;
        dimensions[dimension] = typeof value === 'boolean' ? String(value) : value;
      });
      plan.metrics.forEach((metric, i) => {
        metrics[metric] = Number(row[plan.dimensions.length + i] ?? 0);
      });
      return { dimensions, metrics };
    });
    const total = plan.sortAndLimit === undefined ? named.length : rows.length === 0 ? 0 : Number(rows[0]![plan.dimensions.length + plan.metrics.length]);
    return { rows: named, total };
  }

  async funnel(plan: FunnelPlan): Promise<FunnelResult> {
    const links = await this.hasIdentityLinks(plan.clientId);
    const [row] = await this.run(duckdbFunnel(plan, links, this.fastPaths));
    return { reached: plan.steps.map((_, i) => Number(row?.[i] ?? 0)) };
  }

  deleteClient(clientId: string): Promise<void> {
    return this.serialised(async () => {
      await this.inTransaction(async () => {
        await this.writer.run(RAISE_SEQ_HIGH_WATER);
        await this.writer.run(`DELETE FROM event_keys WHERE key IN (${EVENT_KEYS_OF_CLIENT})`, [clientId]);
        await this.writer.run('DELETE FROM events WHERE client_id = $1', [clientId]);
        await this.writer.run('DELETE FROM identities WHERE client_id = $1', [clientId]);
        await this.writer.run('DELETE FROM resolved_persons WHERE client_id = $1', [clientId]);
        for (const sql of [...FORGET_CLIENT_ROLLUPS, FORGET_CLIENT_COUNTS]) await this.writer.run(sql, [clientId]);
      });
      // Still on the writer's turn: no event of the client's next life is stored before this.
      this.clientLives.set(clientId, (this.clientLives.get(clientId) ?? 0) + 1);
      const { rolled, counted } = await this.rollups();
      rolled.forget(clientId);
      counted.forget(clientId);
      this.rollupPauses.delete(clientId);
    });
  }

  async exportEvents(afterSeq: number, limit: number): Promise<CommittedEvent[]> {
    const result = await this.reader.runAndReadAll(
      `SELECT ${EVENT_COLUMNS_AS_STORED} FROM events WHERE seq > CAST($1 AS BIGINT) ORDER BY seq LIMIT CAST($2 AS BIGINT)`,
      [afterSeq, limit],
    );
    return result.getRowObjects() as unknown as CommittedEvent[];
  }

  /**
   * One writer numbers events as it commits them: the highest seq handed out and committed
   * (deleted events included, see HIGHEST_SEQ) is a horizon every later event is above. Once this
   * process has written, the writer knows it (nextSeq moves only after a COMMIT, so a write in
   * progress is never counted); reading it costs nothing, where max(seq) scans the column (6 ms
   * at 5M events, asked by every subscription's every fill). Before the first write: read on the
   * read connection, which sees committed rows only.
   */
  async streamHorizon(): Promise<number> {
    if (this.closed) throw new Error('the event store is closed');
    if (this.nextSeq !== undefined) return this.nextSeq - 1;
    const result = await this.reader.runAndReadAll(HIGHEST_SEQ);
    return Number(result.getRows()[0]?.[0] ?? 0);
  }

  /** In seq spans (streamSpans.ts): seqs are dense commit numbers, so (afterSeq, afterSeq + limit] holds at most `limit` events. */
  async streamEvents(query: StreamQuery, limit: number): Promise<CommittedEvent[]> {
    return readInSpans(query, limit, Math.max(limit, MIN_STREAM_SPAN), (span, rest) => this.streamSpan(span, rest));
  }

  private async streamSpan(query: StreamQuery, limit: number): Promise<CommittedEvent[]> {
    const where = streamWhere(query);
    const result = await this.reader.runAndReadAll(
      `SELECT ${EVENT_COLUMNS_AS_STORED} FROM events WHERE ${where.sql} ORDER BY seq LIMIT CAST($${where.params.length + 1} AS BIGINT)`,
      [...where.params, limit],
    );
    return result.getRowObjects() as unknown as CommittedEvent[];
  }

  async streamBacklog(query: StreamQuery): Promise<StreamBacklog> {
    if (query.uptoSeq <= query.afterSeq) return { events: 0, oldest_received_at: null };
    const where = streamWhere(query);
    const result = await this.reader.runAndReadAll(`SELECT count(*)::DOUBLE AS n, epoch_ms(min(received_at))::DOUBLE AS oldest FROM events WHERE ${where.sql}`, where.params);
    const [n, oldest] = result.getRows()[0] ?? [0, null];
    return { events: Number(n ?? 0), oldest_received_at: oldest === null || oldest === undefined ? null : Number(oldest) };
  }

  /**
   * Counted first: a backlog within `keep` (nearly always) costs one count, not a sort. Beyond
   * it, the boundary is found from whichever end is nearer (the range is fixed by uptoSeq).
   */
  async streamSeqKeeping(query: StreamQuery, keep: number): Promise<number | null> {
    const kept = Math.max(0, Math.floor(keep));
    // Dense seqs: a range no longer than `keep` cannot hold more (the common case costs no count).
    if (query.uptoSeq - query.afterSeq <= kept) return null;
    const { events } = await this.streamBacklog(query);
    if (events <= kept) return null;
    const where = streamWhere(query);
    const fromNewest = kept;
    const fromOldest = events - kept - 1;
    const [order, offset] = fromNewest <= fromOldest ? ['DESC', fromNewest] : ['ASC', fromOldest];
    const result = await this.reader.runAndReadAll(
      `SELECT seq::DOUBLE FROM events WHERE ${where.sql} ORDER BY seq ${order} LIMIT 1 OFFSET CAST($${where.params.length + 1} AS BIGINT)`,
      [...where.params, offset],
    );
    const row = result.getRows()[0];
    return row === undefined ? null : Number(row[0]);
  }

  async exportLinks(): Promise<IdentityLink[]> {
    const result = await this.reader.runAndReadAll(
      'SELECT client_id, distinct_id, person_id, epoch_ms(created_at)::DOUBLE AS created_at FROM identities ORDER BY created_at, client_id, distinct_id',
    );
    return result.getRowObjects() as unknown as IdentityLink[];
  }

  async counts(): Promise<EventCount[]> {
    // (client_id, uuid) is unique in DuckDB (event_keys), so count(*) already counts a retry once.
    const result = await this.reader.runAndReadAll(
      `SELECT client_id, sum(events)::DOUBLE AS events, sum(links)::DOUBLE AS links FROM (
         SELECT client_id, count(*) AS events, 0 AS links FROM events GROUP BY client_id
         UNION ALL SELECT client_id, 0, count(*) FROM identities GROUP BY client_id
       ) GROUP BY client_id ORDER BY client_id`,
    );
    return result.getRowObjects() as unknown as EventCount[];
  }
}

/** One result row of inspect(): integers arrive as numbers. */
export type PlainRow = (string | number | boolean | null)[];

/** A result value as JSON can carry it: counts (BIGINT) become numbers, decimals and other types their text. */
function plainValue(value: DuckDBValue): string | number | boolean | null {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  return String(value);
}

