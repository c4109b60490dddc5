import { ApiError } from '../http/apiError.js';
import { matchesDigest } from '../keys/secrets.js';
import type { ClientRow, MetaStore } from '../store/metaStore.js';
import { forwardedFor } from './ip.js';
import type { KeyedClient, KeyedClients } from './keyedClients.js';
import { isDomainOrSubdomain } from './origin.js';
import { MAX_USER_AGENT_LENGTH } from './schemas.js';

const unauthorized = (message: string): ApiError => new ApiError(401, 'unauthorized', message);

/**
 * The client behind a presented key. Unknown keys, keys past their grace period and (where only
 * a publishable key may be used) secret keys are 401; a deactivated client's keys are 403.
 * `recordUse` false: the same verdict without recording the key's use (a check before the body).
 */
export async function authenticate(
  keyedClients: KeyedClients,
  presented: string | undefined,
  publishableOnly: boolean,
  recordUse = true,
): Promise<KeyedClient> {
  if (presented === undefined || presented === '') {
    throw unauthorized(
      publishableOnly
        ? 'Send the publishable key as ?key=pk_… (or api_key in the body)'
        : 'Send the key as "Authorization: Bearer pk_…|sk_…" (or api_key in the body)',
    );
  }
  // Refused by its prefix, before any lookup: a secret key in a URL is a leak, never a credential.
  if (publishableOnly && !presented.startsWith('pk_')) {
    throw unauthorized('Only a publishable key (pk_…) is accepted here; send secret keys server-side to /batch or /ingest');
  }
  const keyed = await (recordUse ? keyedClients.resolve(presented) : keyedClients.peek(presented));
  if (keyed === null) throw unauthorized('The key is unknown, or was rotated out and its grace period is over');
  if (!keyed.identity.client_active) throw new ApiError(403, 'client_inactive', 'The client of this key is deactivated');
  return keyed;
}

/**
 * Browser events sent with a publishable key must come from the client's domain, a subdomain of
 * it, or one of its extra hostnames (exactly). A client with neither accepts any origin; a request
 * naming no origin at all (`host` undefined: a server-side call) is accepted, since only browsers
 * send one. `host` null: the origin named has no host (`Origin: null`).
 */
export async function checkOrigin(store: MetaStore, client: ClientRow, host: string | null | undefined): Promise<void> {
  if (host === undefined) return;
  if (host !== null) {
    if (client.domain !== null && isDomainOrSubdomain(host, client.domain)) return;
    // One indexed lookup rather than listing the client's hostnames: most requests never get here.
    if (await store.hasHostname(client.id, host)) return;
  }
  if (client.domain === null && (await store.listHostnames(client.id)).length === 0) return;
  throw new ApiError(
    403,
    'origin_not_allowed',
    host === null
      ? 'Events with this key are only accepted from the client’s domain and hostnames; the request’s origin has no host'
      : `Events with this key are not accepted from ${host}; to allow them, add it as a hostname of the client: POST /api/v1/clients/${client.id}/hostnames ${JSON.stringify({ hostname: host })}`,
  );
}

/**
 * Checks the key of a caller claiming to be the client's first-party proxy, which may then forward
 * the visitor's address and user agent. A key that does not match is a 401, not a silent
 * fallback: a misconfigured proxy would otherwise attribute every visitor to its own address.
 */
export function verifyProxyKey(client: ClientRow, presented: string): void {
  const expected = client.proxy_key_hash === null ? null : Buffer.from(client.proxy_key_hash, 'hex');
  if (expected === null || !matchesDigest(presented, expected)) {
    throw unauthorized('The X-Mythic-Proxy-Key header does not match the client’s proxy_api_key');
  }
}

/** The visitor the request's events are about, before any event names its own (secret keys only). */
export interface Visitor {
  ip: string | null;
  userAgent: string | null;
}

/** What the connection says about who is at the other end. */
export interface ConnectionFacts {
  /** The peer's address (as the server's own trust-proxy setting resolves it). */
  connectionIp: string;
  /** X-Forwarded-For as received: believed only from a verified proxy. */
  forwardedFor: string | undefined;
  userAgent: string | undefined;
}

/**
 * A verified proxy forwards the visitor (first X-Forwarded-For entry, User-Agent as forwarded); a
 * browser is the visitor itself; a secret-key caller is the client's server, which is nobody's
 * visitor, so nothing is recorded unless its events say so.
 */
export function visitorOf(connection: ConnectionFacts, trusted: boolean, proxied: boolean): Visitor {
  const userAgent = connection.userAgent?.slice(0, MAX_USER_AGENT_LENGTH) || null;
  if (!proxied) return trusted ? { ip: null, userAgent: null } : { ip: connection.connectionIp, userAgent };
  const forwarded = forwardedFor(connection.forwardedFor);
  if (forwarded === null) {
    throw new ApiError(400, 'validation_error', 'The first X-Forwarded-For entry is not an IP address', [
      { field: 'X-Forwarded-For', message: 'must start with the visitor’s IP address' },
    ]);
  }
  return { ip: forwarded ?? connection.connectionIp, userAgent };
}
