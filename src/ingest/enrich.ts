import type { IdentityLink, StoredEvent } from '../events/eventStore.js';
import { linkIdOfClickId } from '../links/clickId.js';
import type { AcceptedEvent } from './events.js';
import type { IpStorage } from '../store/metaStore.js';
import type { Locator } from './geo/geoLookup.js';
import { NO_LOCATION, type Location } from './geo/location.js';
import { storedIp } from './ip.js';
import { UTM_FIELDS, urlParts, type UrlParts } from './urlParts.js';
import { userAgentFacts } from './userAgent.js';

/** Where the page was and where the visitor came from, as read from the SDK's properties: the columns they fill. */
export type PageFacts = Pick<StoredEvent, 'url' | 'host' | 'path' | 'referrer' | 'referrer_host' | (typeof UTM_FIELDS)[number]>;

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** `www.google.com` and `google.com` are one source: the prefix is dropped, as Plausible does. */
const sourceHost = (host: string): string | null => (host === '' ? null : host.replace(/^www\./, ''));

/**
 * The site's host name as a referrer's would read: `$host` is `location.host`, which carries the
 * port of a site on a non-default one, while a URL's hostname never does.
 */
function siteHost(page: UrlParts | null, host: string | null): string | null {
  const name = page?.hostname ?? host?.toLowerCase().replace(/:\d+$/, '');
  return name === undefined ? null : sourceHost(name);
}

/**
 * url, host and path from `$current_url` (`$host` and `$pathname` win when sent); referrer from
 * `$referrer`, where posthog-js writes `$direct` for none; UTM fields from `utm_*` properties, or
 * else from the query of the page URL.
 */
export function pageFacts(properties: Record<string, unknown>): PageFacts {
  const url = text(properties.$current_url);
  const page = urlParts(url);
  const rawReferrer = text(properties.$referrer);
  const referrer = rawReferrer === '$direct' ? null : rawReferrer;
  const referrerUrl = urlParts(referrer);
  const referringDomain = text(properties.$referring_domain);
  const host = text(properties.$host) ?? (page?.hostname || null);
  const referrerHost =
    referrerUrl !== null
      ? sourceHost(referrerUrl.hostname)
      : referringDomain !== null && referringDomain !== '$direct'
        ? sourceHost(referringDomain.toLowerCase())
        : null;
  const facts: PageFacts = {
    url,
    host,
    path: text(properties.$pathname) ?? (page?.pathname || null),
    referrer,
    // A click from one page of the site to the next names the site itself as the referrer: that
    // is navigation, not a source, and would otherwise top every site's referrer report.
    referrer_host: referrerHost !== null && referrerHost === siteHost(page, host) ? null : referrerHost,
    utm_source: null,
    utm_medium: null,
    utm_campaign: null,
    utm_term: null,
    utm_content: null,
  };
  for (const field of UTM_FIELDS) facts[field] = text(properties[field]) ?? page?.utm[field] ?? null;
  return facts;
}

/** What the request says about the visitor and the client, shared by all its events. */
export interface RequestFacts {
  clientId: string;
  receivedAt: number;
  /** The visitor's address as seen by this server or a trusted proxy; null when unknown. */
  ip: string | null;
  userAgent: string | null;
  ipStorage: IpStorage;
  /** The deployment's shared secret: keys hashed addresses, and verifies the click ids (`mlc`) of short links. */
  ipHashSecret: Buffer;
  /** Where an address is: the location database opened at start. */
  geo: Locator;
}

/**
 * Country, region and city of the visitor's full address: looked up here, before `storedIp`
 * truncates or hashes it, since a truncated address (a /24) can lie in another city and a hashed
 * one says nothing. Only the location is kept, never the address it came from. An event carrying
 * `$geoip_disable: true` (posthog-js's option) is not looked up.
 */
export function locationOf(event: Pick<AcceptedEvent, 'properties'>, ip: string | null, geo: Locator): Location {
  if (ip === null || event.properties.$geoip_disable === true) return NO_LOCATION;
  return geo.locate(ip);
}

/**
 * The short link a page URL's `mlc` names, when the redirect of this deployment signed it: the
 * visit that click started is credited to the link. A forged, mangled or foreign value is
 * ignored (no link), never an error: the event itself is fine.
 */
export function linkIdOfPage(url: string | null, secret: Buffer): string | null {
  // Most page URLs carry none: a substring test spares them a second look at the parsed parts.
  if (url === null || !url.includes('mlc=')) return null;
  const mlc = urlParts(url)?.mlc;
  return mlc === undefined ? null : linkIdOfClickId(mlc, secret);
}

/**
 * The stored form of the last address seen, with what it depends on: the events of a request share
 * its address and client, and an HMAC (hashed storage) or a truncation per event was a measurable
 * part of enriching a batch. One entry, keyed by every input, so it can only ever answer what
 * storedIp() would for the same four (no client ever gets another's hash).
 */
let lastStored: { ip: string | null; storage: IpStorage; clientId: string; secret: Buffer; stored: string | null } | undefined;

function storedIpOf(ip: string | null, storage: IpStorage, clientId: string, secret: Buffer): string | null {
  const last = lastStored;
  if (last !== undefined && last.ip === ip && last.storage === storage && last.clientId === clientId && last.secret === secret) return last.stored;
  const stored = storedIp(ip, storage, clientId, secret);
  lastStored = { ip, storage, clientId, secret, stored };
  return stored;
}

/**
 * The row stored for an accepted event: page, referrer, UTM, browser, location, and the address as
 * the client wants it kept. Written field by field rather than spread from the parts: every row
 * then has one shape, and the three spreads per event were garbage for the collector.
 */
export function enrich(event: AcceptedEvent, request: RequestFacts): StoredEvent {
  const userAgent = event.user_agent ?? request.userAgent;
  const device = userAgentFacts(userAgent);
  const ip = event.ip ?? request.ip;
  const page = pageFacts(event.properties);
  const location = locationOf(event, ip, request.geo);
  return {
    client_id: request.clientId,
    uuid: event.uuid,
    event: event.event,
    distinct_id: event.distinct_id,
    timestamp: event.timestamp,
    received_at: request.receivedAt,
    session_id: event.session_id,
    device_id: event.device_id,
    anon_distinct_id: event.anon_distinct_id,
    properties: JSON.stringify(event.properties),
    url: page.url,
    host: page.host,
    path: page.path,
    referrer: page.referrer,
    referrer_host: page.referrer_host,
    utm_source: page.utm_source,
    utm_medium: page.utm_medium,
    utm_campaign: page.utm_campaign,
    utm_term: page.utm_term,
    utm_content: page.utm_content,
    browser: device.browser,
    browser_version: device.browser_version,
    os: device.os,
    device_type: device.device_type,
    is_bot: device.is_bot,
    country: location.country,
    region: location.region,
    city: location.city,
    ip: storedIpOf(ip, request.ipStorage, request.clientId, request.ipHashSecret),
    user_agent: userAgent,
    link_id: linkIdOfPage(page.url, request.ipHashSecret),
  };
}

/**
 * Identity links: `$identify` names the anonymous id the person had before (`$anon_distinct_id`);
 * `$create_alias` names another id (`properties.alias`) of the event's distinct_id.
 */
export function identityLinks(events: AcceptedEvent[], clientId: string): IdentityLink[] {
  const links: IdentityLink[] = [];
  for (const event of events) {
    if (event.event === '$identify' && event.anon_distinct_id !== null && event.anon_distinct_id !== event.distinct_id) {
      links.push({ client_id: clientId, distinct_id: event.anon_distinct_id, person_id: event.distinct_id, created_at: event.timestamp });
    } else if (event.event === '$create_alias' && event.alias !== null && event.alias !== event.distinct_id) {
      links.push({ client_id: clientId, distinct_id: event.alias, person_id: event.distinct_id, created_at: event.timestamp });
    }
  }
  return links;
}
