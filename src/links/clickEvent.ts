import { createHmac, randomUUID } from 'node:crypto';
import type { StoredEvent } from '../events/eventStore.js';
import { locationOf, pageFacts } from '../ingest/enrich.js';
import type { Locator } from '../ingest/geo/geoLookup.js';
import { storedIp, unmapped } from '../ingest/ip.js';
import { userAgentFacts } from '../ingest/userAgent.js';
import type { IpStorage } from '../store/metaStore.js';
import { LINKS_PSEUDO_CLIENT, type LinkRow } from './linkRow.js';

export { CLICK_ID_PARAM, clickId, linkIdOfClickId } from './clickId.js';

/**
 * A redirect of a short link is an event like any other (`$link_click`), stored for the link's
 * client (or `_links` for a link of none) through the same writer as the site's events, so a
 * click's referrer, country and device show in the client's reports with no second pipeline.
 * Built here from the facts of the request, reusing ingestion's own steps (user agent, bot flag,
 * location before the address is truncated or hashed, the client's ip_storage), so a click is
 * enriched exactly as a page view would be.
 *
 * Visitors are counted without a cookie, as Plausible does: the distinct_id is an HMAC of the
 * client, the address and the user agent under a salt that changes every UTC day. The same
 * browser on the same network is one visitor within a day and a new one the next day; the ids of
 * two days cannot be linked to each other, nor turned back into an address, by anyone without the
 * deployment's secret (and the salt of a past day is never stored: it is derived on demand).
 */

export const LINK_CLICK_EVENT = '$link_click';

/** What the redirect knows about one request. */
export interface LinkClickRequest {
  /** The visitor's address as seen by this server or a trusted proxy; null when unknown. */
  ip: string | null;
  userAgent: string | null;
  /** The Referer header, as sent; null when absent. */
  referrer: string | null;
  /** When the redirect answered (epoch ms). */
  at: number;
}

/** What the redirect knows of the deployment and the link's client. */
export interface LinkClickContext {
  /** The short URL that was followed (with its query, if any: its UTM fields are read). */
  shortUrl: string;
  /** The client's ip_storage; a link of no client keeps `truncated` (see LINKS_IP_STORAGE). */
  ipStorage: IpStorage;
  /** The deployment's shared secret (`deriveIpHashSecret`): keys hashed addresses and the visitor salt. */
  secret: Buffer;
  /** The location database opened at start. */
  geo: Locator;
}

/** Clicks of links without a client are kept as a client's are by default. */
export const LINKS_IP_STORAGE: IpStorage = 'truncated';

/** The UTC day of an instant, YYYY-MM-DD: the salt's period. */
const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

let lastSalt: { secret: Buffer; day: string; salt: Buffer } | undefined;

/** The salt of one UTC day: derived from the secret and the date, never stored, so no past day's can be recovered from disk. */
export function dailySalt(secret: Buffer, ms: number): Buffer {
  const day = utcDay(ms);
  if (lastSalt !== undefined && lastSalt.secret === secret && lastSalt.day === day) return lastSalt.salt;
  const salt = createHmac('sha256', secret).update(`mythic/link-visitor-salt/v1\0${day}`).digest();
  lastSalt = { secret, day, salt };
  return salt;
}

/**
 * The cookieless visitor id of a click: hex of HMAC-SHA256(daily salt, client, address, user
 * agent) cut to 16 bytes (32 hex characters). The client is part of it so that one browser is
 * not the same id for two clients.
 */
export function visitorId(clientId: string, ip: string | null, userAgent: string | null, at: number, secret: Buffer): string {
  const address = ip === null ? '' : unmapped(ip);
  return createHmac('sha256', dailySalt(secret, at))
    .update(`${clientId}\0${address}\0${userAgent ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * The `$link_click` row for one redirect of `link`. Bots are flagged as ingestion flags them (and
 * counted apart); a request without any user agent is flagged too, since no browser sends none
 * (ingestion cannot say so of its events: a server may legitimately send them without one).
 */
export function linkClickEvent(link: LinkRow, request: LinkClickRequest, context: LinkClickContext): StoredEvent {
  const clientId = link.client_id ?? LINKS_PSEUDO_CLIENT;
  const userAgent = request.userAgent === null || request.userAgent.trim() === '' ? null : request.userAgent;
  const device = userAgentFacts(userAgent);
  const properties = { slug: link.slug, destination_url: link.destination_url };
  return {
    client_id: clientId,
    uuid: randomUUID(),
    event: LINK_CLICK_EVENT,
    distinct_id: visitorId(clientId, request.ip, userAgent, request.at, context.secret),
    timestamp: request.at,
    received_at: request.at,
    session_id: null,
    device_id: null,
    anon_distinct_id: null,
    properties: JSON.stringify(properties),
    ...pageFacts({ $current_url: context.shortUrl, ...(request.referrer === null ? {} : { $referrer: request.referrer }) }),
    ...device,
    is_bot: device.is_bot || userAgent === null,
    ...locationOf({ properties: {} }, request.ip, context.geo),
    ip: storedIp(request.ip, context.ipStorage, clientId, context.secret),
    user_agent: userAgent,
    link_id: link.id,
  };
}
