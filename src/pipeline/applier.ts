import type { EventStore } from '../events/eventStore.js';
import type { Journal, JournalRecord } from './journal.js';
import { clientsOf, type ClientLives, type Erasures } from './erasures.js';
import type { Journaled } from './groupCommit.js';
import type { EventWriterOptions, WriterLog, WriterStats } from './writerOptions.js';

/** Pause before applying again after the EventStore (or the MetaStore) failed; the events stay journaled meanwhile. */
const APPLY_RETRY_MS = 1_000;
/**
 * Journaled events wait at most this long, or until this many have gathered, before the EventStore
 * takes them: a DuckDB transaction costs 10–20 ms of CPU however few rows it holds (measured: 100
 * rows through the appender, 10 ms), so fewer, larger ones leave the cores to the requests. Reports
 * see events within this linger of their acknowledgement; a reader that must see them at once (the
 * live view) waits on the read barrier, which makes the applier go without lingering.
 */
const APPLY_LINGER_MS = 1_000;
const APPLY_AT_EVENTS = 20_000;

/** The MetaStore did not answer which lives are current: nothing is applied, the records stay journaled. */
class LivesUnknown extends Error {
  constructor(cause: unknown) {
    super('the MetaStore could not say which client lives are current', { cause });
    this.name = 'LivesUnknown';
  }
}

/** What the applier needs to know of the rest of the writer. */
export interface ApplierHooks {
  /** Someone waits to read what was acknowledged: do not linger. */
  readerWaits(): boolean;
  /** Bytes accepted and not yet applied (the group commit's queue). */
  queuedBytes(): number;
  /** Records left the queue: applied, dropped as erased, or set aside. */
  applied(records: Journaled[]): void;
}

/**
 * Moves journaled records into the EventStore: in groups as large as have gathered (at most once a
 * linger unless much waits or a reader asks), through the erasure filter, with poisoned records
 * set aside so one the EventStore refuses cannot block the rest, retrying while the store fails,
 * and deleting journal segments once every record of theirs is applied.
 */
export class Applier {
  private unapplied: Journaled[] = [];
  private unappliedEvents = 0;
  private applying = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Records of each journal segment not yet in the EventStore; a segment at 0 can be deleted. */
  private readonly segmentPending = new Map<number, number>();

  constructor(
    private readonly store: EventStore,
    private readonly journal: Journal,
    private readonly erasures: Erasures,
    private readonly lives: ClientLives | undefined,
    private readonly options: EventWriterOptions,
    private readonly stats: WriterStats,
    private readonly log: WriterLog,
    private readonly hooks: ApplierHooks,
  ) {}

  /** Records now in the journal: applied after the linger, or at once when enough has gathered. */
  take(records: Journaled[]): void {
    for (const record of records) {
      this.unapplied.push(record);
      this.unappliedEvents += record.events.length;
      this.segmentPending.set(record.segment, (this.segmentPending.get(record.segment) ?? 0) + 1);
    }
    this.schedule();
  }

  /** Starts applying now when enough has gathered or a reader waits; otherwise after the linger. */
  schedule(): void {
    if (this.applying || this.unapplied.length === 0) return;
    if (this.applyNow()) {
      this.stopLinger();
      void this.applyLoop();
    } else {
      this.lingerTimer ??= setTimeout(() => {
        this.lingerTimer = undefined;
        if (!this.applying) void this.applyLoop();
      }, APPLY_LINGER_MS);
    }
  }

  stopLinger(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }

  /**
   * Moves records into the EventStore (the one way in, for replay at start and for the running
   * loop alike, so a record the store refuses can block neither). Returns false when nothing could
   * be applied: the MetaStore could not say which lives are current, or the EventStore refused
   * every record.
   */
  async apply(records: JournalRecord[]): Promise<boolean> {
    try {
      await this.applyInBatches(records);
      return true;
    } catch (error) {
      if (error instanceof LivesUnknown) return this.livesUnknown(error);
      this.log('could not move events into the event store; retrying record by record', error);
      return this.applyOneByOne(records);
    }
  }

  private livesUnknown(error: LivesUnknown): false {
    this.log('could not ask the MetaStore which client lives are current; the events stay journaled', error.cause);
    return false;
  }

  /**
   * Whether to apply without lingering: a reader waits, enough has gathered, or the queue is half
   * full (lingering then would turn a burst into 503s while the EventStore sits idle).
   */
  private applyNow(): boolean {
    return (
      this.hooks.readerWaits() ||
      this.unappliedEvents >= Math.min(APPLY_AT_EVENTS, this.options.maxQueuedEvents / 2) ||
      this.hooks.queuedBytes() >= this.options.maxQueuedBytes / 2
    );
  }

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
        for (const record of records) this.segmentPending.set(record.segment, (this.segmentPending.get(record.segment) ?? 1) - 1);
        await this.discardAppliedSegments();
        this.hooks.applied(records);
      }
    } finally {
      this.applying = false;
    }
    this.schedule();
  }

  /**
   * After a failed group: applies each record alone, so one the store refuses cannot block the
   * others forever. A record refused alone twice while others succeed and the store answers is
   * set aside (kept, never dropped silently). Returns false when every record failed: the store, not a record, is broken.
   */
  private async applyOneByOne(records: JournalRecord[]): Promise<boolean> {
    const refused: JournalRecord[] = [];
    let firstError: unknown;
    for (const record of records) {
      try {
        await this.applyInBatches([record]);
      } catch (error) {
        // Applied so far stays applied; the retry of all of them stores nothing twice (uuid).
        if (error instanceof LivesUnknown) return this.livesUnknown(error);
        firstError ??= error;
        refused.push(record);
      }
    }
    if (refused.length === records.length) return false;
    if (refused.length === 0) return true;
    // Over a network a refusal may be the store going away mid-pass (ClickHouse restarting, a
    // timeout under load), not the record: a record is set aside only when it is refused again,
    // alone, while the store answers. Otherwise everything stays journaled for the next attempt.
    const refusedAgain: JournalRecord[] = [];
    for (const record of refused) {
      try {
        await this.store.ping();
      } catch {
        return false;
      }
      try {
        await this.applyInBatches([record]);
      } catch (error) {
        if (error instanceof LivesUnknown) return this.livesUnknown(error);
        refusedAgain.push(record);
      }
    }
    if (refusedAgain.length > 0) {
      await this.journal.setAside(refusedAgain);
      this.stats.rejectedRecords += refusedAgain.length;
      this.log(`set ${refusedAgain.length} journal record(s) the event store refused aside`, firstError);
    }
    return true;
  }

  /**
   * Transactions of at most maxBatchEvents events (a record is never split), each preceded by one
   * question to the MetaStore: which lives of the batch's clients are current.
   */
  private async applyInBatches(records: JournalRecord[]): Promise<void> {
    let batch: JournalRecord[] = [];
    let events = 0;
    const flush = async (): Promise<void> => {
      const records = batch;
      batch = [];
      events = 0;
      const checkedAt = Date.now();
      const lives = await this.livesOf(records);
      const kept = this.erasures.keep(records, lives);
      this.stats.erasedRecords += kept.droppedRecords;
      if (kept.events.length === 0 && kept.links.length === 0) return;
      this.stats.applyTransactions++;
      await this.store.append(kept.events, kept.links);
      if (lives !== undefined && Date.now() - checkedAt > this.options.maxApplyMs) await this.eraseLivesGoneDuring(lives);
    };
    for (const record of records) {
      batch.push(record);
      events += record.events.length;
      if (events >= this.options.maxBatchEvents) await flush();
    }
    if (batch.length > 0) await flush();
  }

  private async livesOf(records: JournalRecord[]): Promise<Map<string, number> | undefined> {
    if (this.lives === undefined) return undefined;
    try {
      return await this.lives(clientsOf(records));
    } catch (error) {
      throw new LivesUnknown(error);
    }
  }

  /**
   * An apply that outlasted maxApplyMs may have stored records of a life erased after its check,
   * later than the erasing node's second pass: this node erases such a client itself. A client
   * created again meanwhile is left alone (its new life's events would go too).
   */
  private async eraseLivesGoneDuring(checked: Map<string, number>): Promise<void> {
    try {
      const now = await (this.lives as ClientLives)([...checked.keys()]);
      for (const id of checked.keys()) {
        if (now.has(id)) continue;
        this.log(`an apply outlasted ${this.options.maxApplyMs} ms while client ${id} was erased; erasing it again`, 'late apply');
        await this.store.deleteClient(id);
      }
    } catch (error) {
      this.log(`could not check the lives of a late apply (clients ${[...checked.keys()].join(', ')})`, error);
    }
  }

  /** Deletes the full segments whose records are all in the EventStore. */
  private async discardAppliedSegments(): Promise<void> {
    for (const [segment, pending] of this.segmentPending) {
      if (pending > 0 || this.journal.isCurrent(segment)) continue;
      this.segmentPending.delete(segment);
      await this.journal.discard(segment);
    }
  }
}
