import { STATUS_CODES, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

/**
 * How long a connection may take to send a request, and stay open idle between requests. Without
 * these, 500 connections each sending 1 MiB of an /e body and then a byte every 5 s took the
 * server from 211 to 717 MiB of RSS and none was ever cut: Fastify sets no request timeout
 * (Node's 300 s default is replaced by 0) and keeps idle connections for 72 s.
 *
 * Node enforces the header and request timeouts on a timer (`connectionsCheckingInterval`,
 * 30 s by default), so a slow request is cut up to that much past its timeout; the interval is
 * derived here from the shortest timeout, so the cut comes at most a second late. The keep-alive
 * timeout is a socket timeout armed after each answer, exact. There is deliberately no socket
 * inactivity timeout (Fastify's `connectionTimeout`): it would also cut a connection waiting for
 * a long report while the server computes it.
 */
export interface HttpTimeouts {
  /** The whole request, headers and body, must arrive within this (ms); else 408, and closed. */
  requestMs: number;
  /** The headers must arrive within this (ms); at most `requestMs`. */
  headersMs: number;
  /** An idle connection between requests is closed after this (ms). */
  keepAliveMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { requestMs: 30_000, headersMs: 10_000, keepAliveMs: 5_000 };

/** How often Node looks for requests past their timeout: a quarter of the shortest, 100 ms to 1 s. */
export const checkingIntervalMs = (timeouts: HttpTimeouts): number =>
  Math.max(100, Math.min(1_000, Math.floor(Math.min(timeouts.requestMs, timeouts.headersMs) / 4)));

type ClientError = Error & { code?: string };

const answers: Record<string, { status: number; code: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', message: 'The request was not received in time' },
  HPE_HEADER_OVERFLOW: { status: 431, code: 'validation_error', message: 'The request headers are too large' },
};

/**
 * Errors of a connection that Fastify never sees as a request (a timeout, a malformed request
 * line): answered in the one error envelope where an answer can still be sent, that is when no
 * answer has begun on the connection (an early refusal whose body kept coming must not get a
 * second, stray one), then closed.
 */
export function answerClientError(this: FastifyInstance, error: ClientError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // As Fastify's own handler does: mostly network noise, so only at trace (the error serializer
  // leaves out the raw bytes Node attaches, which may hold an Authorization header).
  this.log.trace({ err: error }, 'client error');
  const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (socket.writable && pending?.headersSent !== true) {
    const known = answers[error.code ?? ''] ?? { status: 400, code: 'validation_error', message: 'The request is not valid HTTP' };
    const body = JSON.stringify({ success: false, data: null, error: known.message, code: known.code });
    socket.write(
      `HTTP/1.1 ${known.status} ${STATUS_CODES[known.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** The Fastify (and through it Node http.Server) options that set the timeouts. */
export function timeoutServerOptions(timeouts: HttpTimeouts): Pick<FastifyServerOptions, 'requestTimeout' | 'keepAliveTimeout' | 'clientErrorHandler'> & {
  http: ServerOptions;
} {
  return {
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      requestTimeout: timeouts.requestMs,
      headersTimeout: timeouts.headersMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      connectionsCheckingInterval: checkingIntervalMs(timeouts),
    },
    clientErrorHandler: answerClientError,
  };
}
