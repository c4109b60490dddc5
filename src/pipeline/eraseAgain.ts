import type { EventStore } from '../events/eventStore.js';
import type { ClientLives } from './erasures.js';
import type { WriterLog } from './writerOptions.js';

/** How often the MetaStore is asked whether the erased client is gone yet. */
const GONE_POLL_MS = 50;
/** A client still there after this long was not deleted (the delete failed; retrying it erases again). */
const GONE_GIVE_UP_MS = 60_000;

/**
 * The second pass of a hard delete, for nodes sharing one EventStore. Another node may have asked
 * the MetaStore about the client's life just before it was deleted, and commit that batch after
 * the first erasure: its apply lasts at most `boundMs` past its check (the applier's longest
 * apply; a longer one erases for itself, see Applier). So once the client is gone from the
 * MetaStore, this waits `boundMs` and erases again: nothing of the old life remains.
 *
 * A client created again by then keeps its events: this second pass is skipped (it would erase the
 * new life too), and a batch of the old life checked before the delete may then stay. Stopping the
 * node runs waiting passes at once rather than never, and a pass cut short that way stays owed (a
 * batch checked before the delete may still land within the bound): like a pass a node was killed
 * before, it runs at the node's next start (the journal's erasure file says which ran).
 */
export class EraseAgain {
  private readonly waiting = new Set<{ wake(): void }>();
  private readonly running = new Set<Promise<void>>();
  private closing = false;

  constructor(
    private readonly store: EventStore,
    private readonly lives: ClientLives,
    private readonly boundMs: number,
    private readonly log: WriterLog,
    /** The pass ran (or the client was never deleted): recorded, so a restart does not run it again. */
    private readonly done: (clientId: string, life: number) => Promise<void>,
  ) {}

  /** Erases the client once more, `boundMs` after its life `life` is gone from the MetaStore. */
  schedule(clientId: string, life: number): void {
    const pass = this.run(clientId, life).catch((error: unknown) => this.log(`the second erasure of client ${clientId} failed`, error));
    this.running.add(pass);
    void pass.finally(() => this.running.delete(pass));
  }

  /** Runs every waiting pass now, and resolves once all are done. */
  async close(): Promise<void> {
    this.closing = true;
    for (const waiter of this.waiting) waiter.wake();
    await Promise.all(this.running);
  }

  private async run(clientId: string, life: number): Promise<void> {
    // The erasure runs before the MetaStore delete: the bound counts from the delete.
    for (const start = Date.now(); (await this.lives([clientId])).get(clientId) === life; ) {
      if (this.closing) return;
      if (Date.now() - start > GONE_GIVE_UP_MS) return this.done(clientId, life);
      await this.sleep(GONE_POLL_MS);
    }
    const waitedTheBound = await this.sleep(this.boundMs);
    if (!(await this.lives([clientId])).has(clientId)) await this.store.deleteClient(clientId);
    if (waitedTheBound) await this.done(clientId, life);
  }

  /** A pause that close() cuts short; resolves to whether it lasted `ms`. */
  private sleep(ms: number): Promise<boolean> {
    if (this.closing) return Promise.resolve(false);
    return new Promise((resolve) => {
      const end = (full: boolean): void => {
        clearTimeout(timer);
        this.waiting.delete(waiter);
        resolve(full);
      };
      const waiter = { wake: () => end(false) };
      const timer = setTimeout(() => end(true), ms);
      this.waiting.add(waiter);
    });
  }
}
