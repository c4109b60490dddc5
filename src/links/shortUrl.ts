/**
 * Where a link's short URL points. With a links host (MYTHIC_LINKS_HOST) the slug sits at that
 * host's root, as branded short domains do; a bare host is given https (short links are shared
 * in public), while a full origin (`http://go.localhost:8080`, for development) is used as
 * written. Without one, the main address serves links under `/l/`.
 */
export function linksHostOrigin(linksHost: string): string {
  const trimmed = linksHost.trim().replace(/\/+$/, '');
  if (/^https?:\/\//i.test(trimmed)) return new URL(trimmed).origin;
  return `https://${trimmed.toLowerCase()}`;
}

/** The base a slug is appended to: `https://go.example.com` or `<public origin>/l`. */
export function shortUrlBase(linksHost: string | undefined, publicOrigin: () => string): string {
  return linksHost === undefined || linksHost === '' ? `${publicOrigin()}/l` : linksHostOrigin(linksHost);
}

export const shortUrlOf = (base: string, slug: string): string => `${base}/${slug}`;
