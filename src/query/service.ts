import { requireClient } from '../clients/requireClient.js';
import type { EventStore } from '../events/eventStore.js';
import { toIso } from '../http/common.js';
import type { KeysService } from '../keys/service.js';
import type { Clock } from '../shared/clock.js';
import type { MetaStore } from '../store/metaStore.js';
import { authorizeRead, type QueryCaller } from '../keys/readAccess.js';
import { cellsOf, fillTimeBuckets, sortRows, tooManyCells } from './fill.js';
import { previousPeriod, resolvePeriod, timeBuckets, type ResolvedPeriod } from './period.js';
import { planFilters } from './filters.js';
import { hiddenEventsOf } from './hiddenEvents.js';
import { isTimeGrain, type EventScope } from './plan.js';
import { checkedMetrics, checkedPeriod, checkedRange, orderOf } from './rules.js';
import {
  DEFAULT_LIMIT,
  DEFAULT_WINDOW_SECONDS,
  MAX_FILLED_CELLS,
  type Dimension,
  type FunnelInput,
  type FunnelResultView,
  type Metric,
  type PeriodView,
  type QueryInput,
  type QueryResultView,
  type ResultTableView,
} from './schemas.js';
import { offsetSegments } from './zone.js';

const periodView = (period: ResolvedPeriod, timezone: string): PeriodView => ({ from: toIso(period.from), to: toIso(period.to), timezone });
const ratio = (part: number, whole: number): number => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000);

/**
 * Reports and funnels over one client's events, in the client's current time zone. Knows nothing
 * of HTTP: the caller says which door the request came through, and this decides what it may read.
 */
export class QueryService {
  constructor(
    private readonly meta: MetaStore,
    private readonly events: EventStore,
    private readonly keys: KeysService,
    private readonly clock: Clock,
  ) {}

  /** Who may read, which client, in which zone: shared by reports and funnels. */
  private async open(caller: QueryCaller, clientId: string): Promise<{ timezone: string; now: number }> {
    await authorizeRead(this.keys, caller, clientId);
    const client = await requireClient(this.meta, clientId);
    return { timezone: client.timezone, now: this.clock() };
  }

  /** `steps`: a funnel's, whose naming of a hidden event (a `$link_click`) asks for it. */
  private scope(input: QueryInput | FunnelInput, period: ResolvedPeriod, steps: FunnelInput['steps'] = []): EventScope {
    const filters = planFilters(input.filters ?? {});
    const excludedEvents = hiddenEventsOf(filters.event, steps);
    return { clientId: input.client_id, from: period.from, to: period.to, filters, attribution: input.attribution ?? 'event', ...(excludedEvents.length > 0 ? { excludedEvents } : {}) };
  }

  async query(caller: QueryCaller, input: QueryInput): Promise<QueryResultView> {
    // Rules first: a malformed body is a 400 whoever sends it, and costs no lookup.
    const metrics = checkedMetrics(input);
    const periodInput = checkedPeriod(input);
    const { timezone, now } = await this.open(caller, input.client_id);
    const period = resolvePeriod(periodInput, timezone, now);
    checkedRange(input, period);
    const table = await this.table(input, metrics, period, timezone);
    if (input.compare !== 'previous_period') return table;
    return { ...table, compare: await this.table(input, metrics, previousPeriod(period, timezone), timezone) };
  }

  private async table(input: QueryInput, metrics: Metric[], period: ResolvedPeriod, timezone: string): Promise<ResultTableView> {
    const dimensions: Dimension[] = input.dimensions ?? [];
    const columns = [...dimensions, ...metrics];
    const limit = input.limit ?? DEFAULT_LIMIT;
    const timeIndex = dimensions.findIndex(isTimeGrain);
    const scope = this.scope(input, period);
    const plan = {
      ...scope,
      metrics,
      dimensions,
      offsets: timeIndex >= 0 ? offsetSegments(timezone, period.from, period.to) : [],
      timezone,
      ...(input.conversion_event === undefined ? {} : { conversionEvent: input.conversion_event }),
    };
    const view = periodView(period, timezone);
    if (timeIndex < 0) {
      const result = await this.events.report({ ...plan, sortAndLimit: { orderBy: orderOf(input, metrics), limit } });
      return { columns, rows: result.rows.map((row) => cellsOf(row, dimensions, metrics)), total: result.total, period: view };
    }
    // Each row read is a distinct cell of the filled table: one more than the cap settles it.
    const result = await this.events.report({ ...plan, maxRows: MAX_FILLED_CELLS + 1 });
    if (result.rows.length > MAX_FILLED_CELLS) throw tooManyCells(MAX_FILLED_CELLS);
    const grain = dimensions[timeIndex] as 'hour' | 'day' | 'week' | 'month';
    const buckets = timeBuckets(grain, timezone, period.from, period.to);
    const rows = result.rows.map((row) => cellsOf(row, dimensions, metrics));
    const filled = fillTimeBuckets(rows, timeIndex, dimensions.length, metrics.length, buckets, MAX_FILLED_CELLS);
    const order = input.order_by === undefined ? [{ column: grain, direction: 'asc' as const }] : orderOf(input, metrics);
    const sorted = sortRows(filled, columns, [...order, { column: grain, direction: 'asc' }], dimensions.length, { index: timeIndex, buckets });
    return { columns, rows: sorted.slice(0, limit), total: sorted.length, period: view };
  }

  async funnel(caller: QueryCaller, input: FunnelInput): Promise<FunnelResultView> {
    const periodInput = checkedPeriod(input);
    const { timezone, now } = await this.open(caller, input.client_id);
    const period = resolvePeriod(periodInput, timezone, now);
    checkedRange(input, period);
    const windowSeconds = input.window_seconds ?? DEFAULT_WINDOW_SECONDS;
    const scope = this.scope(input, period, input.steps);
    const { reached: counts } = await this.events.funnel({ ...scope, steps: input.steps, windowMs: windowSeconds * 1000 });
    return {
      steps: input.steps.map((step, i) => ({
        step: i + 1,
        label: 'event' in step ? step.event : step.path,
        count: counts[i] as number,
        conversion_rate: ratio(counts[i] as number, counts[0] as number),
        step_conversion_rate: ratio(counts[i] as number, counts[i === 0 ? 0 : i - 1] as number),
      })),
      period: periodView(period, timezone),
      window_seconds: windowSeconds,
    };
  }
}
