/**
 * Every request this server makes to an address a user gave it (webhook deliveries, uptime
 * checks) goes through one function that refuses loopback, private, link-local and metadata
 * addresses, checked after DNS resolution and on every redirect hop, unless the operator allows
 * them (MYTHIC_OUTBOUND_ALLOW).
 */
export interface OutboundRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** The whole exchange, connection to last byte read, including redirects. */
  timeoutMs: number;
  /** Redirects followed (each hop checked); 0: a 3xx is the answer. */
  maxRedirects: number;
  /** Bytes of the body kept (the rest is read and dropped, or the connection closed). */
  maxBodyBytes: number;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The first maxBodyBytes of the body, as UTF-8 text. */
  body: string;
  durationMs: number;
  /** The URL that answered, after redirects. */
  finalUrl: string;
}

export type OutboundRefusal = 'bad_url' | 'private_address' | 'dns_failure' | 'too_many_redirects';

/** The request was not made (or a redirect hop not followed): the reason is safe to show to the user. */
export class OutboundRefused extends Error {
  constructor(
    readonly reason: OutboundRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

/**
 * Makes one request. Rejects with OutboundRefused for a refused address, and with an Error whose
 * message says what happened for a timeout, a refused connection or a TLS failure.
 */
export type Outbound = (request: OutboundRequest) => Promise<OutboundResponse>;
