import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../http/apiError.js';

/**
 * How many bytes of ingestion bodies may be arriving at once, across all connections. Timeouts
 * bound how long a slow upload is held, not how many are held together: 500 connections each
 * sending most of a 1 MiB /e body and then a byte now and then took the server from 185 to
 * 651 MiB of RSS even with every one of them cut at the request timeout. A request whose body
 * does not fit is refused from its headers (503 with Retry-After, the connection closed), so the
 * memory held by bodies in flight stays under this bound however many connections are open.
 * Ordinary traffic is far below it: a browser's /e body is a few KiB, the ingest benchmark's
 * 100 concurrent batches of 100 events hold about 3 MiB.
 */
export const BODIES_IN_FLIGHT_BYTES = 64 * 1024 * 1024;

/** Seconds a refused sender is told to wait: slow uploads are cut within the request timeout. */
const RETRY_AFTER_SECONDS = 1;

export class BodyBudget {
  private inFlight = 0;

  constructor(
    private readonly maxBytes: number,
    /** What a body may be at most (the body limit): what one without a Content-Length reserves. */
    private readonly maxBodyBytes: number,
  ) {}

  /** Bytes reserved now, for tests and diagnostics. */
  get reserved(): number {
    return this.inFlight;
  }

  /**
   * Reserves room for the body the request announces, released when its answer is finished or its
   * connection is gone; throws a 503 when there is none. A request without a body reserves nothing.
   */
  reserve(request: FastifyRequest, reply: FastifyReply): void {
    const bytes = announcedBytes(request, this.maxBodyBytes);
    if (bytes === 0) return;
    if (this.inFlight + bytes > this.maxBytes) {
      throw new ApiError(
        503,
        'overloaded',
        `Too many request bodies are arriving at once; retry in ${RETRY_AFTER_SECONDS} s`,
        undefined,
        { 'retry-after': String(RETRY_AFTER_SECONDS) },
      );
    }
    this.inFlight += bytes;
    let released = false;
    // 'close' comes once per response, after it is sent or when the connection is cut first.
    reply.raw.once('close', () => {
      if (released) return;
      released = true;
      this.inFlight -= bytes;
    });
  }
}

/** The body a request announces, at most the body limit; a chunked body may be up to the limit. */
function announcedBytes(request: FastifyRequest, maxBodyBytes: number): number {
  if (request.headers['transfer-encoding'] !== undefined) return maxBodyBytes;
  const declared = Number(request.headers['content-length'] ?? 0);
  return Number.isFinite(declared) && declared > 0 ? Math.min(declared, maxBodyBytes) : 0;
}
