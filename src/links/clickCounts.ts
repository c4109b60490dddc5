import type { EventStore } from '../events/eventStore.js';
import type { ReportPlan, ScopeFilters } from '../query/plan.js';
import type { Clock } from '../shared/clock.js';
import { LINK_CLICK_EVENT } from './clickEvent.js';
import { LINKS_PSEUDO_CLIENT } from './linkRow.js';

/**
 * The live click counts of a page of links, for the links API's `clicks` and `bot_clicks`. Clicks
 * are `$link_click` events (clickEvent.ts), so they are counted where they are stored, through the
 * engines' own report plans (no SQL here): per client on the page, one report grouped by link_id
 * over all time for human clicks and one with bots included; bot clicks are the difference. A
 * page of 100 links of one client costs two grouped scans of that client's clicks.
 */

export interface ClickCount {
  clicks: number;
  bot_clicks: number;
}

/**
 * The links service's `LinkClickCounts` (service.ts), which passes `_links` for a link of no client;
 * null is read the same way, so a caller holding LinkRows may pass their client_id as it is.
 */
export type LinkClickCounts = (links: { id: string; client_id: string | null }[]) => Promise<Map<string, ClickCount>>;

const DAY_MS = 86_400_000;

/** Events of `link_id`s that are clicks: the filters both counts share. */
export const clickFilters = (linkIds: string[], includeBots: boolean): ScopeFilters => ({
  event: { op: 'is', values: [LINK_CLICK_EVENT], none: false },
  link_id: { op: 'is', values: linkIds, none: false },
  include_bots: includeBots,
});

async function countsByLink(events: EventStore, clientId: string, linkIds: string[], to: number, includeBots: boolean): Promise<Map<string, number>> {
  const plan: ReportPlan = {
    clientId,
    // All time: a click is stored at the redirect's time, never before 1970 nor after now.
    from: 0,
    to,
    filters: clickFilters(linkIds, includeBots),
    metrics: ['events'],
    dimensions: ['link_id'],
    offsets: [],
    sortAndLimit: { orderBy: [{ column: 'events', direction: 'desc' }], limit: linkIds.length },
  };
  const { rows } = await events.report(plan);
  return new Map(rows.map((row) => [String(row.dimensions.link_id), row.metrics.events ?? 0]));
}

export function linkClickCounts(events: EventStore, clock: Clock): LinkClickCounts {
  return async (links) => {
    const byClient = new Map<string, string[]>();
    for (const link of links) {
      const clientId = link.client_id ?? LINKS_PSEUDO_CLIENT;
      byClient.set(clientId, [...(byClient.get(clientId) ?? []), link.id]);
    }
    // A day ahead of this node's clock: another node's clock may run a little ahead of it.
    const to = clock() + DAY_MS;
    const counts = new Map<string, ClickCount>();
    await Promise.all(
      [...byClient].map(async ([clientId, ids]) => {
        const unique = [...new Set(ids)];
        const [humans, all] = await Promise.all([countsByLink(events, clientId, unique, to, false), countsByLink(events, clientId, unique, to, true)]);
        for (const id of unique) {
          const clicks = humans.get(id) ?? 0;
          counts.set(id, { clicks, bot_clicks: (all.get(id) ?? 0) - clicks });
        }
      }),
    );
    return counts;
  };
}
