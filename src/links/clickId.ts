import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomBase62 } from '../shared/randomText.js';

/**
 * The click id the redirect appends to a destination as `mlc=…`, so that the visit it starts on
 * the client's site is credited to the link (ingestion reads it back from the page URL, see
 * ingest/enrich.ts). It carries the link id and is signed: `<the link id without lnk_>.<8
 * random base62>.<8 characters of an HMAC>` (about 30 characters, URL-safe). Without the
 * signature anyone could send events naming any link id; with it, a forged or mangled value is
 * ignored (the event simply has no link), never an error.
 *
 * The key is the deployment's shared secret (`deriveIpHashSecret`, from the admin key's hash), so
 * every node signs and verifies alike; a click id made before the admin key changed no longer
 * verifies, and the visit is then counted without its link. No module here imports ingestion or
 * the stores: ingestion imports this.
 */

// Link ids are `lnk_` + 12 base62; any base62 length up to 64 is read, so a longer id never breaks a redirect.
const LINK_ID = /^lnk_([A-Za-z0-9]{1,64})$/;
const CLICK_ID = /^([A-Za-z0-9]{1,64})\.([A-Za-z0-9]{8})\.([A-Za-z0-9_-]{8})$/;


/** 48 bits of HMAC-SHA256 under the deployment secret, domain-separated from its other uses. */
const signature = (body: string, secret: Buffer): string =>
  createHmac('sha256', secret).update(`mythic/link-click-id/v1\0${body}`).digest('base64url').slice(0, 8);

/** A new click id for one redirect of `linkId` (an `lnk_` id). */
export function clickId(linkId: string, secret: Buffer): string {
  const match = LINK_ID.exec(linkId);
  if (match === null) throw new Error(`not a link id: ${linkId}`);
  const body = `${match[1]}.${randomBase62(8)}`;
  return `${body}.${signature(body, secret)}`;
}

/** The link id a click id names, or null when the value is not one this deployment signed. */
export function linkIdOfClickId(value: string, secret: Buffer): string | null {
  const match = CLICK_ID.exec(value);
  if (match === null) return null;
  const body = `${match[1]}.${match[2]}`;
  const expected = Buffer.from(signature(body, secret));
  const presented = Buffer.from(match[3] as string);
  return presented.length === expected.length && timingSafeEqual(presented, expected) ? `lnk_${match[1]}` : null;
}

/** The query parameter of a destination URL that carries the click id. */
export const CLICK_ID_PARAM = 'mlc';
