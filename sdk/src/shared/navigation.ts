const NAVIGATE = 'mythic:navigate';

type PatchedHistory = History & { __mythic?: true };

/**
 * Calls `listener` after every in-page navigation: history.pushState / replaceState (SPA routers),
 * back/forward and hash changes. History is patched once per page, however many loaders and SDK
 * instances listen, so several clients on one page never wrap each other's wrappers. Listeners must
 * tolerate calls where the URL did not change (replaceState with the same URL is common).
 */
export function onNavigate(listener: () => void): void {
  const h = history as PatchedHistory;
  if (!h.__mythic) {
    h.__mythic = true;
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = h[method];
      h[method] = function patched(this: History, ...args: Parameters<History['pushState']>): void {
        original.apply(this, args);
        dispatchEvent(new Event(NAVIGATE));
      };
    }
  }
  addEventListener(NAVIGATE, listener);
  addEventListener('popstate', listener);
  addEventListener('hashchange', listener);
}
