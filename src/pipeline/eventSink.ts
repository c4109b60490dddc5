import type { IdentityLink, StoredEvent } from '../events/eventStore.js';
import type { Provenance } from './journal.js';

/**
 * Where ingestion hands accepted events. The implementation (EventWriter) group-commits them to
 * the journal in front of the EventStore; the promise resolves only once they are durable there,
 * so an HTTP 2xx sent after it never acknowledges an event that could be lost. Duplicates (a uuid
 * already stored for the client) are acknowledged too, and skipped when the EventStore takes them.
 */
export interface EventSink {
  /**
   * Rejects with `Overloaded` when the bounded queues cannot take the events, and with
   * `JournalUnavailable` when the journal cannot be written.
   */
  write(events: StoredEvent[], links: IdentityLink[], from: Provenance): Promise<void>;
  /** Throws `Overloaded` when the queues are already full, so a caller can refuse before doing work. */
  assertCapacity(): void;
}

/** The write queue is full: the caller should answer 503 with Retry-After. */
export class Overloaded extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('the event queue is full');
    this.name = 'Overloaded';
  }
}

/**
 * The journal could not take the events (a full disk, an I/O error): nothing of them was stored.
 * The caller should answer 503 with Retry-After; the cause is for the operator's log.
 */
export class JournalUnavailable extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    cause: unknown,
  ) {
    super('the journal could not be written', { cause });
    this.name = 'JournalUnavailable';
  }
}
