/**
 * One uptime check: a GET of the link's destination through the outbound guard, so a monitor can
 * never be pointed at this server's own network (loopback, private ranges, cloud metadata), on the
 * first request or on any of its redirects. Up is any 2xx or 3xx answer within the timeout; the
 * body is barely read (the status line is the answer). A check never throws: whatever happened
 * becomes a failed check with a reason the link's owner can read.
 */
import { OutboundRefused, type Outbound } from '../outbound/outbound.js';

export const CHECK_MAX_REDIRECTS = 5;
/** Bytes of the answer read: a check needs the status, not the page. */
const CHECK_BODY_BYTES = 1024;
/** Stored errors are for reading in a status answer, not a log: long messages are cut. */
const MAX_ERROR_LENGTH = 300;

export interface CheckOutcome {
  ok: boolean;
  status_code: number | null;
  response_ms: number | null;
  error: string | null;
}

export async function checkDestination(outbound: Outbound, url: string, timeoutMs: number): Promise<CheckOutcome> {
  const started = performance.now();
  try {
    const answer = await outbound({
      method: 'GET',
      url,
      headers: { 'user-agent': 'Mythic-Uptime/1 (+link monitoring)', accept: '*/*' },
      timeoutMs,
      maxRedirects: CHECK_MAX_REDIRECTS,
      maxBodyBytes: CHECK_BODY_BYTES,
    });
    const ok = answer.status >= 200 && answer.status < 400;
    return {
      ok,
      status_code: answer.status,
      response_ms: Math.round(answer.durationMs),
      error: ok ? null : `HTTP ${answer.status}`,
    };
  } catch (error) {
    const message = error instanceof OutboundRefused
      ? `refused (${error.reason}): ${error.message}`
      : error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      status_code: null,
      response_ms: Math.round(performance.now() - started),
      error: message.slice(0, MAX_ERROR_LENGTH) || 'request failed',
    };
  }
}
