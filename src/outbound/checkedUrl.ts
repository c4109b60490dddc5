/**
 * The check a user-given outbound URL passes when it is stored (webhook URLs, Pub/Sub push
 * endpoints): one rule for every such URL. Host names are resolved at each request (they may
 * change, and Outbound refuses private answers then); an address written in the URL is checked
 * now, so an endpoint at 10.0.0.1 or the metadata address is refused when it is saved rather than
 * failing for a day.
 */
import { isIP } from 'node:net';
import { invalidFields } from '../http/apiError.js';
import { isPublicAddress } from '../ingest/geo/nonPublic.js';
import type { OutboundAllowList } from './allowList.js';

/** An http(s) URL without credentials, as stored; else a 400 naming `field`. */
export function checkedOutboundUrl(text: string, field: string, allow: OutboundAllowList): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidFields([{ field, message: 'is not a URL' }]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidFields([{ field, message: 'must be an http:// or https:// URL' }]);
  if (url.username !== '' || url.password !== '') throw invalidFields([{ field, message: 'must not carry credentials (user:password@)' }]);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0 && !isPublicAddress(host) && !allow.allowsAddress(host)) {
    throw invalidFields([{ field, message: 'names a loopback, private, link-local or otherwise non-public address (an operator may allow it with MYTHIC_OUTBOUND_ALLOW)' }]);
  }
  return url.href;
}
