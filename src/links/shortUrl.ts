/**
 * Where a link's short URL points. With a links host (MYTHIC_LINKS_HOST, read by config into an
 * origin: `https://go.example.com` for a bare host, a full origin such as
 * `http://go.localhost:8080` as given) the slug sits at that host's root, as branded short domains
 * do. Without one, the main address serves links under `/l/`.
 */

/** The part of the configured links host short URLs need (config's LinksHost has it). */
export interface LinksOrigin {
  origin: string;
}

/** The base a slug is appended to: `https://go.example.com` or `<public origin>/l`. */
export function shortUrlBase(linksHost: LinksOrigin | undefined, publicOrigin: () => string): string {
  return linksHost === undefined ? `${publicOrigin()}/l` : linksHost.origin;
}

export const shortUrlOf = (base: string, slug: string): string => `${base}/${slug}`;
