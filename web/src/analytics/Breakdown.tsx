import { useMemo, useState } from 'preact/hooks';
import { Dialog } from '../ui/Dialog.js';
import { rowLabel, valueLabel } from './dimensions.js';
import { MetricTable } from './MetricTable.js';
import { useCardQuery } from './pageStatus.js';
import { runQuery, type Metric, type QueryResult, type ResultSet } from './query.js';
import { apiFilters, scopeFields, type FilterClause, type FilterDimension, type PageScope } from './scope.js';
import { WorldMap } from './WorldMap.js';

/**
 * The breakdown cards: four cards of tabs (Pages, Sources, Devices, Locations, as Plausible groups
 * them) and the Events card. Each tab is one top-N query; a row click filters the page; "Details"
 * lists up to DETAILS_LIMIT rows with a search box. Rows without a value ("(none)") and internal
 * `$` events are hidden until asked for: they crowd out what a reader came for.
 */

export interface BreakdownTab {
  id: string;
  label: string;
  dimension: FilterDimension;
  metrics: Metric[];
  /** Page-level tables count page views only: a custom event has no page of its own to credit. */
  pageViewsOnly?: boolean;
}

export interface BreakdownGroup {
  id: string;
  title: string;
  /** `map` is the world map tab of Locations. */
  tabs: (BreakdownTab | { id: 'map'; label: string })[];
}

const visitorsAndViews: Metric[] = ['unique_visitors', 'page_views'];
export const BREAKDOWN_GROUPS: BreakdownGroup[] = [
  {
    id: 'pages',
    title: 'Pages',
    tabs: [
      { id: 'path', label: 'Top pages', dimension: 'path', pageViewsOnly: true, metrics: visitorsAndViews },
      { id: 'entry_path', label: 'Entry pages', dimension: 'entry_path', metrics: ['sessions', 'bounce_rate'] },
      { id: 'exit_path', label: 'Exit pages', dimension: 'exit_path', metrics: ['sessions', 'unique_visitors'] },
    ],
  },
  {
    id: 'sources',
    title: 'Sources',
    tabs: [
      { id: 'referrer_host', label: 'Referrers', dimension: 'referrer_host', pageViewsOnly: true, metrics: visitorsAndViews },
      { id: 'utm_source', label: 'UTM source', dimension: 'utm_source', pageViewsOnly: true, metrics: ['unique_visitors', 'sessions'] },
      { id: 'utm_medium', label: 'UTM medium', dimension: 'utm_medium', pageViewsOnly: true, metrics: ['unique_visitors', 'sessions'] },
      { id: 'utm_campaign', label: 'UTM campaign', dimension: 'utm_campaign', pageViewsOnly: true, metrics: ['unique_visitors', 'sessions'] },
    ],
  },
  {
    id: 'devices',
    title: 'Devices',
    tabs: [
      { id: 'browser', label: 'Browser', dimension: 'browser', metrics: ['unique_visitors'] },
      { id: 'os', label: 'OS', dimension: 'os', metrics: ['unique_visitors'] },
      { id: 'device_type', label: 'Device', dimension: 'device_type', metrics: ['unique_visitors'] },
    ],
  },
  {
    id: 'locations',
    title: 'Locations',
    tabs: [
      { id: 'map', label: 'Map' },
      { id: 'country', label: 'Countries', dimension: 'country', metrics: ['unique_visitors'] },
      { id: 'region', label: 'Regions', dimension: 'region', metrics: ['unique_visitors'] },
      { id: 'city', label: 'Cities', dimension: 'city', metrics: ['unique_visitors'] },
    ],
  },
];

export const EVENTS_TAB: BreakdownTab = { id: 'event', label: 'Events', dimension: 'event', metrics: ['events', 'unique_visitors'] };

const TOP_N = 10;
/** Enough rows beyond the top N to fill it after hiding "(none)" and `$` events. */
const FETCH_N = 25;
const DETAILS_LIMIT = 500;

type Row = ResultSet['rows'][number];

/** "(none)" everywhere but referrers, where no referrer is the "Direct / none" source readers look for. */
export function isHiddenRow(dimension: FilterDimension, value: Row[number]): boolean {
  if (value === null || value === '') return dimension !== 'referrer_host';
  return dimension === 'event' && typeof value === 'string' && value.startsWith('$');
}

/** The query body of a tab: the page's scope, narrowed to page views for page-level tables. */
function tabBody(scope: PageScope, tab: BreakdownTab, limit: number): Record<string, unknown> {
  const base = scopeFields(scope);
  // The user's own event filter wins over "page views only" (one operator per dimension).
  const pageViews = tab.pageViewsOnly && !scope.filters.some((c) => c.dimension === 'event');
  return { ...base, ...(pageViews ? { filters: { ...apiFilters(scope.filters, scope.includeBots), event: '$pageview' } } : {}), metrics: tab.metrics, dimensions: [tab.dimension], limit };
}

function visibleRows(result: QueryResult, dimension: FilterDimension, showHidden: boolean): Row[] {
  return showHidden ? result.rows : result.rows.filter((row) => !isHiddenRow(dimension, row[0] ?? null));
}

export function FramePlaceholder({ busy, rows = 5 }: { busy: boolean; rows?: number }) {
  return (
    <div class="frame-placeholder" aria-busy={busy ? 'true' : 'false'}>
      {Array.from({ length: rows }, (_, i) => (
        <span class="frame-placeholder-line" key={i} />
      ))}
    </div>
  );
}

/** A tab's rows as a table with bars; a row click (when given) selects that row's value. */
function TabTable({ tab, columns, rows, onSelect }: { tab: BreakdownTab; columns: string[]; rows: Row[]; onSelect?: ((value: Row[number]) => void) | undefined }) {
  return (
    <MetricTable
      result={{ columns, rows }}
      heading={tab.label}
      metrics={tab.metrics}
      labelOf={(value) => rowLabel(tab.dimension, value)}
      bars
      {...(onSelect ? { onSelect } : {})}
    />
  );
}

/** The filter a click on a row of the tab adds: the dimension is that row's value ("" and null both mean none). */
function isValue(tab: BreakdownTab, value: Row[number]): FilterClause {
  return { dimension: tab.dimension, op: 'is', values: [value === null || value === '' ? null : String(value)] };
}

function BreakdownTable({ scope, tab, onFilter }: { scope: PageScope; tab: BreakdownTab; onFilter?: (clause: FilterClause) => void }) {
  const [showHidden, setShowHidden] = useState(false);
  const [details, setDetails] = useState(false);
  const result = useCardQuery(`breakdown-${tab.dimension}`, () => runQuery(tabBody(scope, tab, FETCH_N)), [scope, tab]);
  const data = result.data;
  const rows = useMemo(() => (data ? visibleRows(data, tab.dimension, showHidden).slice(0, TOP_N) : []), [data, showHidden, tab]);
  const hiddenCount = data ? data.rows.length - visibleRows(data, tab.dimension, false).length : 0;
  const select = onFilter && ((value: Row[number]) => onFilter(isValue(tab, value)));
  if (!data) return <FramePlaceholder busy={result.loading} />;
  return (
    <div class="breakdown-body" data-dimension={tab.dimension}>
      {rows.length > 0 ? (
        <TabTable tab={tab} columns={data.columns} rows={rows} onSelect={select} />
      ) : (
        <p class="hint">{hiddenCount > 0 ? `Only ${tab.dimension === 'event' ? 'internal ($) events or ' : ''}rows without a value in this period.` : 'No data in this period.'}</p>
      )}
      <div class="breakdown-foot">
        {(hiddenCount > 0 || showHidden) && (
          <label class="show-hidden">
            <input type="checkbox" checked={showHidden} onChange={(e) => setShowHidden(e.currentTarget.checked)} /> Show (none){tab.dimension === 'event' ? ' and $ events' : ''}
          </label>
        )}
        {data.rows.length > 0 && (
          <button type="button" class="details" onClick={() => setDetails(true)}>
            Details
          </button>
        )}
      </div>
      {details && <DetailsDialog scope={scope} tab={tab} onClose={() => setDetails(false)} {...(onFilter ? { onFilter } : {})} />}
    </div>
  );
}

/** The full list of a tab, searchable; a row click filters the page and closes the dialog. */
function DetailsDialog({ scope, tab, onClose, onFilter }: { scope: PageScope; tab: BreakdownTab; onClose: () => void; onFilter?: (clause: FilterClause) => void }) {
  const [search, setSearch] = useState('');
  const [showHidden, setShowHidden] = useState(false);
  const result = useCardQuery(`details-${tab.dimension}`, () => runQuery(tabBody(scope, tab, DETAILS_LIMIT)), [scope, tab]);
  const data = result.data;
  const needle = search.trim().toLowerCase();
  const rows = data ? visibleRows(data, tab.dimension, showHidden).filter((row) => needle === '' || valueLabel(tab.dimension, row[0] ?? null).toLowerCase().includes(needle) || String(row[0] ?? '').toLowerCase().includes(needle)) : [];
  return (
    <Dialog title={tab.label} onClose={onClose}>
      <div class="details-dialog">
        <div class="details-tools">
          <label>
            <span class="visually-hidden">Search {tab.label.toLowerCase()}</span>
            <input type="search" placeholder="Search" aria-label={`Search ${tab.label.toLowerCase()}`} value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
          </label>
          <label class="show-hidden">
            <input type="checkbox" checked={showHidden} onChange={(e) => setShowHidden(e.currentTarget.checked)} /> Show (none)
          </label>
        </div>
        {!data ? (
          <FramePlaceholder busy={result.loading} rows={8} />
        ) : rows.length === 0 ? (
          <p class="hint">Nothing matches.</p>
        ) : (
          <TabTable
            tab={tab}
            columns={data.columns}
            rows={rows}
            onSelect={
              onFilter &&
              ((value) => {
                onFilter(isValue(tab, value));
                onClose();
              })
            }
          />
        )}
        {data && data.rows.length >= DETAILS_LIMIT && <p class="hint">The first {DETAILS_LIMIT} rows.</p>}
        <div class="actions">
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </Dialog>
  );
}

/** Arrow keys, Home and End move between a card's tabs (the WAI-ARIA tabs pattern: one tab stop per card). */
function moveTab(event: KeyboardEvent, group: BreakdownGroup, currentId: string, onTab: (tab: string) => void): void {
  const index = group.tabs.findIndex((t) => t.id === currentId);
  const last = group.tabs.length - 1;
  const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: last }[event.key];
  if (next === undefined) return;
  event.preventDefault();
  const tab = group.tabs[(next + group.tabs.length) % group.tabs.length]!;
  onTab(tab.id);
  // Focus follows the choice once the tab is rendered as selected.
  requestAnimationFrame(() => document.getElementById(`tab-${group.id}-${tab.id}`)?.focus());
}

/** A card of tabs; the chosen tab lives in the page's URL state. */
export function BreakdownCard(props: { scope: PageScope; group: BreakdownGroup; tab: string | undefined; onTab: (tab: string) => void; onFilter?: (clause: FilterClause) => void }) {
  const { group, scope } = props;
  const current = group.tabs.find((t) => t.id === props.tab) ?? group.tabs[0]!;
  const panelId = `panel-${group.id}`;
  return (
    <section class="card breakdown" aria-labelledby={`card-${group.id}`} data-card={group.id}>
      <div class="card-head">
        <h3 id={`card-${group.id}`}>{group.title}</h3>
        <div class="card-tabs" role="tablist" aria-label={group.title} onKeyDown={(event) => moveTab(event, group, current.id, props.onTab)}>
          {group.tabs.map((tab) => (
            <button
              type="button"
              role="tab"
              key={tab.id}
              id={`tab-${group.id}-${tab.id}`}
              aria-selected={tab.id === current.id ? 'true' : 'false'}
              aria-controls={panelId}
              tabIndex={tab.id === current.id ? 0 : -1}
              onClick={() => props.onTab(tab.id)}
            >
              {tab.label}
            </button>
          ))}
        </div>
      </div>
      <div role="tabpanel" id={panelId} aria-labelledby={`tab-${group.id}-${current.id}`}>
        {'dimension' in current ? (
          <BreakdownTable key={current.id} scope={scope} tab={current} {...(props.onFilter ? { onFilter: props.onFilter } : {})} />
        ) : (
          <WorldMap scope={scope} {...(props.onFilter ? { onFilter: props.onFilter } : {})} />
        )}
      </div>
      {group.id === 'locations' && (
        <p class="hint attribution">
          <a href="https://db-ip.com" target="_blank" rel="noopener">
            IP Geolocation by DB-IP
          </a>
        </p>
      )}
    </section>
  );
}

/** The Events card: one table, no tabs. */
export function EventsCard({ scope, onFilter }: { scope: PageScope; onFilter?: (clause: FilterClause) => void }) {
  return (
    <section class="card breakdown" aria-labelledby="card-events" data-card="events">
      <div class="card-head">
        <h3 id="card-events">Events</h3>
      </div>
      <BreakdownTable scope={scope} tab={EVENTS_TAB} {...(onFilter ? { onFilter } : {})} />
    </section>
  );
}
