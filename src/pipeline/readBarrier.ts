/**
 * Read-your-writes, made explicit: a reader that must see what was just acknowledged (the live
 * view, tests) waits here; reports do not, so they never force an apply that would defeat the
 * writer's linger. Counts writes accepted and writes finished (applied, dropped, or refused by the
 * journal); a waiter is released once the second reaches what the first was when it asked.
 */
export class ReadBarrier {
  private accepted = 0;
  private finished = 0;
  private waiters: { target: number; resolve(): void }[] = [];

  /** A write was accepted: later waiters wait for it too. */
  accept(): void {
    this.accepted++;
  }

  /** `count` accepted writes are done with (in the EventStore, dropped, or refused). */
  finish(count: number): void {
    this.finished += count;
    const still: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (this.finished >= waiter.target) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }

  /** Someone is waiting: the applier should not linger. */
  get hasWaiters(): boolean {
    return this.waiters.length > 0;
  }

  /** Resolves once every write accepted before the call is finished. */
  wait(): Promise<void> {
    const target = this.accepted;
    if (this.finished >= target) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }
}
