/**
 * Where a click is sent: the stored destination, never anything else (the slug only selects a
 * stored row, so no request can make the redirect point elsewhere). The short URL's query
 * parameters are added to it, so `go.example.com/sale?utm_source=twitter` carries its campaign on;
 * on a clash the destination's own parameter wins: the link's owner set it, and whoever passes the
 * short URL along can only add to it, never rewrite an attribution (or a parameter the destination
 * depends on) that the owner chose. `mlc` is the click id, set by us: one in the short URL is
 * dropped, and one in the destination is replaced.
 *
 * The destination's own query is kept byte for byte (re-encoding it through URLSearchParams would
 * turn `%20` into `+` and could break a signed URL); the added parameters are appended after it.
 */
import { CLICK_ID_PARAM as CLICK_ID_PARAMETER } from './clickId.js';

/** Parameters of the short URL passed on at most: a longer query is cut, never refused. */
const MAX_PASSED_PARAMETERS = 50;

export function redirectLocation(destination: string, shortQuery: string, clickId: string): string {
  const url = new URL(destination);
  const own = new URLSearchParams(url.search);
  const added = new URLSearchParams();
  let passed = 0;
  for (const [name, value] of new URLSearchParams(shortQuery)) {
    if (name === '' || name === CLICK_ID_PARAMETER || own.has(name)) continue;
    if (passed++ >= MAX_PASSED_PARAMETERS) break;
    added.append(name, value);
  }
  added.append(CLICK_ID_PARAMETER, clickId);
  // The destination's own mlc (a link made from a URL that was itself clicked through) is replaced.
  const kept = own.has(CLICK_ID_PARAMETER) ? withoutParameter(url.search, CLICK_ID_PARAMETER) : url.search;
  const search = kept === '' || kept === '?' ? `?${added.toString()}` : `${kept}&${added.toString()}`;
  return `${url.origin}${url.pathname}${search}${url.hash}`;
}

/** `search` (with its `?`) without the pairs named `name`, the others as they were written. */
function withoutParameter(search: string, name: string): string {
  const pairs = search
    .slice(1)
    .split('&')
    .filter((pair) => {
      const key = pair.split('=', 1)[0] ?? '';
      let decoded: string;
      try {
        decoded = decodeURIComponent(key.replace(/\+/g, ' '));
      } catch {
        decoded = key;
      }
      return decoded !== name;
    });
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
}
