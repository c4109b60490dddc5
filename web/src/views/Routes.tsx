import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { matchPath, navigate } from '../router.js';
import type { Whoami } from '../types.js';
import { ErrorNote, Loading } from '../ui/misc.js';
import { AgencyDetail, AgencyList, NewAgency } from './agencies.js';
import { ClientDetail } from './ClientDetail.js';
import { ClientList } from './ClientList.js';
import { NewClient } from './ClientForm.js';

type AnalyticsModule = typeof import('../analytics/AnalyticsPage.js');
type LinksModule = typeof import('../links/LinksPage.js');
type PubSubModule = typeof import('../pubsub/PubSubPage.js');
type McpModule = typeof import('../mcp/McpPage.js');

/**
 * A view in a chunk of its own, fetched the first time it is opened: the analytics and links views
 * carry the chart library (and the QR encoder), the Pub/Sub and MCP pages are the operator's only.
 */
function Lazy<M>({ load, what, view }: { load: () => Promise<M>; what: string; view: (module: M) => VNode }) {
  const [module, setModule] = useState<M | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    load().then(setModule, setError);
  }, []);
  if (error) return <ErrorNote error={error} />;
  if (!module) return <Loading what={what} />;
  return view(module);
}

const loadAnalytics = (): Promise<AnalyticsModule> => import('../analytics/AnalyticsPage.js');

function LazyAnalytics({ clientId, view, clientName }: { clientId: string; view: 'analytics' | 'live'; clientName?: string }) {
  return (
    <Lazy
      load={loadAnalytics}
      what="analytics"
      view={(module) => (view === 'live' ? <module.LiveEventsPage clientId={clientId} /> : <module.AnalyticsPage clientId={clientId} {...(clientName === undefined ? {} : { clientName })} />)}
    />
  );
}

function LazyLinks({ clientId, linkId, admin }: { clientId: string; linkId?: string; admin: boolean }) {
  return <Lazy load={(): Promise<LinksModule> => import('../links/LinksPage.js')} what="links" view={(module) => <module.LinksPage clientId={clientId} admin={admin} {...(linkId === undefined ? {} : { linkId })} />} />;
}

function LazyPubSub({ subscriptionId }: { subscriptionId?: string }) {
  return <Lazy load={(): Promise<PubSubModule> => import('../pubsub/PubSubPage.js')} what="Pub/Sub" view={(module) => <module.PubSubPage {...(subscriptionId === undefined ? {} : { subscriptionId })} />} />;
}

function LazyMcp() {
  return <Lazy load={(): Promise<McpModule> => import('../mcp/McpPage.js')} what="MCP" view={(module) => <module.McpPage />} />;
}

export function Routes({ path, who }: { path: string; who: Whoami }) {
  let params: Record<string, string> | null;
  if (who.role === 'client') {
    // A client's key reaches only its own analytics, live events and links.
    if ((params = matchPath('/clients/:id/live', path)) && params.id === who.client_id) return <LazyAnalytics clientId={who.client_id} view="live" />;
    if ((params = matchPath('/clients/:id/links', path)) && params.id === who.client_id) return <LazyLinks clientId={who.client_id} admin={false} />;
    if ((params = matchPath('/clients/:id/links/:linkId', path)) && params.id === who.client_id) return <LazyLinks clientId={who.client_id} linkId={params.linkId!} admin={false} />;
    return <LazyAnalytics clientId={who.client_id} view="analytics" clientName={who.name} />;
  }
  if (path === '/' || path === '/clients' || path.startsWith('/clients?')) return <ClientList />;
  if (path === '/clients/new') return <NewClient />;
  if ((params = matchPath('/clients/:id/analytics', path))) return <LazyAnalytics clientId={params.id!} view="analytics" />;
  if ((params = matchPath('/clients/:id/live', path))) return <LazyAnalytics clientId={params.id!} view="live" />;
  if ((params = matchPath('/clients/:id/links', path))) return <LazyLinks clientId={params.id!} admin />;
  if ((params = matchPath('/clients/:id/links/:linkId', path))) return <LazyLinks clientId={params.id!} linkId={params.linkId!} admin />;
  if ((params = matchPath('/clients/:id/:tab', path))) return <ClientDetail id={params.id!} tab={params.tab!} />;
  if ((params = matchPath('/clients/:id', path))) return <ClientDetail id={params.id!} tab="settings" />;
  if (path === '/agencies') return <AgencyList />;
  if (path === '/agencies/new') return <NewAgency />;
  if ((params = matchPath('/agencies/:id', path))) return <AgencyDetail id={params.id!} />;
  if (path === '/pubsub') return <LazyPubSub />;
  if ((params = matchPath('/pubsub/:id', path))) return <LazyPubSub subscriptionId={params.id!} />;
  if (path === '/mcp') return <LazyMcp />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>.{' '}
        <button type="button" onClick={() => navigate('/clients')}>
          Go to clients
        </button>
      </p>
    </section>
  );
}
