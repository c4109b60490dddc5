import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from '../ingest/geo/nonPublic.js';
import { outboundAllowList, type OutboundAllowList } from './allowList.js';
import { OutboundRefused, type Outbound, type OutboundRequest, type OutboundResponse } from './outbound.js';

/**
 * The Outbound contract on node:http and node:https, with no dependency. Each hop: the URL is
 * parsed (http or https, no credentials), the host resolved once, every address it resolves to
 * checked (one private address among public ones refuses the lot: an attacker controls the order),
 * and the socket connected to the checked address only, through a `lookup` that returns it, so a
 * DNS answer that changes between check and connect (rebinding) cannot redirect the request.
 * Redirects are followed by hand, each hop checked the same way.
 */

export interface NodeOutboundOptions {
  /** Entries of MYTHIC_OUTBOUND_ALLOW: addresses, CIDR ranges, host names allowed though not public. */
  allow?: readonly string[];
  /** Resolves a host name to its addresses (tests may replace DNS); default: dns.lookup, all addresses. */
  resolve?: (hostname: string) => Promise<string[]>;
}

interface Target {
  url: URL;
  hostname: string;
  /** Every address the host resolved to, each checked: the connection tries them (happy eyeballs). */
  addresses: { address: string; family: 4 | 6 }[];
}

const defaultResolve = async (hostname: string): Promise<string[]> =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

const refusedUrl = (message: string): OutboundRefused => new OutboundRefused('bad_url', message);

function parseUrl(text: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw refusedUrl(`'${text.slice(0, 200)}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refusedUrl(`Only http and https URLs can be requested, not ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw refusedUrl('URLs with credentials (user:password@) are not accepted');
  if (url.hostname === '') throw refusedUrl('The URL has no host');
  return url;
}

async function vet(url: URL, allow: OutboundAllowList, resolve: (hostname: string) => Promise<string[]>): Promise<Target> {
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (isIP(hostname) !== 0) addresses = [hostname];
  else {
    try {
      addresses = await resolve(hostname);
    } catch {
      throw new OutboundRefused('dns_failure', `The host '${hostname}' could not be resolved`);
    }
    if (addresses.length === 0) throw new OutboundRefused('dns_failure', `The host '${hostname}' has no address`);
  }
  const hostAllowed = allow.allowsHost(hostname);
  for (const address of addresses) {
    if (!hostAllowed && !allow.allowsAddress(address) && !isPublicAddress(address)) {
      throw new OutboundRefused(
        'private_address',
        // No address in the text: it reaches the caller (an uptime check's last_error, read with a
        // client's sk_), and what this server's DNS resolves a name to would map its private network.
        `The destination's address is not public (loopback, private, link-local or otherwise non-public), and this server does not contact it (an operator may allow it with MYTHIC_OUTBOUND_ALLOW)`,
      );
    }
  }
  return { url, hostname, addresses: addresses.map((address) => ({ address, family: isIP(address) === 6 ? 6 : 4 })) };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

interface Hop {
  method: OutboundRequest['method'];
  headers: Record<string, string>;
  body: string | undefined;
}

/** Reads at most `limit` bytes of the body, then closes the response (the rest is never read). */
function readBody(response: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    const finish = (): void => resolve(Buffer.concat(chunks).toString('utf8'));
    response.on('data', (chunk: Buffer) => {
      const room = limit - kept;
      if (room > 0) {
        const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
        chunks.push(piece);
        kept += piece.length;
      }
      if (kept >= limit) {
        response.removeAllListeners('data');
        finish();
        response.destroy();
      }
    });
    response.on('end', finish);
    response.on('error', reject);
    response.on('aborted', () => reject(new Error('The connection closed before the whole answer arrived')));
  });
}

function send(target: Target, hop: Hop, signal: AbortSignal): Promise<IncomingMessage> {
  // Every connection goes to the vetted address, whatever DNS says by now.
  const pinned: LookupFunction = (_hostname, options, callback) => {
    const first = target.addresses[0] as { address: string; family: 4 | 6 };
    if (options.all === true) callback(null, target.addresses);
    else callback(null, first.address, first.family);
  };
  const secure = target.url.protocol === 'https:';
  const headers: Record<string, string> = { 'user-agent': 'Mythic', ...hop.headers };
  if (hop.body !== undefined) headers['content-length'] = String(Buffer.byteLength(hop.body));
  const options = {
    method: hop.method,
    host: target.hostname,
    port: target.url.port === '' ? undefined : Number(target.url.port),
    path: `${target.url.pathname}${target.url.search}`,
    headers,
    lookup: pinned,
    agent: false as const,
    signal,
    ...(secure && isIP(target.hostname) === 0 ? { servername: target.hostname } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(options, resolve);
    req.on('error', reject);
    req.end(hop.body);
  });
}

function describeFailure(error: unknown, timeoutMs: number, timedOut: boolean): Error {
  if (error instanceof OutboundRefused) return error;
  if (timedOut) return new Error(`No complete answer within ${timeoutMs} ms`);
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED') return new Error('The connection was refused');
  if (code === 'ECONNRESET') return new Error('The connection was reset');
  if (typeof code === 'string' && /CERT|TLS|SSL/.test(code)) return new Error(`TLS failure: ${message}`);
  return new Error(message);
}

/** An Outbound that refuses non-public addresses unless `allow` lists them. */
export function createOutbound(options: NodeOutboundOptions = {}): Outbound {
  const allow = outboundAllowList(options.allow ?? []);
  const resolve = options.resolve ?? defaultResolve;
  return async (request) => {
    const started = performance.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, request.timeoutMs);
    try {
      let url = parseUrl(request.url);
      let hop: Hop = { method: request.method, headers: { ...request.headers }, body: request.body };
      for (let redirects = 0; ; redirects += 1) {
        // A resolver that never answers is cut by the same overall timeout.
        const target = await untilAborted(vet(url, allow, resolve), controller.signal);
        const response = await send(target, hop, controller.signal);
        const location = response.headers.location;
        if (REDIRECTS.has(response.statusCode ?? 0) && typeof location === 'string' && request.maxRedirects > 0) {
          response.destroy();
          if (redirects >= request.maxRedirects) {
            throw new OutboundRefused('too_many_redirects', `More than ${request.maxRedirects} redirects`);
          }
          const next = parseUrl(location, url);
          const status = response.statusCode ?? 0;
          if (status === 303 || ((status === 301 || status === 302) && hop.method === 'POST')) {
            hop = { method: 'GET', headers: withoutBodyHeaders(hop.headers), body: undefined };
          }
          // Credentials the caller set for one origin are not handed to another.
          if (next.origin !== url.origin) hop = { ...hop, headers: withoutCredentials(hop.headers) };
          url = next;
          continue;
        }
        const body = await readBody(response, request.maxBodyBytes);
        const answer: OutboundResponse = {
          status: response.statusCode ?? 0,
          headers: response.headers,
          body,
          durationMs: Math.round(performance.now() - started),
          finalUrl: url.href,
        };
        return answer;
      }
    } catch (error) {
      throw describeFailure(error, request.timeoutMs, timedOut);
    } finally {
      clearTimeout(timer);
    }
  };
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(new Error('aborted'));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

const dropHeaders = (headers: Record<string, string>, names: string[]): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name.toLowerCase())));

const withoutBodyHeaders = (headers: Record<string, string>): Record<string, string> => dropHeaders(headers, ['content-type', 'content-length']);

const withoutCredentials = (headers: Record<string, string>): Record<string, string> => dropHeaders(headers, ['authorization', 'cookie']);
