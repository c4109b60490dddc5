import type { Storage } from './storage.js';
import type { WireEvent } from './wire.js';

/** Events kept in localStorage until acknowledged; beyond this the oldest go first. */
const MAX_STORED = 100;
const MAX_PER_REQUEST = 100;
/** keepalive requests and beacons share a 64 KiB budget per page; stay under it. */
const MAX_KEEPALIVE_BYTES = 60_000;
const MAX_BACKOFF_MS = 60_000;
const MAX_RETRY_AFTER_MS = 10 * 60_000;
const QUEUE_KEY = 'queue';

/** Delay before retry number `failures`: the server's Retry-After if given, else exponential with jitter. */
export function retryDelay(failures: number, retryAfter: string | null): number {
  if (retryAfter) {
    const seconds = Number(retryAfter);
    const ms = isNaN(seconds) ? Date.parse(retryAfter) - Date.now() : seconds * 1000;
    if (ms >= 0) return Math.min(ms, MAX_RETRY_AFTER_MS);
  }
  const base = Math.min(1000 * 2 ** (failures - 1), MAX_BACKOFF_MS);
  return base / 2 + Math.random() * (base / 2);
}

/**
 * Batches events of one SDK instance to its Mythic server. The body is sent as text/plain so that a
 * cross-origin POST stays a "simple" request (no CORS preflight). Failed sends (network, 5xx, 429)
 * are retried with back-off; any other 4xx means the server will never accept them, so they are
 * dropped. Unsent events are mirrored in localStorage, so a reload or a crash does not lose them.
 */
export class Transport {
  private queue: WireEvent[] = [];
  /** uuids of the batch currently being POSTed; a beacon must not send them a second time. */
  private inFlight: Record<string, true> = {};
  private sending = false;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly url: string,
    private readonly batchSize: number,
    private readonly intervalMs: number,
    private readonly storage: Storage,
  ) {}

  /** Takes over events an earlier page left unsent (another tab may send them too: the server dedupes by uuid). */
  restore(): void {
    const stored = this.storage.getJson<WireEvent[]>(QUEUE_KEY);
    if (!Array.isArray(stored)) return;
    const known: Record<string, true> = {};
    for (const event of this.queue) known[event.uuid] = true;
    for (const event of stored) {
      if (event && typeof event.uuid === 'string' && !known[event.uuid]) this.queue.push(event);
    }
    if (this.queue.length > 0) this.schedule(0);
  }

  enqueue(event: WireEvent): void {
    this.queue.push(event);
    if (this.queue.length > MAX_STORED) this.queue.shift();
    this.store((stored) => stored.concat(event));
    // A full batch goes on the next turn, not synchronously: a call made right after (a queued
    // revokeConsent replayed behind the first page view) can still take it back.
    const full = this.queue.length >= this.batchSize && this.failures === 0;
    if (full) this.cancelTimer();
    this.schedule(full ? 0 : this.intervalMs);
  }

  /** Sends what is queued now, unless a send is running or a retry is waiting for its time. */
  async send(): Promise<void> {
    if (this.sending || this.queue.length === 0 || (this.failures > 0 && this.timer !== undefined)) return;
    this.cancelTimer();
    const batch = this.queue.slice(0, MAX_PER_REQUEST);
    const body = JSON.stringify({ batch });
    for (const event of batch) this.inFlight[event.uuid] = true;
    this.sending = true;
    let status = 0;
    let retryAfter: string | null = null;
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'text/plain' },
        keepalive: body.length < MAX_KEEPALIVE_BYTES,
        credentials: 'omit',
      });
      status = response.status;
      retryAfter = response.headers.get('Retry-After');
    } catch {
      // Network failure, or a response the browser would not expose: retried below.
    }
    this.sending = false;
    this.inFlight = {};
    if ((status >= 200 && status < 300) || (status >= 400 && status < 500 && status !== 429)) {
      this.failures = 0;
      this.forget(batch);
      if (this.queue.length > 0) this.schedule(this.queue.length >= this.batchSize ? 0 : this.intervalMs);
    } else {
      this.failures += 1;
      this.cancelTimer();
      this.schedule(retryDelay(this.failures, retryAfter));
    }
  }

  /**
   * The page is being hidden or unloaded: hand everything not already in flight to sendBeacon,
   * which the browser delivers after the page is gone. A Blob typed text/plain keeps it preflight-free.
   */
  beacon(): void {
    const pending = this.queue.filter((event) => !this.inFlight[event.uuid]);
    if (pending.length === 0) return;
    if (typeof navigator.sendBeacon !== 'function') {
      void this.send();
      return;
    }
    this.cancelTimer();
    let chunk: WireEvent[] = [];
    let size = 0;
    const flushChunk = (): boolean => {
      if (chunk.length === 0) return true;
      const accepted = navigator.sendBeacon(this.url, new Blob([JSON.stringify({ batch: chunk })], { type: 'text/plain' }));
      if (accepted) this.forget(chunk);
      chunk = [];
      size = 0;
      return accepted;
    };
    for (const event of pending) {
      const length = JSON.stringify(event).length;
      if (chunk.length >= MAX_PER_REQUEST || size + length > MAX_KEEPALIVE_BYTES) {
        if (!flushChunk()) break;
      }
      chunk.push(event);
      size += length;
    }
    flushChunk();
    // What the browser refused stays queued (and stored) for the next attempt or the next page.
    if (this.queue.length > 0) this.schedule(this.intervalMs);
  }

  /** Drops everything: consent was revoked. */
  clear(): void {
    this.cancelTimer();
    this.queue = [];
    this.failures = 0;
  }

  private forget(sent: WireEvent[]): void {
    const gone: Record<string, true> = {};
    for (const event of sent) gone[event.uuid] = true;
    this.queue = this.queue.filter((event) => !gone[event.uuid]);
    this.store((stored) => stored.filter((event) => !gone[event.uuid]));
  }

  /** Read-modify-write of the stored queue, so two tabs of one site do not erase each other's events. */
  private store(change: (stored: WireEvent[]) => WireEvent[]): void {
    const stored = this.storage.getJson<WireEvent[]>(QUEUE_KEY);
    const next = change(Array.isArray(stored) ? stored : []).slice(-MAX_STORED);
    if (next.length === 0) this.storage.remove(QUEUE_KEY);
    else this.storage.setJson(QUEUE_KEY, next);
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.send();
    }, ms);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
