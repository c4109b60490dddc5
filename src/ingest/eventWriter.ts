import type { EventStore, IdentityLink, StoredEvent } from '../events/eventStore.js';
import { Journal, type Erasure, type JournalRecord, type Provenance } from '../events/journal.js';
import { JournalUnavailable, Overloaded, type EventSink } from './eventSink.js';

export interface EventWriterOptions {
  /** Events acknowledged or waiting but not yet in the EventStore, at most; beyond, writes are refused (503). */
  maxQueuedEvents: number;
  /** Bytes of journal text not yet in the EventStore, at most (the events' memory is about this size). */
  maxQueuedBytes: number;
  /** Events per EventStore transaction, at most. */
  maxBatchEvents: number;
  /** Seconds a refused caller is told to wait. */
  retryAfterSeconds: number;
}

export const DEFAULT_WRITER_OPTIONS: EventWriterOptions = {
  maxQueuedEvents: 100_000,
  maxQueuedBytes: 64 * 1024 * 1024,
  maxBatchEvents: 20_000,
  retryAfterSeconds: 1,
};

/** Pause before applying again after the EventStore failed; the events stay journaled meanwhile. */
const APPLY_RETRY_MS = 1_000;
/**
 * Journaled events wait at most this long, or until this many have gathered, before the EventStore
 * takes them: a DuckDB transaction costs 10–20 ms of CPU however few rows it holds (measured: 100
 * rows through the appender, 10 ms), so fewer, larger ones leave the cores to the requests. A read
 * of recent events does not wait: it asks for them at once (settled).
 */
const APPLY_LINGER_MS = 1_000;
const APPLY_AT_EVENTS = 20_000;

/** Counters for tests and operators: how well group commit is grouping. */
export interface WriterStats {
  journalAppends: number;
  applyTransactions: number;
  /** Journal records the EventStore refused even alone, set aside in the journal dir's rejected file. */
  rejectedRecords: number;
}

interface PendingWrite extends JournalRecord {
  line: string;
  resolve(): void;
  reject(error: unknown): void;
}

/** The erasures of one client id. */
interface ErasedClient {
  /** Lives erased (their created_at): none of their records is applied. */
  lives: Set<number>;
  /** The latest erasure: records without a Provenance received up to then are dropped. */
  at: number;
  /** The latest erasure recorded without a life: records received up to then are dropped, whatever their life. */
  lifelessAt: number;
}

/** When a link's event was received: the events of a record share one received_at. */
function receivedAtOf(record: JournalRecord, link: IdentityLink): number {
  return record.events.find((event) => event.client_id === link.client_id)?.received_at ?? link.created_at;
}

interface Unapplied extends JournalRecord {
  bytes: number;
  /** The journal segment holding the record. */
  segment: number;
}

/**
 * Accepts events durably, fast, and moves them into the EventStore in large groups.
 *
 * Group commit: each write waits for the synchronous journal write that covers it; writes
 * arriving while one is in progress share the next. Once journaled, events are acknowledged (they
 * survive a crash: the journal is applied again on start) and queued for the EventStore, which
 * takes whatever has gathered, at most once a second unless much is waiting or a reader asks.
 * The queue is bounded, so overload turns into quick refusals (Overloaded → 503) instead of
 * unbounded memory.
 */
export class EventWriter implements EventSink {
  private readonly options: EventWriterOptions;
  private waiting: PendingWrite[] = [];
  private unapplied: Unapplied[] = [];
  private queuedEvents = 0;
  private queuedBytes = 0;
  private unappliedEvents = 0;
  /** A journal append is in progress; writes arriving meanwhile wait for the next. */
  private appending = false;
  private applying = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Records of each journal segment not yet in the EventStore; a segment at 0 can be deleted. */
  private readonly segmentPending = new Map<number, number>();
  /** Writes accepted so far, and writes finished (applied, or failed to journal): `settled()` waits for the second to catch up. */
  private acceptedWrites = 0;
  private finishedWrites = 0;
  private settleWaiters: { target: number; resolve(): void }[] = [];
  /** Hard-deleted clients: their events still in flight, or replayed from the journal, are dropped, not applied. */
  private readonly erased = new Map<string, ErasedClient>();
  private readonly log: (message: string, error: unknown) => void;
  readonly stats: WriterStats = { journalAppends: 0, applyTransactions: 0, rejectedRecords: 0 };

  private constructor(
    private readonly store: EventStore,
    private readonly journal: Journal,
    options: Partial<EventWriterOptions>,
    log?: (message: string, error: unknown) => void,
  ) {
    this.options = { ...DEFAULT_WRITER_OPTIONS, ...options };
    this.log = log ?? ((message, error) => process.stderr.write(`mythic: ${message}: ${String(error)}\n`));
  }

  /**
   * Opens the journal in `journalDir` and applies whatever an earlier process acknowledged but
   * had not yet moved into the EventStore, before accepting anything new.
   */
  static async open(
    store: EventStore,
    journalDir: string,
    options: Partial<EventWriterOptions> = {},
    log?: (message: string, error: unknown) => void,
  ): Promise<EventWriter> {
    const { journal, leftover, erasures } = await Journal.open(journalDir);
    const writer = new EventWriter(store, journal, options, log);
    for (const erasure of erasures) writer.remember(erasure);
    for (const segment of leftover) {
      // A store that refuses everything now fails the start, with the segment kept for the next.
      if (!(await writer.apply(segment.records))) throw new Error('the event store refused every journaled record left by the last run');
      await journal.discard(segment.sequence);
    }
    return writer;
  }

  /** Events acknowledged or waiting, not yet in the EventStore. */
  get pendingEvents(): number {
    return this.queuedEvents;
  }

  assertCapacity(): void {
    if (this.queuedEvents >= this.options.maxQueuedEvents || this.queuedBytes >= this.options.maxQueuedBytes) {
      throw new Overloaded(this.options.retryAfterSeconds);
    }
  }

  /**
   * Resolves once the events are on disk in the journal; rejects with Overloaded when the queues
   * are full. `from` says which life of the client they were accepted for (see Provenance):
   * without it, a hard delete drops them by their received_at alone.
   */
  write(events: StoredEvent[], links: IdentityLink[], from?: Provenance): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the event writer is closed'));
    if (events.length === 0 && links.length === 0) return Promise.resolve();
    const record: JournalRecord = from === undefined ? { events, links } : { events, links, from };
    const line = `${JSON.stringify(record)}\n`;
    const bytes = line.length;
    const full = this.queuedEvents + events.length > this.options.maxQueuedEvents || this.queuedBytes + bytes > this.options.maxQueuedBytes;
    if (full && this.queuedEvents > 0) return Promise.reject(new Overloaded(this.options.retryAfterSeconds));
    this.queuedEvents += events.length;
    this.queuedBytes += bytes;
    this.acceptedWrites++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ ...record, line, resolve, reject });
      if (!this.appending) void this.journalLoop();
    });
  }

  /** Resolves once everything acknowledged before the call is in the EventStore (reads see it). */
  settled(): Promise<void> {
    const target = this.acceptedWrites;
    if (this.finishedWrites >= target) return Promise.resolve();
    return new Promise((resolve) => {
      this.settleWaiters.push({ target, resolve });
      this.scheduleApply();
    });
  }

  /**
   * Makes sure no event or identity link of the client's life `life` (its created_at) is ever
   * applied from now on, whenever it was received, then settles. Call before deleting its data:
   * whatever was applied before is then in the EventStore to delete, and whatever is still in
   * flight (a request authenticated from the key cache a moment before the delete) is dropped,
   * now or at a replay of the journal after a crash. Without `life`, what was received up to
   * `now` is dropped (records written without a Provenance).
   */
  async forgetClient(clientId: string, now: number, life?: number): Promise<void> {
    const erasure: Erasure = life === undefined ? { client_id: clientId, at: now } : { client_id: clientId, at: now, life };
    // Durable first: a crash before the journal segments holding the client's events are deleted
    // must not let a replay bring them back.
    await this.journal.recordErasure(erasure);
    this.remember(erasure);
    await this.settled();
  }

  private remember(erasure: Erasure): void {
    const known = this.erased.get(erasure.client_id) ?? { lives: new Set<number>(), at: -Infinity, lifelessAt: -Infinity };
    known.at = Math.max(known.at, erasure.at);
    if (erasure.life === undefined) known.lifelessAt = Math.max(known.lifelessAt, erasure.at);
    else known.lives.add(erasure.life);
    this.erased.set(erasure.client_id, known);
  }

  /** Stops accepting writes; resolves once everything acknowledged is in the EventStore. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.settled();
    clearTimeout(this.lingerTimer);
    await this.journal.close();
  }

  /**
   * Group commit: everything waiting goes to disk in one write, and whatever arrives meanwhile
   * goes in the next.
   */
  private async journalLoop(): Promise<void> {
    this.appending = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0);
        try {
          const segment = await this.journal.append(group.map((write) => write.line).join(''));
          this.stats.journalAppends++;
          for (const write of group) {
            this.unapplied.push({ events: write.events, links: write.links, ...(write.from ? { from: write.from } : {}), bytes: write.line.length, segment });
            this.unappliedEvents += write.events.length;
          }
          this.segmentPending.set(segment, (this.segmentPending.get(segment) ?? 0) + group.length);
        } catch (error) {
          // A full disk or an I/O error: said once per failed append, to the operator's log.
          this.log('could not write to the journal; the events of this group were refused', error);
          const refusal = new JournalUnavailable(this.options.retryAfterSeconds, error);
          for (const write of group) {
            this.queuedEvents -= write.events.length;
            this.queuedBytes -= write.line.length;
            write.reject(refusal);
          }
          this.finishedWrites += group.length;
          this.wakeSettled();
          continue;
        }
        for (const write of group) write.resolve();
        this.scheduleApply();
      }
    } finally {
      this.appending = false;
    }
  }

  /**
   * Whether to apply without lingering: a reader waits, enough has gathered, or the queue is half
   * full (lingering then would turn a burst into 503s while DuckDB sits idle).
   */
  private applyNow(): boolean {
    return (
      this.settleWaiters.length > 0 ||
      this.unappliedEvents >= Math.min(APPLY_AT_EVENTS, this.options.maxQueuedEvents / 2) ||
      this.queuedBytes >= this.options.maxQueuedBytes / 2
    );
  }

  /** Starts applying now when enough has gathered or a reader waits; otherwise after a short linger. */
  private scheduleApply(): void {
    if (this.applying || this.unapplied.length === 0) return;
    if (this.applyNow()) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
      void this.applyLoop();
    } else {
      this.lingerTimer ??= setTimeout(() => {
        this.lingerTimer = undefined;
        if (!this.applying) void this.applyLoop();
      }, APPLY_LINGER_MS);
    }
  }

  /** Moves journaled events into the EventStore, in groups as large as have gathered. */
  private async applyLoop(): Promise<void> {
    this.applying = true;
    try {
      for (let first = true; this.unapplied.length > 0; first = false) {
        // What arrived during the last transaction waits for the linger unless it is already a lot.
        if (!first && !this.applyNow()) break;
        const records = this.unapplied.splice(0);
        this.unappliedEvents = 0;
        if (!(await this.apply(records))) {
          // The store itself is failing (disk full…): nothing is lost, the records stay journaled.
          this.unapplied.unshift(...records);
          this.unappliedEvents += records.reduce((sum, record) => sum + record.events.length, 0);
          await new Promise((resolve) => setTimeout(resolve, APPLY_RETRY_MS));
          continue;
        }
        for (const record of records) {
          this.queuedEvents -= record.events.length;
          this.queuedBytes -= record.bytes;
          this.segmentPending.set(record.segment, (this.segmentPending.get(record.segment) ?? 1) - 1);
        }
        await this.discardAppliedSegments();
        this.finishedWrites += records.length;
        this.wakeSettled();
      }
    } finally {
      this.applying = false;
    }
    this.scheduleApply();
  }

  /**
   * Moves records into the EventStore, in large transactions; when one fails, record by record
   * (see applyOneByOne). The one way in, for replay at start and for the running loop alike, so a
   * record the store refuses can block neither. Returns false when the store refused everything.
   */
  private async apply(records: JournalRecord[]): Promise<boolean> {
    try {
      await this.applyInBatches(records);
      return true;
    } catch (error) {
      this.log('could not move events into the event store; retrying record by record', error);
      return this.applyOneByOne(records);
    }
  }

  /**
   * After a failed group: applies each record alone, so one the store refuses cannot block the
   * others forever. A record refused alone while others succeed is set aside (kept, never
   * dropped silently). Returns false when every record failed: the store, not a record, is broken.
   */
  private async applyOneByOne(records: JournalRecord[]): Promise<boolean> {
    const refused: JournalRecord[] = [];
    let firstError: unknown;
    for (const record of records) {
      try {
        await this.applyInBatches([record]);
      } catch (error) {
        firstError ??= error;
        refused.push(record);
      }
    }
    if (refused.length === records.length) return false;
    if (refused.length > 0) {
      await this.journal.setAside(refused);
      this.stats.rejectedRecords += refused.length;
      this.log(`set ${refused.length} journal record(s) the event store refused aside`, firstError);
    }
    return true;
  }

  /** Deletes the full segments whose records are all in the EventStore. */
  private async discardAppliedSegments(): Promise<void> {
    for (const [segment, pending] of this.segmentPending) {
      if (pending > 0 || this.journal.isCurrent(segment)) continue;
      this.segmentPending.delete(segment);
      await this.journal.discard(segment);
    }
  }

  private async applyInBatches(records: JournalRecord[]): Promise<void> {
    let events: StoredEvent[] = [];
    let links: IdentityLink[] = [];
    for (const record of records) {
      if (record.from !== undefined) {
        if (!this.keepsRecord(record.from)) continue;
        events.push(...record.events);
        links.push(...record.links);
      } else {
        events.push(...record.events.filter((event) => this.keepsReceived(event.client_id, event.received_at)));
        // A link is decided by when its event was received, like the event: its created_at is
        // the sender's timestamp (a backfill can be years old).
        links.push(...record.links.filter((link) => this.keepsReceived(link.client_id, receivedAtOf(record, link))));
      }
      if (events.length >= this.options.maxBatchEvents) {
        this.stats.applyTransactions++;
        await this.store.append(events, links);
        events = [];
        links = [];
      }
    }
    if (events.length > 0 || links.length > 0) {
      this.stats.applyTransactions++;
      await this.store.append(events, links);
    }
  }

  /**
   * A record of a known life is kept unless that very life was erased: a request authenticated
   * for the old life just before the delete is dropped even if it was received after it, and a
   * new life's events are kept even if received in the same millisecond as the erasure.
   */
  private keepsRecord(from: Provenance): boolean {
    const erased = this.erased.get(from.client_id);
    return erased === undefined || (!erased.lives.has(from.life) && from.received_at > erased.lifelessAt);
  }

  private keepsReceived(clientId: string, receivedAt: number): boolean {
    const erased = this.erased.get(clientId);
    return erased === undefined || receivedAt > erased.at;
  }

  private wakeSettled(): void {
    const still: typeof this.settleWaiters = [];
    for (const waiter of this.settleWaiters) {
      if (this.finishedWrites >= waiter.target) waiter.resolve();
      else still.push(waiter);
    }
    this.settleWaiters = still;
  }
}
