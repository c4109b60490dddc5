import { useEffect, useState } from 'preact/hooks';

/** Views live in the URL fragment (#/clients/acme), so the server serves one page and back/forward work. */
export function currentPath(): string {
  const hash = location.hash.replace(/^#/, '');
  return hash === '' ? '/' : hash;
}

export function useHashPath(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const update = (): void => setPath(currentPath());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return path;
}

export function navigate(path: string): void {
  location.hash = `#${path}`;
}

/** The decoded segment, or null for a malformed escape such as `%E0` (a hand-typed or truncated link). */
function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * `/clients/:id/tags` against `/clients/acme/tags` → { id: 'acme' }, or null when it does not match.
 * A parameter that cannot be decoded does not match, so the page shows "Not found" instead of failing.
 */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('?')[0]!.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i]!;
    if (part.startsWith(':')) {
      const value = decodeSegment(got[i]!);
      if (value === null) return null;
      params[part.slice(1)] = value;
    } else if (part !== got[i]) return null;
  }
  return params;
}

export const href = (path: string): string => `#${path}`;

/** The query string of the hash URL (`#/clients/acme/analytics?period=7d` → `period=7d`), for pages that keep state there. */
export function currentQuery(): string {
  const path = currentPath();
  const at = path.indexOf('?');
  return at < 0 ? '' : path.slice(at + 1);
}

/**
 * Replaces the query string of the current view. A new history entry, so back/forward step through
 * the changes; with `replace`, the current entry changes instead (typing in a field should not
 * leave one entry per key). Both fire `hashchange`, which every `useHashPath` hears.
 */
export function navigateQuery(query: string, replace = false): void {
  const path = currentPath().split('?')[0]!;
  const next = query === '' ? path : `${path}?${query}`;
  if (next === currentPath()) return;
  if (replace) location.replace(`#${next}`);
  else navigate(next);
}
