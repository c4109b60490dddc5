import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken } from '../http/bearer.js';
import { lingerBeforeClosing } from '../http/lingeringClose.js';
import { queryCredential } from '../http/queryCredential.js';
import type { EventSink } from '../pipeline/eventSink.js';
import { requestingHost } from './origin.js';
import type { AddressCharge, IngestService } from './service.js';

/**
 * What ingestion decides before it reads a body, and how every failure is charged. A body costs
 * memory and time while it arrives (slow uploads held hundreds of MiB), so a request whose address
 * is over its limit, whose key (given in the URL or the Authorization header) is unknown or
 * inactive, or that meets a full write queue, is answered from its headers alone. And every
 * request is charged to one address however it ends: one claiming to come from the client's proxy
 * is charged to its connection when it fails before that claim is verified, so a made-up
 * X-Mythic-Proxy-Key does not exempt undecodable bodies from the per-address limit.
 */

/** Sent by a client's first-party proxy, which may then forward the visitor's address and user agent. */
export const PROXY_KEY_HEADER = 'x-mythic-proxy-key';

/** A header as one string: Node joins most repeated headers itself; the rest are joined here. */
export const singleHeader = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(', ') : value);

/** Routes whose key travels in the URL (`?key=`): only a publishable key is accepted there. */
const URL_KEY_ROUTES = new Set(['/e']);

/** The key a request carries outside its body, and whether only a publishable one may be used. */
export function keyOutsideBody(request: FastifyRequest): { key: string | undefined; publishableOnly: boolean } {
  if (URL_KEY_ROUTES.has(request.routeOptions.url ?? '')) {
    return { key: queryCredential(request, 'key'), publishableOnly: true };
  }
  return { key: bearerToken(request.headers.authorization), publishableOnly: false };
}

const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/** Charges not yet settled, by request: read by the error handler below. */
const charges = new WeakMap<FastifyRequest, AddressCharge>();

/** The request's open charge, for the service to settle once a proxy claim is verified. */
export const chargeOf = (request: FastifyRequest): AddressCharge | undefined => charges.get(request);

/** What ingestion knows of a request besides its key and body: where it comes from, and through whom. */
export const requestFacts = (request: FastifyRequest) => ({
  originHost: requestingHost(request.headers),
  connectionIp: request.ip,
  forwardedFor: singleHeader(request.headers['x-forwarded-for']),
  userAgent: request.headers['user-agent'],
  proxyKey: singleHeader(request.headers[PROXY_KEY_HEADER]),
  charge: chargeOf(request),
});

export interface IngestGateOptions {
  service: IngestService;
  sink: EventSink;
  /** Runs first on every request (CORS headers), so that refusals stay readable by the page. */
  before: (request: FastifyRequest, reply: FastifyReply) => void;
  /** The sink's refusals (a full queue) as the errors to answer. */
  refusal: (error: unknown) => unknown;
}

/**
 * Installs the gate on the ingestion context: an onRequest hook for POSTs, and an error handler
 * that charges a failed request before handing its error to the app's handler.
 */
export function installIngestGate(app: FastifyInstance, { service, sink, before, refusal }: IngestGateOptions): void {
  app.addHook('onRequest', async (request, reply) => {
    before(request, reply);
    // Preflights are answered from their headers alone and carry nothing to store.
    if (request.method === 'OPTIONS') return;
    try {
      charges.set(request, service.admit(request.ip, singleHeader(request.headers[PROXY_KEY_HEADER])));
      if (request.method !== 'POST') return;
      const { key, publishableOnly } = keyOutsideBody(request);
      await service.screenKey(key, publishableOnly);
      // A full queue refuses before the body is read: parsing events only to refuse them would
      // spend the very CPU the queue is waiting for.
      sink.assertCapacity();
    } catch (error) {
      // The body, if one is coming, is never read: the connection closes after the answer
      // (lingering, so that the answer arrives) rather than take it in only to throw it away.
      if (hasBody(request)) {
        reply.header('connection', 'close');
        lingerBeforeClosing(request.raw.socket);
      }
      throw refusal(error);
    }
  });

  const appHandler = app.errorHandler;
  app.setErrorHandler(function chargeThenAnswer(this: FastifyInstance, error: FastifyError, request, reply) {
    const answered = service.chargeFailure(charges.get(request), request.ip, error) as FastifyError;
    return appHandler.call(this, answered, request, reply);
  });
}
