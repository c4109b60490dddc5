import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { limitedAddress } from '../ingest/ip.js';
import { ApiError } from './apiError.js';
import { lingerBeforeClosing } from './lingeringClose.js';

/**
 * How many bytes of request bodies may be arriving at once: in all, and from one address. Timeouts
 * bound how long a slow upload is held, not how many are held together: 500 connections each
 * sending most of a 1 MiB /e body and then a byte now and then took the server from 185 to
 * 651 MiB of RSS even with every one of them cut at the request timeout. A request whose body does
 * not fit is refused from its headers (503 with Retry-After, the connection closed), so the memory
 * held by bodies in flight stays under the total however many connections are open, and one
 * address (which needs no key to announce a body) cannot take the whole total and refuse everyone
 * else. Every request counts, whatever its route: an OPTIONS with a body, or a POST to no route,
 * is read as well. Ordinary traffic is far below both bounds: a browser's /e body is a few KiB;
 * the ingest benchmark's 100 concurrent batches of 100 events from one address hold about 3 MiB.
 */
export interface BodyBudgetLimits {
  /** Bytes of bodies arriving at once, from everyone. */
  totalBytes: number;
  /** Bytes of bodies arriving at once from one address (an IPv6 /64; the visitor's, behind a trusted proxy). */
  perAddressBytes: number;
  /** The body limit: what a body without a Content-Length may grow to, so what it reserves. */
  maxBodyBytes: number;
}

export const DEFAULT_BODY_BUDGET = { totalBytes: 64 * 1024 * 1024, perAddressBytes: 8 * 1024 * 1024 } as const;

/** Seconds a refused sender is told to wait: slow uploads are cut within the request timeout. */
const RETRY_AFTER_SECONDS = 1;

export class BodyBudget {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly limits: BodyBudgetLimits) {}

  /** Bytes reserved now, in all. */
  get reserved(): number {
    return this.total;
  }

  /**
   * Reserves room for the body the request announces, given back when its answer is finished or
   * its connection is gone; throws a 503 when there is none. A request without a body reserves
   * nothing.
   */
  reserve(request: FastifyRequest, reply: FastifyReply): void {
    const bytes = announcedBytes(request, this.limits.maxBodyBytes);
    if (bytes === 0) return;
    const address = limitedAddress(request.ip);
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (this.total + bytes > this.limits.totalBytes || fromAddress + bytes > this.limits.perAddressBytes) {
      lingerBeforeClosing(request.raw.socket);
      throw new ApiError(503, 'overloaded', `Too many request bodies are arriving at once; retry in ${RETRY_AFTER_SECONDS} s`, undefined, {
        'retry-after': String(RETRY_AFTER_SECONDS),
        // The body is never read: close (lingering, so the answer arrives) rather than take it in only to throw it away.
        connection: 'close',
      });
    }
    this.total += bytes;
    this.byAddress.set(address, fromAddress + bytes);
    // 'close' comes once per response, after it is sent or when the connection is cut first.
    reply.raw.once('close', () => {
      this.total -= bytes;
      const left = (this.byAddress.get(address) ?? bytes) - bytes;
      if (left > 0) this.byAddress.set(address, left);
      else this.byAddress.delete(address);
    });
  }
}

/** Installs the budget in front of every route, 404s included. */
export function installBodyBudget(app: FastifyInstance, limits: BodyBudgetLimits): BodyBudget {
  const budget = new BodyBudget(limits);
  app.addHook('onRequest', async (request, reply) => budget.reserve(request, reply));
  return budget;
}

/** The body a request announces, at most the body limit; a chunked body may be up to the limit. */
function announcedBytes(request: FastifyRequest, maxBodyBytes: number): number {
  if (request.headers['transfer-encoding'] !== undefined) return maxBodyBytes;
  const declared = Number(request.headers['content-length'] ?? 0);
  return Number.isFinite(declared) && declared > 0 ? Math.min(declared, maxBodyBytes) : 0;
}
