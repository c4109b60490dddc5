/**
 * Dead-letter retention (documented in the README): a dead letter is kept `retentionMs` (7 days,
 * the subscription retention) after it died, and at most `maxDeadLetters` (10,000) per
 * subscription, the oldest dropped first; both count in `dropped_messages`. Without it a puller
 * that never acknowledges moves a whole pull into the dead letters each time, forever, and every
 * backlog count scans them. Each node sweeps every subscription once per `intervalMs` (a minute),
 * away from the pull and push paths; the store does one subscription per transaction, so nodes
 * sweeping at once only find less to delete.
 */
import { DEFAULT_FEEDER_OPTIONS } from './feeder.js';
import type { PubSubStore } from './pubsubRows.js';
import type { PushLog } from './pushDispatcher.js';

export interface DeadLetterSweepOptions {
  intervalMs: number;
  /** Dead letters older than this (since dead_at) are deleted. */
  retentionMs: number;
  /** Per subscription; beyond it the oldest are deleted. */
  maxDeadLetters: number;
  now: () => number;
}

export const DEFAULT_DEAD_LETTER_OPTIONS: DeadLetterSweepOptions = {
  intervalMs: 60_000,
  retentionMs: DEFAULT_FEEDER_OPTIONS.retentionMs,
  maxDeadLetters: 10_000,
  now: Date.now,
};

/** Subscriptions read per page while sweeping. */
const PAGE = 100;

export class DeadLetterSweeper {
  private readonly options: DeadLetterSweepOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly deps: { store: Pick<PubSubStore, 'listSubscriptions' | 'expireDeadLetters'>; log: PushLog },
    options: Partial<DeadLetterSweepOptions> = {},
  ) {
    this.options = { ...DEFAULT_DEAD_LETTER_OPTIONS, ...options };
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      if (this.running === null) void this.sweep().catch((error: unknown) => this.deps.log.error({ err: error }, 'dead-letter sweep failed'));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep under way (a few short transactions). */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass over every subscription; how many dead letters were deleted. */
  sweep(): Promise<number> {
    this.running ??= this.sweepAll().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async sweepAll(): Promise<number> {
    const { store } = this.deps;
    const deadBefore = this.options.now() - this.options.retentionMs;
    let deleted = 0;
    let after: { created_at: number; id: string } | undefined;
    for (;;) {
      const page = await store.listSubscriptions({ limit: PAGE, ...(after === undefined ? {} : { after }) });
      for (const subscription of page.rows) deleted += await store.expireDeadLetters(subscription.id, deadBefore, this.options.maxDeadLetters);
      const last = page.rows.at(-1);
      if (page.rows.length < PAGE || last === undefined) return deleted;
      after = { created_at: last.created_at, id: last.id };
    }
  }
}
