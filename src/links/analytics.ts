import { requireClient } from '../clients/requireClient.js';
import type { EventStore, ReportRow } from '../events/eventStore.js';
import { notFound } from '../http/apiError.js';
import { toIso } from '../http/common.js';
import { authorizeRead, type QueryCaller } from '../keys/readAccess.js';
import type { KeysService } from '../keys/service.js';
import { resolvePeriod, timeBuckets, type ResolvedPeriod } from '../query/period.js';
import type { ReportPlan } from '../query/plan.js';
import type { Dimension, Metric } from '../query/schemas.js';
import { dateOfDayNumber, dayNumber, localDateAt, offsetSegments, startOfLocalDay } from '../query/zone.js';
import type { Clock } from '../shared/clock.js';
import type { MetaStore } from '../store/metaStore.js';
import { MAX_BREAKDOWN_ROWS, type LinkAnalyticsPeriod, type LinkAnalyticsView } from './analyticsSchemas.js';
import { clickFilters } from './clickCounts.js';
import { linkOwnerOfPath, type LinkRow } from './linkRow.js';

/**
 * One link's clicks for the client that owns it: totals, top referrers and countries, and clicks
 * per day of the client's current time zone. Clicks are `$link_click` events, so every figure is
 * a report plan of the event engine (the same plans and day buckets as the query API: a day here
 * is the day the client's dashboard shows); bots are left out of everything but `bot_clicks`.
 * Knows nothing of HTTP: the route says who asks.
 */

/** The range of a period: 7d/30d/90d as the query API counts them; all from the link's creation day. */
function periodOf(period: LinkAnalyticsPeriod, link: LinkRow, timezone: string, now: number): ResolvedPeriod {
  if (period !== 'all') return resolvePeriod({ period }, timezone, now);
  const first = dayNumber(localDateAt(timezone, Math.min(link.created_at, now)));
  const last = dayNumber(localDateAt(timezone, now));
  return {
    from: startOfLocalDay(timezone, dateOfDayNumber(first)),
    to: startOfLocalDay(timezone, dateOfDayNumber(last + 1)),
    span: { unit: 'days', first, length: last - first + 1 },
  };
}

export class LinkAnalyticsService {
  constructor(
    private readonly meta: MetaStore,
    private readonly events: EventStore,
    private readonly keys: KeysService,
    private readonly clock: Clock,
  ) {}

  async analytics(caller: QueryCaller, clientId: string, linkId: string, period: LinkAnalyticsPeriod = '30d'): Promise<LinkAnalyticsView> {
    // A client key naming another client is refused before anything about that client is read.
    await authorizeRead(this.keys, caller, clientId);
    const client = await requireClient(this.meta, clientId);
    const link = await this.meta.getLink(linkId);
    // Another client's link is not found here, exactly as a link that does not exist.
    if (link === null || link.client_id !== linkOwnerOfPath(clientId)) throw notFound('Link', linkId);
    const now = this.clock();
    const range = periodOf(period, link, client.timezone, now);

    const report = (metrics: Metric[], dimensions: Dimension[], includeBots = false): Promise<ReportRow[]> => {
      const plan: ReportPlan = { clientId, from: range.from, to: range.to, filters: clickFilters([link.id], includeBots), metrics, dimensions, offsets: [] };
      if (dimensions.includes('day')) return this.events.report({ ...plan, offsets: offsetSegments(client.timezone, range.from, range.to) }).then((r) => r.rows);
      return this.events.report({ ...plan, sortAndLimit: { orderBy: [{ column: metrics[0] as Metric, direction: 'desc' }], limit: MAX_BREAKDOWN_ROWS } }).then((r) => r.rows);
    };
    const [humans, everyone, referrers, countries, days] = await Promise.all([
      report(['events', 'unique_visitors'], []),
      report(['events'], [], true),
      report(['events'], ['referrer_host']),
      report(['events'], ['country']),
      report(['events'], ['day']),
    ]);
    const clicks = (row: ReportRow | undefined): number => row?.metrics.events ?? 0;
    const label = (row: ReportRow, dimension: Dimension): string | null => {
      const value = row.dimensions[dimension];
      return value === null || value === undefined ? null : String(value);
    };
    const byDay = new Map(days.map((row) => [Number(row.dimensions.day), clicks(row)]));
    const total = clicks(humans[0]);
    return {
      link_id: link.id,
      period,
      from: toIso(range.from),
      to: toIso(range.to),
      timezone: client.timezone,
      total_clicks: total,
      unique_visitors: humans[0]?.metrics.unique_visitors ?? 0,
      bot_clicks: clicks(everyone[0]) - total,
      referrers: referrers.map((row) => ({ referrer: label(row, 'referrer_host'), clicks: clicks(row) })),
      countries: countries.map((row) => ({ country: label(row, 'country'), clicks: clicks(row) })),
      daily_clicks: timeBuckets('day', client.timezone, range.from, range.to).map((bucket) => ({ date: bucket.label, clicks: byDay.get(bucket.key) ?? 0 })),
    };
  }
}
