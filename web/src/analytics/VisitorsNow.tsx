import { Placeholder } from './Placeholder.js';
import { formatCount } from './format.js';
import { useCardQuery } from './pageStatus.js';
import { numberAt, runQuery } from './query.js';
import type { PageScope } from './scope.js';
import { useVisibleTicks } from './visibleTicks.js';

/**
 * "N visitors now": unique visitors of the last five minutes, asked again every 30 seconds while
 * the tab is visible (a hidden tab asks nothing, and asks at once when it is shown again). Like
 * Plausible's current visitors, it ignores the period and the filters: it answers "is anyone on
 * the site right now".
 */

export const REFRESH_MS = 30_000;
const WINDOW_MS = 5 * 60_000;

export function VisitorsNow({ scope }: { scope: PageScope }) {
  const tick = useVisibleTicks(REFRESH_MS);
  const result = useCardQuery(
    'visitors-now',
    () => {
      const now = Date.now();
      return runQuery({ client_id: scope.clientId, metrics: ['unique_visitors'], from: new Date(now - WINDOW_MS).toISOString(), to: new Date(now).toISOString() });
    },
    [scope.clientId, tick],
  );
  const count = result.data ? numberAt(result.data, result.data.rows[0], 'unique_visitors') : null;
  return (
    <p class="visitors-now" title="Unique visitors in the last 5 minutes, updated every 30 seconds">
      <span class={`pulse${count ? ' live' : ''}`} aria-hidden="true" />
      {count === null ? (
        <Placeholder what="visitors now" inline />
      ) : (
        <span class="count" data-value={count}>
          {formatCount(count)}
        </span>
      )}{' '}
      {count === 1 ? 'visitor' : 'visitors'} now
    </p>
  );
}
