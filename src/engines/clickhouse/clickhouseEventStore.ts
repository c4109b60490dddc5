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
import { isTimeGrain } from '../../query/plan.js';
import type { ClickHouseConnection, QueryParams, Row } from './connection.js';
import { openConnection } from './connection.js';
import { FIRST_LINK_ORDER, identitySettingsClause, MAP_MAX_LINKS, personsCte, type IdentityOptions } from './scope.js';
import { findStored, newLinks, removeRacedCopies } from './dedup.js';
import { clickhouseFunnel } from './funnel.js';
import { migrate } from './migrations.js';
import { clickhouseReport } from './report.js';
import { quarterStart, rollupSpan, type RolledQuarters } from './quarterRollup.js';
import { EVENT_COLUMNS, EVENT_COLUMNS_AS_STORED, HIDDEN_EVENTS_KEY, tablesOf, type Tables } from './schema.js';
import { SeqClock } from './seq.js';
import { readInSpans } from '../streamSpans.js';
import { clickhouseHorizon, DEFAULT_SETTLE_MS, streamWhere } from './stream.js';
import type { StreamBacklog, StreamQuery } from '../../pubsub/eventStream.js';
import { parseClickHouseUrl } from './url.js';
import { chTime } from './values.js';

/** Quarters with a deleted raced copy in one report's period beyond which it reads events (each is a time range of its own). */
const MAX_RACED_QUARTERS = 200;

/** The first seq span of a Pub/Sub read: five seconds of stamps (µs); wider ones follow when it comes back short. At 200,000 waiting (chDB), a window of 500 took 20–28 ms with it against 21–48 ms over the whole range; 1 s spans took more reads than they saved. */
const FIRST_STREAM_SPAN_US = 5_000_000;

/**
 * Events in ClickHouse, a server or cluster shared by every node, or chDB in this process. Writes
 * of this node go one group at a time (the group-commit writer above batches them), which is what
 * makes seq follow this node's commit order and the check for stored uuids see every earlier group.
 */
export class ClickHouseEventStore implements EventStore {
  readonly description: string;
  private readonly tables: Tables;
  private writeQueue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private clock: SeqClock | undefined;
  private materialize: Promise<boolean> | undefined;
  /** The first seq of this node's insert between stamping and committing, if one is. */
  private firstSeqInFlight: number | undefined;
  /** From which instant the quarter-hour rollups hold every event, once read (see schema.ts). */
  private rollupStart: number | undefined;
  /** Whether reports read the quarter-hour rollups where they can (tests compare both ways). */
  quarterRollups = true;
  /** Quarters of a failed insert not yet recorded as raced (the record failed too): recorded before the next group. */
  private uncertainQuarters: { client_id: string; quarter_start: number }[] = [];

  constructor(
    private readonly connection: ClickHouseConnection,
    private readonly target: { database: string; cluster?: string | undefined },
    /** Pub/Sub's settle window (see stream.ts clickhouseHorizon). */
    private readonly settleMs = DEFAULT_SETTLE_MS,
    /** Whether to use `AS MATERIALIZED` CTEs; absent: asked of the server. False: the plain CTEs an older server runs (tests compare both). */
    materializedCtes?: boolean,
  ) {
    this.description = connection.description;
    this.tables = tablesOf(target.database);
    if (materializedCtes !== undefined) this.materialize = Promise.resolve(materializedCtes);
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the event store is closed'));
    const result = this.writeQueue.then(work);
    this.writeQueue = result.catch(() => undefined);
    return result;
  }

  private query<T extends Row>(sql: string, params?: QueryParams): Promise<T[]> {
    if (this.closed) return Promise.reject(new Error('the event store is closed'));
    return this.connection.query<T>(sql, params);
  }

  migrate(): Promise<void> {
    return this.serialised(() => migrate(this.connection, this.target));
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1 AS ok');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Queued writes were promised to callers waiting for them.
    await this.writeQueue;
    this.closed = true;
    await this.connection.close();
  }

  private async seqClock(): Promise<SeqClock> {
    if (this.clock === undefined) {
      const [row] = await this.connection.query<{ high: number }>(
        `SELECT greatest((SELECT max(seq) FROM ${this.tables.events}), (SELECT max(seq) FROM ${this.tables.identities})) AS high`,
      );
      this.clock = new SeqClock(Number(row?.high ?? 0));
    }
    return this.clock;
  }

  append(events: StoredEvent[], links: IdentityLink[]): Promise<AppendOutcome> {
    return this.serialised(async () => {
      await this.markUncertainQuarters();
      const stored = await findStored(this.connection, this.tables, events);
      const duplicateIndexes: number[] = [];
      const toStore: StoredEvent[] = [];
      const seen = new Set<string>();
      events.forEach((event, i) => {
        const key = `${event.client_id}\u0000${event.uuid}`;
        if (stored.has(key) || seen.has(key)) duplicateIndexes.push(i);
        else {
          seen.add(key);
          toStore.push(event);
        }
      });
      const clock = await this.seqClock();
      if (toStore.length > 0) {
        const first = clock.take(toStore.length);
        this.firstSeqInFlight = first;
        try {
          await this.connection.insert(this.tables.events, toStore.map((event, i) => eventRow(event, first + i)));
        } catch (error) {
          // ClickHouse writes the events before the view's rollup rows and does not take them back
          // when the view fails (too many parts, memory): the retry finds the events stored and
          // skips them, so their quarters must be read from events from now on.
          this.uncertainQuarters.push(...toStore.map((event) => ({ client_id: event.client_id, quarter_start: quarterStart(event.timestamp) })));
          await this.markUncertainQuarters().catch(() => undefined);
          throw error;
        } finally {
          // Failed or not, nothing of this insert can commit later (a retry stamps anew).
          this.firstSeqInFlight = undefined;
        }
      }
      // Another node may have stored one of these at the same moment: keep the first copy only.
      // Duplicates are looked at too: a writer that inserted and then stopped (a crash, or the
      // recheck failing) sees its events again as duplicates when it retries, and only this
      // recheck removes the copy it left beside another node's.
      if (events.length > 0) await removeRacedCopies(this.connection, this.tables, events);
      const fresh = await newLinks(this.connection, this.tables, links);
      if (fresh.length > 0) {
        const first = clock.take(fresh.length);
        await this.connection.insert(
          this.tables.identities,
          fresh.map((link, i) => ({ client_id: link.client_id, distinct_id: link.distinct_id, person_id: link.person_id, created_at: chTime(link.created_at), seq: first + i })),
        );
      }
      return { duplicateIndexes };
    });
  }

  /**
   * Records the quarters of failed inserts among the raced ones (dedup.ts), so reports read them
   * from events. Kept until recorded: a group is not stored while an earlier failure's quarters
   * are unrecorded (the retry would find that group's events stored and skip them).
   */
  private async markUncertainQuarters(): Promise<void> {
    if (this.uncertainQuarters.length === 0) return;
    const unique = new Map(this.uncertainQuarters.map((row) => [`${row.client_id}\u0000${row.quarter_start}`, row]));
    await this.connection.insert(this.tables.racedQuarters, [...unique.values()]);
    this.uncertainQuarters = [];
  }

  async recentEvents(clientId: string, query: RecentEventsQuery): Promise<CommittedEvent[]> {
    const params: QueryParams = { client: clientId, limit: query.limit };
    let after = '';
    if (query.receivedAfter !== undefined) {
      params.received = query.receivedAfter;
      after += " AND received_at > fromUnixTimestamp64Milli({received:Int64}, 'UTC')";
    }
    if (query.afterSeq !== undefined) {
      params.seq = Math.max(0, Math.floor(query.afterSeq));
      after += ' AND seq > {seq:UInt64}';
    }
    const order = query.afterSeq === undefined ? 'DESC' : 'ASC';
    const rows = await this.query<Row>(
      `SELECT ${EVENT_COLUMNS_AS_STORED} FROM ${this.tables.events} WHERE client_id = {client:String}${after} ORDER BY seq ${order} LIMIT {limit:UInt64}`,
      params,
    );
    const events = rows.map(committedEvent);
    return order === 'ASC' ? events.reverse() : events;
  }

  /** The winning link of each distinct_id (FIRST_LINK_ORDER, as reports take it), as a SELECT over `where`. */
  private linksQuery(where: string): string {
    // created_at last: two rows alike in the rest give one answer.
    const first = `(${FIRST_LINK_ORDER}, created_at)`;
    return `SELECT client_id, distinct_id, argMin(person_id, ${first}) AS person, toUnixTimestamp64Milli(argMin(created_at, ${first})) AS created
      FROM ${this.tables.identities} ${where} GROUP BY client_id, distinct_id`;
  }

  async identityLinks(clientId: string): Promise<IdentityLink[]> {
    const rows = await this.query<Row>(`${this.linksQuery('WHERE client_id = {client:String}')} ORDER BY created, distinct_id`, { client: clientId });
    return rows.map(identityLink);
  }

  /**
   * Whether the client has identity links (so persons are resolved only where needed), and few
   * enough for rows to look them up in arrays (MAP_MAX_LINKS): its stored links counted up to one
   * past that bound, on the table's key.
   */
  private async linksOf(clientId: string): Promise<Pick<IdentityOptions, 'links' | 'fewLinks'>> {
    const [row] = await this.query<{ n: number }>(`SELECT count() AS n FROM (SELECT 1 FROM ${this.tables.identities} WHERE client_id = {client:String} LIMIT {limit:UInt64})`, {
      client: clientId,
      limit: MAP_MAX_LINKS + 1,
    });
    const stored = Number(row?.n ?? 0);
    return { links: stored > 0, fewLinks: stored <= MAP_MAX_LINKS };
  }

  /**
   * Whether the server computes `WITH x AS MATERIALIZED (…)` once per statement (ClickHouse 25.x
   * and later, behind an experimental setting): asked once, by running the very shape reports use
   * (`persons` over `links`, joined eight times) for a client that cannot exist. An older server
   * refuses the syntax or the setting, and identity links are then resolved with plain CTEs (the
   * same answers, slower).
   */
  private materializedCtes(): Promise<boolean> {
    const identity = { links: true, materialize: true };
    this.materialize ??= this.query(`WITH ${personsCte(this.tables, "''", identity).join(', ')} SELECT count() AS n FROM persons${identitySettingsClause(identity)}`).then(
      (rows) => rows.length === 1,
      () => false,
    );
    return this.materialize;
  }

  /**
   * Runs a statement built with the probed answer. Materialized CTEs are experimental: where a
   * server took the probe but fails the statement, it is run once more with plain CTEs, and this
   * store uses plain ones from then on (a slower answer rather than none).
   */
  private async withIdentity(links: Pick<IdentityOptions, 'links' | 'fewLinks'>, build: (identity: IdentityOptions) => { sql: string; params: QueryParams }): Promise<Row[]> {
    const materialize = links.links && (await this.materializedCtes());
    try {
      const { sql, params } = build({ ...links, materialize });
      return await this.query<Row>(sql, params);
    } catch (error) {
      if (!materialize) throw error;
      this.materialize = Promise.resolve(false);
      const { sql, params } = build({ ...links, materialize: false });
      return this.query<Row>(sql, params);
    }
  }

  /**
   * The quarters of the plan's period read from the quarter-hour rollups, if any: the rollups'
   * start is read until one is recorded (a node that does not migrate waits for one that does),
   * and the quarters where a raced copy was deleted each time. More raced quarters than
   * MAX_RACED_QUARTERS and the report reads events.
   */
  private async rolledQuarters(plan: ReportPlan): Promise<RolledQuarters | undefined> {
    if (!this.quarterRollups) return undefined;
    // A plan no start could help (other metrics, filters, a short period) asks nothing more.
    if (rollupSpan(plan, Number.NEGATIVE_INFINITY) === undefined) return undefined;
    if (this.rollupStart === undefined) {
      const [row] = await this.query<{ start: number | null }>(
        `SELECT if(count() = 0, NULL, min(complete_from)) AS start FROM ${this.tables.quarterRollupStart} WHERE hidden_events = {hidden:String}`,
        { hidden: HIDDEN_EVENTS_KEY },
      ).catch(() => []);
      if (row?.start !== null && row?.start !== undefined) this.rollupStart = Number(row.start);
    }
    if (this.rollupStart === undefined) return undefined;
    const span = rollupSpan(plan, this.rollupStart);
    if (span === undefined) return undefined;
    const raced = await this.query<{ quarter: number }>(
      `SELECT DISTINCT quarter_start AS quarter FROM ${this.tables.racedQuarters} WHERE client_id = {client:String} AND quarter_start >= {from:Int64} AND quarter_start < {to:Int64} ORDER BY quarter LIMIT {limit:UInt64}`,
      { client: plan.clientId, from: span.from, to: span.to, limit: MAX_RACED_QUARTERS + 1 },
    );
    if (raced.length > MAX_RACED_QUARTERS) return undefined;
    return { ...span, raced: raced.map((row) => Number(row.quarter)) };
  }

  async report(plan: ReportPlan): Promise<ReportResult> {
    const links = plan.metrics.includes('unique_visitors') ? await this.linksOf(plan.clientId) : { links: false };
    const rolled = await this.rolledQuarters(plan);
    const rows = await this.withIdentity(links, (identity) => clickhouseReport(plan, this.tables, identity, rolled));
    const result: ReportRow[] = rows.map((row) => ({
      dimensions: Object.fromEntries(plan.dimensions.map((d, i) => [d, dimensionValue(row[`d${i}`], isTimeGrain(d))])),
      metrics: Object.fromEntries(plan.metrics.map((m) => [m, Number(row[`m_${m}`] ?? 0)])),
    }));
    const total = plan.sortAndLimit === undefined ? result.length : rows.length === 0 ? 0 : Number(rows[0]!.total);
    return { rows: result, total };
  }

  async funnel(plan: FunnelPlan): Promise<FunnelResult> {
    const [row] = await this.withIdentity(await this.linksOf(plan.clientId), (identity) => clickhouseFunnel(plan, this.tables, identity));
    return { reached: plan.steps.map((_, i) => Number(row?.[`c${i + 1}`] ?? 0)) };
  }

  deleteClient(clientId: string): Promise<void> {
    // Lightweight deletes, waited for: a report right after sees none of the rows.
    return this.serialised(async () => {
      for (const table of [this.tables.events, this.tables.identities, this.tables.quarterRollup, this.tables.racedQuarters]) {
        await this.connection.command(`DELETE FROM ${table} WHERE client_id = {client:String} SETTINGS lightweight_deletes_sync = 2`, { client: clientId });
      }
    });
  }

  async streamHorizon(): Promise<number> {
    if (this.closed) throw new Error('the event store is closed');
    return clickhouseHorizon(Date.now(), this.settleMs, this.firstSeqInFlight);
  }

  /** In seq spans (streamSpans.ts), the first five seconds wide (seq is a stamp in µs). */
  async streamEvents(query: StreamQuery, limit: number): Promise<CommittedEvent[]> {
    return readInSpans(query, limit, FIRST_STREAM_SPAN_US, (span, rest) => this.streamSpan(span, rest));
  }

  private async streamSpan(query: StreamQuery, limit: number): Promise<CommittedEvent[]> {
    const where = streamWhere(query);
    const rows = await this.query<Row>(
      `SELECT ${EVENT_COLUMNS_AS_STORED} FROM ${this.tables.events} WHERE ${where.sql} ORDER BY seq LIMIT {limit:UInt64}`,
      { ...where.params, limit },
    );
    return rows.map(committedEvent);
  }

  async streamBacklog(query: StreamQuery): Promise<StreamBacklog> {
    if (query.uptoSeq <= query.afterSeq) return { events: 0, oldest_received_at: null };
    const where = streamWhere(query);
    const [row] = await this.query<{ n: number; oldest: number | null }>(
      `SELECT count() AS n, if(n = 0, NULL, toUnixTimestamp64Milli(min(received_at))) AS oldest FROM ${this.tables.events} WHERE ${where.sql}`,
      where.params,
    );
    const events = Number(row?.n ?? 0);
    return { events, oldest_received_at: events === 0 || row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest) };
  }

  /** Counted first, as on DuckDB: a backlog within `keep` costs one count, not a sort. */
  async streamSeqKeeping(query: StreamQuery, keep: number): Promise<number | null> {
    const { events } = await this.streamBacklog(query);
    const kept = Math.max(0, Math.floor(keep));
    if (events <= kept) return null;
    const where = streamWhere(query);
    const fromOldest = events - kept - 1;
    const [order, offset] = kept <= fromOldest ? ['DESC', kept] : ['ASC', fromOldest];
    const [row] = await this.query<{ seq: number }>(
      `SELECT seq FROM ${this.tables.events} WHERE ${where.sql} ORDER BY seq ${order} LIMIT 1 OFFSET {offset:UInt64}`,
      { ...where.params, offset },
    );
    return row === undefined ? null : Number(row.seq);
  }

  async exportEvents(afterSeq: number, limit: number): Promise<CommittedEvent[]> {
    const rows = await this.query<Row>(
      `SELECT ${EVENT_COLUMNS_AS_STORED} FROM ${this.tables.events} WHERE seq > {seq:UInt64} ORDER BY seq LIMIT {limit:UInt64}`,
      { seq: Math.max(0, Math.floor(afterSeq)), limit },
    );
    return rows.map(committedEvent);
  }

  async exportLinks(): Promise<IdentityLink[]> {
    const rows = await this.query<Row>(`${this.linksQuery('')} ORDER BY created, client_id, distinct_id`);
    return rows.map(identityLink);
  }

  async counts(): Promise<EventCount[]> {
    const events = await this.query<{ client_id: string; n: number }>(`SELECT client_id, count() AS n FROM ${this.tables.events} GROUP BY client_id`);
    const links = await this.query<{ client_id: string; n: number }>(`SELECT client_id, uniqExact(distinct_id) AS n FROM ${this.tables.identities} GROUP BY client_id`);
    const byClient = new Map<string, EventCount>();
    const entry = (clientId: string): EventCount => {
      let count = byClient.get(clientId);
      if (count === undefined) {
        count = { client_id: clientId, events: 0, links: 0 };
        byClient.set(clientId, count);
      }
      return count;
    };
    for (const row of events) entry(row.client_id).events = Number(row.n);
    for (const row of links) entry(row.client_id).links = Number(row.n);
    return [...byClient.values()].sort((a, b) => (a.client_id < b.client_id ? -1 : a.client_id > b.client_id ? 1 : 0));
  }
}

/** A StoredEvent as a JSONEachRow row of `events`, numbered `seq`. */
function eventRow(event: StoredEvent, seq: number): Row {
  const row: Row = { seq };
  for (const column of EVENT_COLUMNS) {
    const value = event[column];
    row[column] = column === 'timestamp' || column === 'received_at' ? chTime(value as number) : value;
  }
  return row;
}

function committedEvent(row: Row): CommittedEvent {
  const event = {} as Record<string, unknown>;
  for (const column of EVENT_COLUMNS) event[column] = row[column];
  return { ...(event as unknown as CommittedEvent), timestamp: Number(row.timestamp_ms), received_at: Number(row.received_at_ms), seq: Number(row.seq), is_bot: row.is_bot === true };
}

function identityLink(row: Row): IdentityLink {
  return { client_id: String(row.client_id), distinct_id: String(row.distinct_id), person_id: String(row.person), created_at: Number(row.created) };
}

function dimensionValue(value: unknown, time: boolean): string | number | null {
  if (value === null || value === undefined) return null;
  return time ? Number(value) : String(value);
}

/**
 * Opens (and migrates) the engine a ClickHouse URL names: `http(s)://user:password@host:port/db`
 * or `chdb:<dir>[?database=name]`; `cluster` adds ON CLUSTER DDL and Replicated tables.
 */
export async function openClickHouseEventStore(url: string, options: { cluster?: string; migrate?: boolean; settleMs?: number; materializedCtes?: boolean } = {}): Promise<ClickHouseEventStore> {
  const location = parseClickHouseUrl(url, options.cluster === undefined ? {} : { cluster: options.cluster });
  const connection = await openConnection(location);
  const store = new ClickHouseEventStore(connection, { database: location.database, cluster: location.cluster }, options.settleMs, options.materializedCtes);
  if (options.migrate !== false) {
    try {
      await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}
