import type { StoredEvent } from '../../events/eventStore.js';
import type { ReportPlan } from '../../query/plan.js';
import { localDays, type DayInterval } from './dayIntervals.js';
import type { RolledBlock } from './dayRollup.js';

/** A day is rolled this long after it ends at the earliest: the last minutes' late events then need no extra rows. */
const SETTLE_MS = 3_600_000;

/**
 * Which days are rolled, per client, kept in step with `rolled_days` by the store's one writer:
 * it decides without a query whether a report can read the rollup and whether stored events fall
 * in rolled days.
 */
export class RolledDays {
  private readonly byClient = new Map<string, { keys: Set<string>; earliest: number; latest: number }>();
  /** Days being rolled now, so two reports do not roll the same day twice. */
  private readonly pending = new Set<string>();

  constructor(rows: Iterable<{ client: string; start: number; end: number }> = []) {
    for (const row of rows) this.add(row.client, [{ start: row.start, end: row.end }]);
  }

  /** A day's key among its client's days; pending days are keyed by client too. */
  private static key = (day: DayInterval): string => `${day.start}:${day.end}`;
  private static pendingKey = (client: string, day: DayInterval): string => `${client}\u0000${RolledDays.key(day)}`;

  add(client: string, days: readonly DayInterval[]): void {
    let entry = this.byClient.get(client);
    if (entry === undefined) {
      entry = { keys: new Set(), earliest: Infinity, latest: -Infinity };
      this.byClient.set(client, entry);
    }
    for (const day of days) {
      entry.keys.add(RolledDays.key(day));
      entry.earliest = Math.min(entry.earliest, day.start);
      entry.latest = Math.max(entry.latest, day.end);
    }
  }

  forget(client: string): void {
    this.byClient.delete(client);
  }

  private rolled(client: string, day: DayInterval): boolean {
    return this.byClient.get(client)?.keys.has(RolledDays.key(day)) === true;
  }

  /**
   * For a report the rollup answers: the longest run of consecutive rolled days of its period
   * (read from the rollup), and its finished days not rolled yet (to roll; now marked pending
   * until `settled`), and whether the period's day numbers only increase (localDays).
   */
  consider(plan: ReportPlan & { timezone: string }, now: number): { block: RolledBlock | undefined; toRoll: DayInterval[]; increasing: boolean } {
    const { whole: days, increasing } = localDays(plan.timezone, plan.from, plan.to);
    let block: RolledBlock | undefined;
    let run: DayInterval[] = [];
    for (const day of days) {
      if (!this.rolled(plan.clientId, day)) {
        run = [];
        continue;
      }
      if (run.length > 0 && run[run.length - 1]!.end !== day.start) run = [];
      run.push(day);
      if (block === undefined || run.length > block.days.length) block = { start: run[0]!.start, end: day.end, days: [...run] };
    }
    const toRoll = days.filter((day) => day.end <= now - SETTLE_MS && !this.rolled(plan.clientId, day) && !this.pending.has(RolledDays.pendingKey(plan.clientId, day)));
    for (const day of toRoll) this.pending.add(RolledDays.pendingKey(plan.clientId, day));
    return { block, toRoll, increasing };
  }

  /** Rolling `days` ended (committed or not): they are no longer pending. */
  settled(client: string, days: readonly DayInterval[]): void {
    for (const day of days) this.pending.delete(RolledDays.pendingKey(client, day));
  }

  /**
   * Whether any of these events may fall in a rolled day of its client: within the span from its
   * first rolled day to its last (most never are: rolled days are past). The statement that
   * rolls late events finds the days themselves.
   */
  touches(events: readonly StoredEvent[]): boolean {
    return events.some((event) => {
      const entry = this.byClient.get(event.client_id);
      return entry !== undefined && event.timestamp >= entry.earliest && event.timestamp < entry.latest;
    });
  }
}
