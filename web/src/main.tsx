import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, useKey } from './api.js';
import { href, navigate, useHashPath } from './router.js';
import { signIn, signOut, storedKey, type Session } from './session.js';
import { Loading } from './ui/misc.js';
import { Routes } from './views/Routes.js';
import { SignIn } from './views/SignIn.js';

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => storedKey() !== null);
  const path = useHashPath();

  const end = (): void => {
    signOut();
    setSession(null);
  };
  const begin = (next: Session): void => {
    useKey(next.key, end);
    setSession(next);
  };

  // A reload keeps the tab's session: check the stored key again rather than trusting it.
  useEffect(() => {
    const key = storedKey();
    if (key === null) return;
    signIn(key).then(begin, (error: unknown) => {
      if (error instanceof ApiFailure && (error.status === 401 || error.status === 403)) signOut();
      setRestoring(false);
    });
  }, []);
  useEffect(() => {
    if (session) setRestoring(false);
  }, [session]);

  if (restoring) return <Loading what="your session" />;
  if (!session) return <SignIn onSignedIn={begin} />;

  const who = session.who;
  // `/clients/{id}/{section}/…`: which of a client's own pages is open, for its nav.
  const clientSection = path.split('?')[0]!.split('/')[3];
  return (
    <>
      <a class="skip" href="#main" onClick={(event) => (event.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('/')}>
          Mythic
        </a>
        <nav aria-label="Main">
          {who.role === 'admin' ? (
            <>
              <a href={href('/clients')} aria-current={path.startsWith('/clients') || path === '/' ? 'page' : undefined}>
                Clients
              </a>
              <a href={href('/agencies')} aria-current={path.startsWith('/agencies') ? 'page' : undefined}>
                Agencies
              </a>
              <a href={href('/pubsub')} aria-current={path.startsWith('/pubsub') ? 'page' : undefined}>
                Pub/Sub
              </a>
              <a href={href('/mcp')} aria-current={path.startsWith('/mcp') ? 'page' : undefined}>
                MCP
              </a>
            </>
          ) : (
            <>
              <a href={href(`/clients/${encodeURIComponent(who.client_id)}/analytics`)} aria-current={clientSection !== 'live' && clientSection !== 'links' ? 'page' : undefined}>
                Analytics
              </a>
              <a href={href(`/clients/${encodeURIComponent(who.client_id)}/live`)} aria-current={clientSection === 'live' ? 'page' : undefined}>
                Live events
              </a>
              <a href={href(`/clients/${encodeURIComponent(who.client_id)}/links`)} aria-current={clientSection === 'links' ? 'page' : undefined}>
                Links
              </a>
            </>
          )}
        </nav>
        <span class="who">{who.role === 'admin' ? 'Admin' : who.name}</span>
        <button
          type="button"
          onClick={() => {
            end();
            navigate('/');
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes path={path} who={who} />
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
