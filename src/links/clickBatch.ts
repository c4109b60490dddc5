/**
 * Clicks gathered for a few milliseconds and handed to the event writer together, one write per
 * client: a write is one journal record and one trip through the group commit whatever its size,
 * so a busy link costs a fraction of a record per click instead of one. Nobody waits for these
 * writes (the visitor is redirected at once), so the linger adds nothing to any answer; a click
 * held here when the process dies is lost, as one in the writer's queue before its journal write
 * would be. `flush` hands everything over at once (before the app closes, and before a reader
 * waits for the events acknowledged so far).
 */
import type { StoredEvent } from '../events/eventStore.js';
import type { EventSink } from '../pipeline/eventSink.js';
import type { Provenance } from '../pipeline/journal.js';

export interface ClickBatchOptions {
  /** Milliseconds the first click of a batch waits for others. */
  lingerMs: number;
  /** Clicks held at most: the batch is handed over at once beyond. */
  maxEvents: number;
}

export const DEFAULT_CLICK_BATCH: ClickBatchOptions = { lingerMs: 20, maxEvents: 500 };

interface Group {
  from: Provenance;
  events: StoredEvent[];
}

export class ClickBatch {
  private groups = new Map<string, Group>();
  private held = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: EventSink,
    private readonly options: ClickBatchOptions,
    /** Told of clicks the writer refused (a full queue, a failed journal): they are lost. */
    private readonly dropped: (count: number, error: unknown) => void,
  ) {}

  add(event: StoredEvent, from: Provenance): void {
    const key = `${from.client_id}\n${from.life}`;
    const group = this.groups.get(key);
    if (group === undefined) this.groups.set(key, { from, events: [event] });
    else group.events.push(event);
    this.held += 1;
    if (this.held >= this.options.maxEvents || this.options.lingerMs <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.lingerMs);
  }

  /** Hands every held click to the writer now. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const groups = this.groups;
    this.groups = new Map();
    this.held = 0;
    for (const { from, events } of groups.values()) {
      try {
        this.sink.write(events, [], from).catch((error: unknown) => this.dropped(events.length, error));
      } catch (error) {
        this.dropped(events.length, error);
      }
    }
  }
}
