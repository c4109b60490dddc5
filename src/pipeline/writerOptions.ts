/**
 * The event writer's bounds and counters, shared by its parts (group commit, applier): one place
 * for the numbers an operator can set and the ones tests read.
 */
export interface EventWriterOptions {
  /** Events acknowledged or waiting but not yet in the EventStore, at most; beyond, writes are refused (503). */
  maxQueuedEvents: number;
  /** Bytes of journal text not yet in the EventStore, at most (the events' memory is about this size). */
  maxQueuedBytes: number;
  /** Events per EventStore transaction, at most. */
  maxBatchEvents: number;
  /** Seconds a refused caller is told to wait. */
  retryAfterSeconds: number;
  /**
   * The applier's longest apply (ms): from asking the MetaStore which lives its records belong to,
   * to the EventStore's commit. An apply that takes longer checks again and erases what it stored
   * for a life erased meanwhile; a hard delete erases once more this long after the client is gone
   * from the MetaStore, which covers every apply that was past its check then (see eraseAgain.ts).
   * The check is made per transaction (at most maxBatchEvents events): a 20,000-event DuckDB
   * transaction took 1.2–2.9 s on this 2-core machine shared with other work (8 runs), so 10 s
   * leaves more than three times that.
   */
  maxApplyMs: number;
}

export const DEFAULT_WRITER_OPTIONS: EventWriterOptions = {
  maxQueuedEvents: 100_000,
  maxQueuedBytes: 64 * 1024 * 1024,
  maxBatchEvents: 20_000,
  retryAfterSeconds: 1,
  maxApplyMs: 10_000,
};

/** Counters for tests and operators: how well group commit is grouping. */
export interface WriterStats {
  journalAppends: number;
  applyTransactions: number;
  /** Journal records the EventStore refused even alone, set aside in the journal dir's rejected file. */
  rejectedRecords: number;
  /** Journal records dropped because their client's life is gone (erased here or on another node). */
  erasedRecords: number;
}

/** Where the writer's parts report a failure the operator should see (the app's logger). */
export type WriterLog = (message: string, error: unknown) => void;
