import type { EventStore, IdentityLink, StoredEvent } from '../events/eventStore.js';
import { Journal, type Erasure, type Provenance } from './journal.js';
import { Applier } from './applier.js';
import { EraseAgain } from './eraseAgain.js';
import { Erasures, type ClientLives } from './erasures.js';
import type { EventSink } from './eventSink.js';
import { GroupCommit } from './groupCommit.js';
import { ReadBarrier } from './readBarrier.js';
import { DEFAULT_WRITER_OPTIONS, type EventWriterOptions, type WriterLog, type WriterStats } from './writerOptions.js';

export { DEFAULT_WRITER_OPTIONS, type EventWriterOptions, type WriterStats } from './writerOptions.js';

/**
 * Accepts events durably, fast, and moves them into the EventStore in large groups. The parts,
 * one concern each: GroupCommit (journal appends shared by concurrent writes, queue bounds),
 * Applier (journal → EventStore: linger, batches, poisoned records, segment cleanup, retry),
 * Erasures (which records are dropped and why), EraseAgain (a hard delete's second pass across
 * nodes) and ReadBarrier (read-your-writes for the readers that ask for it). This class wires
 * them and is what the app and ingestion see.
 */
export class EventWriter implements EventSink {
  private readonly barrier = new ReadBarrier();
  private readonly erasures = new Erasures();
  private readonly commit: GroupCommit;
  private readonly applier: Applier;
  private readonly eraseAgain: EraseAgain | undefined;
  private closed = false;
  readonly stats: WriterStats = { journalAppends: 0, applyTransactions: 0, rejectedRecords: 0, erasedRecords: 0 };

  private constructor(
    private readonly store: EventStore,
    private readonly journal: Journal,
    options: EventWriterOptions,
    log: WriterLog,
    lives: ClientLives | undefined,
  ) {
    this.commit = new GroupCommit(journal, options, this.stats, log, {
      accepted: () => this.barrier.accept(),
      journaled: (records) => this.applier.take(records),
      refused: (count) => this.barrier.finish(count),
    });
    this.applier = new Applier(store, journal, this.erasures, lives, options, this.stats, log, {
      readerWaits: () => this.barrier.hasWaiters,
      queuedBytes: () => this.commit.pendingBytes,
      applied: (records) => {
        this.commit.release(records);
        this.barrier.finish(records.length);
      },
    });
    this.eraseAgain =
      lives === undefined
        ? undefined
        : new EraseAgain(store, lives, options.maxApplyMs, log, (clientId, life) => journal.recordErasure({ client_id: clientId, at: Date.now(), life, erased_again: true }));
  }

  /**
   * Opens the journal in `journalDir` and applies whatever an earlier process acknowledged but
   * had not yet moved into the EventStore, before accepting anything new. `lives` (the MetaStore's
   * clientLives) lets the writer drop records of lives erased by any node; without it, only this
   * node's erasures count (a single node's journal tests).
   */
  static async open(
    store: EventStore,
    journalDir: string,
    options: Partial<EventWriterOptions> = {},
    log?: WriterLog,
    lives?: ClientLives,
  ): Promise<EventWriter> {
    const { journal, leftover, erasures } = await Journal.open(journalDir);
    const say: WriterLog = log ?? ((message, error) => process.stderr.write(`mythic: ${message}: ${String(error)}\n`));
    const writer = new EventWriter(store, journal, { ...DEFAULT_WRITER_OPTIONS, ...options }, say, lives);
    const unfinished = writer.rememberErasures(erasures);
    for (const segment of leftover) {
      if (segment.keptTail !== undefined) say('a journal segment had bytes after the end of its records (a write torn by a crash, or a damaged disk); they were kept in', segment.keptTail);
      // A store that refuses everything now fails the start, with the segment kept for the next.
      if (!(await writer.applier.apply(segment.records))) throw new Error('the event store refused every journaled record left by the last run');
      await journal.discard(segment.sequence);
    }
    for (const erasure of unfinished) writer.eraseAgain?.schedule(erasure.client_id, erasure.life);
    return writer;
  }

  /** Takes this node's erasures from the journal; returns those whose second pass a stop or crash cut off. */
  private rememberErasures(erasures: Erasure[]): (Erasure & { life: number })[] {
    const unfinished = new Map<string, Erasure & { life: number }>();
    for (const erasure of erasures) {
      if (erasure.life === undefined) {
        this.erasures.remember(erasure);
        continue;
      }
      const key = `${erasure.life} ${erasure.client_id}`;
      if (erasure.erased_again) {
        unfinished.delete(key);
        continue;
      }
      this.erasures.remember(erasure);
      unfinished.set(key, { ...erasure, life: erasure.life });
    }
    return [...unfinished.values()];
  }

  /** Events acknowledged or waiting, not yet in the EventStore. */
  get pendingEvents(): number {
    return this.commit.pendingEvents;
  }

  assertCapacity(): void {
    this.commit.assertCapacity();
  }

  /**
   * Resolves once the events are on disk in the journal; rejects with Overloaded when the queues
   * are full. `from` says which life of the client they were accepted for (see Provenance):
   * without it, a hard delete drops them by their received_at alone.
   */
  write(events: StoredEvent[], links: IdentityLink[], from?: Provenance): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the event writer is closed'));
    if (events.length === 0 && links.length === 0) return Promise.resolve();
    return this.commit.write(events, links, from);
  }

  /**
   * Resolves once everything acknowledged before the call is in the EventStore. Only for readers
   * that must see what was just sent (the live view, tests): it makes the applier skip its linger.
   */
  settled(): Promise<void> {
    const waited = this.barrier.wait();
    this.applier.schedule();
    return waited;
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
    this.erasures.remember(erasure);
    await this.settled();
  }

  /**
   * A hard delete's erasure of the client's events, for the client's service to call before it
   * deletes the client from the MetaStore: forgets the life here, deletes from the EventStore, and
   * once the client is gone from the MetaStore, deletes again after the applier's longest apply,
   * so a batch another node checked just before the delete leaves nothing behind (EraseAgain).
   */
  async eraseClient(clientId: string, now: number, life: number): Promise<void> {
    await this.forgetClient(clientId, now, life);
    await this.store.deleteClient(clientId);
    this.eraseAgain?.schedule(clientId, life);
  }

  /** Stops accepting writes; resolves once everything acknowledged is in the EventStore. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.settled();
    this.applier.stopLinger();
    await this.eraseAgain?.close();
    await this.journal.close();
  }
}
