/**
 * Runs the uptime checks. Every tick claims the monitors that are due through a lease in the
 * MetaStore, so with several API nodes on one PostgreSQL each due check runs on one node only,
 * and a node that dies mid-check holds its monitors only until the lease runs out. Checks run
 * at most `concurrency` at a time per node; a slow check keeps its lease, so its monitor is not
 * claimed again (no pile-up of checks of one link) until it finishes. The next check is one
 * interval after the claim, moved by up to ±10% so monitors started together spread out instead
 * of hitting the network (and the receivers of their webhooks) in step.
 *
 * After `failuresBeforeDown` failed checks in a row a monitor turns down and `uptime.down` is
 * published once; the first success after that turns it up and publishes `uptime.up`.
 */
import { randomBytes } from 'node:crypto';
import { toIso } from '../http/common.js';
import type { Outbound } from '../outbound/outbound.js';
import type { Clock } from '../shared/clock.js';
import type { MetaStore } from '../store/metaStore.js';
import type { WebhookEvents } from '../webhooks/webhookEvents.js';
import { checkDestination, type CheckOutcome } from './check.js';
import type { DueMonitor, MonitorStatus } from './monitorRow.js';

export interface UptimeSchedulerOptions {
  /** How often due monitors are looked for. */
  tickMs: number;
  /** Checks running at once on this node. */
  concurrency: number;
  /** Failed checks in a row that turn a monitor down. */
  failuresBeforeDown: number;
  /** Checks kept per link; older ones are deleted as new ones are written. */
  historyKept: number;
  /** How long a claimed monitor stays with this node: longer than the longest timeout (60 s). */
  leaseMs: number;
  /** Share of the interval the next check moves by, either way. */
  jitter: number;
  /** How long closing waits for running checks; their leases run out on their own after that. */
  closeGraceMs: number;
}

export const DEFAULT_UPTIME_OPTIONS: UptimeSchedulerOptions = {
  tickMs: 1_000,
  concurrency: 4,
  failuresBeforeDown: 3,
  historyKept: 500,
  leaseMs: 120_000,
  jitter: 0.1,
  closeGraceMs: 5_000,
};

/** A check that outlives its own timeout by this much is given up on (the outbound guard should have ended it). */
const CHECK_GUARD_MS = 5_000;

export interface UptimeSchedulerDeps {
  store: MetaStore;
  outbound: Outbound;
  webhooks: Pick<WebhookEvents, 'publish'>;
  clock: Clock;
  log: (message: string, error?: unknown) => void;
  /** Uniform in [0, 1): the jitter's source (injected so tests can pin it). */
  random?: () => number;
  /** Names this node's leases; random unless given. */
  owner?: string;
}

export interface NextState {
  status: MonitorStatus;
  consecutive_failures: number;
  event: 'uptime.down' | 'uptime.up' | null;
}

/** The monitor's state after a check: down (once) after enough failures in a row, up again on a success. */
export function nextState(current: { status: MonitorStatus; consecutive_failures: number }, ok: boolean, failuresBeforeDown: number): NextState {
  if (ok) return { status: 'up', consecutive_failures: 0, event: current.status === 'down' ? 'uptime.up' : null };
  const failures = current.consecutive_failures + 1;
  if (failures >= failuresBeforeDown && current.status !== 'down') return { status: 'down', consecutive_failures: failures, event: 'uptime.down' };
  return { status: current.status, consecutive_failures: failures, event: null };
}

export class UptimeScheduler {
  readonly owner: string;
  private readonly options: UptimeSchedulerOptions;
  private readonly random: () => number;
  private readonly running = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<unknown> | null = null;
  private closed = false;

  constructor(
    private readonly deps: UptimeSchedulerDeps,
    options: Partial<UptimeSchedulerOptions> = {},
  ) {
    this.options = { ...DEFAULT_UPTIME_OPTIONS, ...options };
    this.random = deps.random ?? Math.random;
    this.owner = deps.owner ?? `node_${randomBytes(8).toString('hex')}`;
  }

  /** Starts ticking. */
  start(): void {
    if (this.closed || this.timer !== null) return;
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = null;
        if (!this.closed) this.schedule();
      });
    }, this.options.tickMs);
    this.timer.unref();
  }

  /**
   * Claims what is due, as many as free check slots allow, and starts those checks. Resolves once
   * they are started, with one promise per check (settling when its result is stored).
   */
  async tick(): Promise<Promise<void>[]> {
    const free = this.options.concurrency - this.running.size;
    if (this.closed || free <= 0) return [];
    const now = this.deps.clock();
    let due: DueMonitor[];
    try {
      due = await this.deps.store.claimDueMonitors(now, this.owner, this.options.leaseMs, free);
    } catch (error) {
      this.deps.log('uptime: claiming due monitors failed', error);
      return [];
    }
    const started: Promise<void>[] = [];
    for (const monitor of due) {
      // Only if a lease outlived its check here: the old check still owns the monitor.
      if (this.running.has(monitor.link_id)) continue;
      const check = this.run(monitor, now).finally(() => this.running.delete(monitor.link_id));
      this.running.set(monitor.link_id, check);
      started.push(check);
    }
    return started;
  }

  /** One tick, then waits for the checks it started; the number of checks run. */
  async runDue(): Promise<number> {
    const started = await this.tick();
    await Promise.all(started);
    return started.length;
  }

  /** Stops ticking and waits (at most closeGraceMs) for the running checks to be stored. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.closeGraceMs);
    });
    await Promise.race([Promise.allSettled([...this.running.values()]), grace]);
    clearTimeout(timer);
  }

  private async run(monitor: DueMonitor, claimedAt: number): Promise<void> {
    try {
      const outcome = await this.guarded(checkDestination(this.deps.outbound, monitor.destination_url, monitor.timeout_seconds * 1000), monitor.timeout_seconds * 1000);
      const checkedAt = this.deps.clock();
      const state = nextState(monitor, outcome.ok, this.options.failuresBeforeDown);
      const spread = (this.random() * 2 - 1) * this.options.jitter;
      const stored = await this.deps.store.recordCheck(
        this.owner,
        {
          check: { link_id: monitor.link_id, checked_at: checkedAt, ...outcome },
          status: state.status,
          consecutive_failures: state.consecutive_failures,
          next_check_at: Math.round(claimedAt + monitor.interval_seconds * 1000 * (1 + spread)),
        },
        this.options.historyKept,
      );
      // Not stored: the monitor was stopped (or its lease lost) meanwhile; nobody is told.
      if (stored && state.event !== null) {
        await this.deps.webhooks.publish(state.event, this.notice(monitor, state, outcome, checkedAt), monitor.client_id);
      }
    } catch (error) {
      this.deps.log(`uptime: the check of link ${monitor.link_id} failed`, error);
    }
  }

  /** The check's outcome, or a failure if it outlives its timeout by CHECK_GUARD_MS. */
  private async guarded(check: Promise<CheckOutcome>, timeoutMs: number): Promise<CheckOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<CheckOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, status_code: null, response_ms: timeoutMs, error: `no answer within ${timeoutMs / 1000} s` }), timeoutMs + CHECK_GUARD_MS);
      timer.unref();
    });
    try {
      return await Promise.race([check, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private notice(monitor: DueMonitor, state: NextState, outcome: CheckOutcome, checkedAt: number): Record<string, unknown> {
    return {
      link_id: monitor.link_id,
      slug: monitor.slug,
      client_id: monitor.client_id,
      destination_url: monitor.destination_url,
      status: state.status,
      checked_at: toIso(checkedAt),
      consecutive_failures: state.consecutive_failures,
      status_code: outcome.status_code,
      response_time_ms: outcome.response_ms,
      error: outcome.error,
    };
  }
}
