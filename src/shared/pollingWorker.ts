/**
 * The loop under the webhook and Pub/Sub push dispatchers: claim work from the MetaStore every
 * poll (or at once on wake()), never two claims at a time (a wake during a claim claims once more
 * after it), keep the claimed pieces in flight, look again when a piece says more may be waiting,
 * and on stop wait for what is in flight (optionally bounded). What is claimed and how it is sent
 * stays with each dispatcher; kept in one place so a fix to the loop reaches both.
 */

export interface PollingWorkerOptions {
  /** How often claim() runs on its own (wake() runs it at once). */
  pollMs: number;
  /** stop() waits this long at most for the work in flight; unbounded when omitted. */
  stopWaitMs?: number;
}

export interface PollingWorkerHooks {
  /** Claims what is due and hands each piece to track(); `room` = free slots of the concurrency. */
  claim(room: number): Promise<void>;
  /** A claim failed (it is tried again at the next poll or wake). */
  claimFailed(error: unknown): void;
}

export class PollingWorker {
  private readonly inflight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private claiming = false;
  private again = false;
  private stopped = true;

  constructor(
    private readonly hooks: PollingWorkerHooks,
    private readonly concurrency: number,
    private readonly options: PollingWorkerOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), this.options.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Claims now rather than at the next poll; during a claim, claims once more after it. */
  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    const room = this.concurrency - this.inflight.size;
    this.claiming = true;
    void (room <= 0 ? Promise.resolve() : this.hooks.claim(room))
      .catch((error: unknown) => this.hooks.claimFailed(error))
      .finally(() => {
        this.claiming = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Keeps a claimed piece in flight (it must not reject: the caller logs its failures); when it resolves true (more may be waiting), claims again. */
  track(work: Promise<boolean>): void {
    const running: Promise<void> = work.then((more) => {
      this.inflight.delete(running);
      if (more) this.wake();
    });
    this.inflight.add(running);
  }

  /** Stops claiming and waits for the work in flight (at most stopWaitMs, when given). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const deadline = this.options.stopWaitMs === undefined ? Infinity : Date.now() + this.options.stopWaitMs;
    while ((this.inflight.size > 0 || this.claiming) && Date.now() < deadline) {
      const waiting = Promise.allSettled([...this.inflight, new Promise((resolve) => setTimeout(resolve, this.claiming ? 5 : 0))]);
      if (deadline === Infinity) {
        await waiting;
        continue;
      }
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([
        waiting,
        new Promise((resolve) => {
          bound = setTimeout(resolve, deadline - Date.now());
        }),
      ]);
      clearTimeout(bound);
    }
  }
}
