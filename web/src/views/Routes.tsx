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

/** The analytics views carry the chart library: fetched the first time one is opened. */
function LazyAnalytics({ clientId, view, clientName }: { clientId: string; view: 'analytics' | 'live'; clientName?: string }) {
  const [module, setModule] = useState<AnalyticsModule | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    import('../analytics/AnalyticsPage.js').then(setModule, setError);
  }, []);
  if (error) return <ErrorNote error={error} />;
  if (!module) return <Loading what="analytics" />;
  if (view === 'live') return <module.LiveEventsPage clientId={clientId} />;
  return <module.AnalyticsPage clientId={clientId} {...(clientName === undefined ? {} : { clientName })} />;
}

/** The Links page carries the chart and the QR encoder: fetched the first time it is opened. */
function LazyLinks({ clientId, linkId, admin }: { clientId: string; linkId?: string; admin: boolean }) {
  const [module, setModule] = useState<LinksModule | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    import('../links/LinksPage.js').then(setModule, setError);
  }, []);
  if (error) return <ErrorNote error={error} />;
  if (!module) return <Loading what="links" />;
  return <module.LinksPage clientId={clientId} admin={admin} {...(linkId === undefined ? {} : { linkId })} />;
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
