import { LINK_CLICK_EVENT } from '../links/clickEvent.js';
import type { FilterCondition } from './plan.js';
import type { FunnelStepInput } from './schemas.js';

/**
 * Events a site's reports leave out unless the query names them. A short link's redirect stores a
 * `$link_click` in the client's events with its own cookieless visitor id and `/l/<slug>` as its
 * path (links/clickEvent.ts), so counting it would make a person who clicks a link and then lands
 * on the site two visitors, and put `/l/sale` in Top pages. Clicks are read on purpose, by an
 * `event` filter that lists them (`"$link_click"`, `is: [...]`) or a funnel step naming one; link
 * analytics and click counts do so. A page view attributed to a link (`link_id` set by `mlc`) is
 * a site event like any other and stays. Decided here, once, so every engine answers alike: the
 * engines only apply the list to every scan of the scope.
 */
export const HIDDEN_EVENTS: readonly string[] = [LINK_CLICK_EVENT];

/** Whether the `event` filter selects `name` by name: `is` listing it (a plain string is `is` of one). */
const selects = (filter: FilterCondition | undefined, name: string): boolean => filter !== undefined && filter.op === 'is' && filter.values.includes(name);

/** The hidden events that a query with this `event` filter (and these funnel steps) did not ask for. */
export function hiddenEventsOf(eventFilter: FilterCondition | undefined, steps: readonly FunnelStepInput[] = []): string[] {
  return HIDDEN_EVENTS.filter((name) => !selects(eventFilter, name) && !steps.some((step) => 'event' in step && step.event === name));
}
