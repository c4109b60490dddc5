import type { AppendResult, EventStore, IdentityLink, StoredEvent } from '../events/eventStore.js';
import { Overloaded, type EventSink } from './eventSink.js';

export interface EventWriterOptions {
  /** Events accepted but not yet committed, at most; beyond it writes are refused (503). */
  maxQueuedEvents: number;
  /** Events per transaction, at most; a longer queue is committed in several. */
  maxBatchEvents: number;
  /** Seconds a refused caller is told to wait. */
  retryAfterSeconds: number;
}

export const DEFAULT_WRITER_OPTIONS: EventWriterOptions = { maxQueuedEvents: 50_000, maxBatchEvents: 10_000, retryAfterSeconds: 1 };

interface PendingWrite {
  events: StoredEvent[];
  links: IdentityLink[];
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * Group commit: every write waits for the transaction that holds it. While one transaction
 * commits, new writes queue up, and the next transaction takes all of them at once, so the cost
 * of a commit (an fsync) is shared by every request that arrived meanwhile. The queue is bounded
 * in events, so overload turns into quick refusals instead of unbounded memory.
 */
export class EventWriter implements EventSink {
  private readonly options: EventWriterOptions;
  private queue: PendingWrite[] = [];
  private queuedEvents = 0;
  private committing = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => undefined;

  constructor(
    private readonly store: EventStore,
    options: Partial<EventWriterOptions> = {},
  ) {
    this.options = { ...DEFAULT_WRITER_OPTIONS, ...options };
  }

  /** Events waiting for, or inside, a commit that has not finished. */
  get pendingEvents(): number {
    return this.queuedEvents;
  }

  write(events: StoredEvent[], links: IdentityLink[]): Promise<AppendResult> {
    if (events.length === 0 && links.length === 0) return Promise.resolve({ inserted: 0, duplicates: 0 });
    if (this.queuedEvents > 0 && this.queuedEvents + events.length > this.options.maxQueuedEvents) {
      return Promise.reject(new Overloaded(this.options.retryAfterSeconds));
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ events, links, resolve, reject });
      this.queuedEvents += events.length;
      if (!this.committing) void this.commitLoop();
    });
  }

  /** Resolves once everything written so far is committed (or failed). */
  drain(): Promise<void> {
    return this.committing ? this.idle : Promise.resolve();
  }

  private async commitLoop(): Promise<void> {
    this.committing = true;
    this.idle = new Promise((resolve) => (this.markIdle = resolve));
    try {
      while (this.queue.length > 0) await this.commitNextGroup();
    } finally {
      this.committing = false;
      this.markIdle();
    }
  }

  private async commitNextGroup(): Promise<void> {
    const group = this.takeGroup();
    const events = group.flatMap((write) => write.events);
    const links = group.flatMap((write) => write.links);
    try {
      const { duplicateIndexes } = await this.store.append(events, links);
      const duplicates = new Set(duplicateIndexes);
      let offset = 0;
      for (const write of group) {
        let skipped = 0;
        for (let i = 0; i < write.events.length; i++) if (duplicates.has(offset + i)) skipped++;
        offset += write.events.length;
        write.resolve({ inserted: write.events.length - skipped, duplicates: skipped });
      }
    } catch (error) {
      for (const write of group) write.reject(error);
    } finally {
      this.queuedEvents -= events.length;
    }
  }

  /** Whole writes from the head of the queue, up to maxBatchEvents (always at least one write). */
  private takeGroup(): PendingWrite[] {
    let count = 0;
    let take = 0;
    while (take < this.queue.length) {
      const size = this.queue[take]!.events.length;
      if (take > 0 && count + size > this.options.maxBatchEvents) break;
      count += size;
      take++;
    }
    return this.queue.splice(0, take);
  }
}
