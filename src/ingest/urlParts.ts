import { RecentCache } from './recentCache.js';

export const UTM_FIELDS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const;
export type UtmField = (typeof UTM_FIELDS)[number];

/** What enrichment reads from a page or referrer URL. */
export interface UrlParts {
  hostname: string;
  pathname: string;
  /** The UTM fields of the query that are there and not empty. */
  utm: Partial<Record<UtmField, string>>;
  /** The `mlc` query parameter (a short link's click id, links/clickId.ts) when there is one, unverified. */
  mlc?: string;
}

/**
 * Parsing a URL was the largest single cost of enriching a page view (URL is a native object),
 * and a site's visitors send the same few pages and referrers over and over: parts of recent
 * URLs are kept. Only short URLs are, with a short path once percent-encoded (one non-ASCII
 * character can become nine): an entry then holds at most about 5 KB (the URL as UTF-16, path,
 * UTM values), so the cache stays under about 10 MB whatever is sent.
 */
const cache = new RecentCache<string, UrlParts | null>(2048);
const CACHED_MAX_LENGTH = 1024;
const NO_UTM: Partial<Record<UtmField, string>> = Object.freeze({});

function parse(value: string): UrlParts | null {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  // The query is parsed only when it could hold UTM fields: most page URLs carry none.
  let utm = NO_UTM;
  if (url.search.includes('utm_')) {
    const found: Partial<Record<UtmField, string>> = {};
    for (const field of UTM_FIELDS) {
      const fieldValue = url.searchParams.get(field);
      if (fieldValue !== null && fieldValue !== '') found[field] = fieldValue;
    }
    utm = found;
  }
  // Only a short link's redirect adds `mlc`: the query is searched for it, not parsed, otherwise.
  const mlc = url.search.includes('mlc=') ? url.searchParams.get('mlc') : null;
  return { hostname: url.hostname, pathname: url.pathname, utm, ...(mlc === null || mlc === '' ? {} : { mlc }) };
}

/** The parts of an absolute URL (with a scheme and `//`), or null for anything else. */
export function urlParts(value: string | null): UrlParts | null {
  if (value === null) return null;
  if (value.length > CACHED_MAX_LENGTH) return parse(value);
  const cached = cache.get(value);
  if (cached !== undefined) return cached;
  const parts = parse(value);
  if (parts === null || parts.pathname.length <= CACHED_MAX_LENGTH) cache.set(value, parts);
  return parts;
}
