/**
 * The CSRF token of a password link's form: `<issued, unix seconds>.<HMAC-SHA256(secret, link id
 * and issue time), base64url>`. Stateless, so any node of a deployment checks what another issued
 * (the secret is derived from the admin key's hash, which they all share), and it expires: a token
 * older than ten minutes, or issued in the future, is refused. Compared in constant time. With the
 * refusal of cross-site Origin / Sec-Fetch-Site in the route, a page elsewhere cannot submit the
 * form on a visitor's behalf (to make them land on a destination with a click counted).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const FORM_TOKEN_TTL_SECONDS = 10 * 60;
/** Clocks of two nodes may differ this much: a token "issued" this far ahead is still accepted. */
const CLOCK_SKEW_SECONDS = 30;

/** The key of form tokens, derived from the admin key's hash (the one secret all nodes share). */
export function deriveFormTokenSecret(adminKeyHash: string): Buffer {
  return createHmac('sha256', Buffer.from(adminKeyHash, 'hex')).update('mythic/link-password-form/v1').digest();
}

const mac = (secret: Buffer, linkId: string, issued: number): Buffer => createHmac('sha256', secret).update(`${linkId}\n${issued}`).digest();

export function issueFormToken(secret: Buffer, linkId: string, nowMs: number): string {
  const issued = Math.floor(nowMs / 1000);
  return `${issued}.${mac(secret, linkId, issued).toString('base64url')}`;
}

export function verifyFormToken(secret: Buffer, linkId: string, token: string | undefined, nowMs: number): boolean {
  if (token === undefined) return false;
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (match === null) return false;
  const issued = Number(match[1]);
  const age = Math.floor(nowMs / 1000) - issued;
  if (age > FORM_TOKEN_TTL_SECONDS || age < -CLOCK_SKEW_SECONDS) return false;
  const given = Buffer.from(match[2] as string, 'base64url');
  const expected = mac(secret, linkId, issued);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
