import type { AppendResult, IdentityLink, StoredEvent } from '../events/eventStore.js';

/**
 * Where ingestion hands accepted events. The implementation (EventWriter) group-commits them into
 * the EventStore; the promise resolves only once the transaction holding them is durable, so an
 * HTTP 2xx sent after it never acknowledges an event that could be lost.
 */
export interface EventSink {
  /** Rejects with `Overloaded` when the bounded queue cannot take the events. */
  write(events: StoredEvent[], links: IdentityLink[]): Promise<AppendResult>;
}

/** The write queue is full: the caller should answer 503 with Retry-After. */
export class Overloaded extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('the event queue is full');
    this.name = 'Overloaded';
  }
}
