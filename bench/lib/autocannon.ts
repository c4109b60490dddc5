import autocannon from 'autocannon';

/** One HTTP request of the sequence each connection cycles through. */
export interface LoadRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  /** Origin only, e.g. http://127.0.0.1:40123; paths come from `requests`. */
  url: string;
  requests: LoadRequest[];
  durationSec: number;
  connections: number;
  workers: number;
  /** Requests per second across all connections (a fixed rate, for latency at a given load); unset: as fast as possible. */
  overallRate?: number;
}

/** The few numbers the reports use, plus what is needed to tell a valid run from a broken one. */
export interface LoadResult {
  /** Mean of autocannon's per-second samples of completed requests. */
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  totalRequests: number;
  non2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  /** Completed responses by status code, to say which codes came back when some were not 2xx. */
  statusCounts: Record<string, number>;
}

/** Runs autocannon once against `url`, silently (no progress bar), and keeps the numbers we report. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    duration: options.durationSec,
    connections: options.connections,
    // 0 means "no workers": pass undefined so autocannon takes its single-threaded path.
    workers: options.workers > 0 ? options.workers : undefined,
    ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
    // Plain data only: in worker mode the options are cloned into the worker thread.
    requests: options.requests.map((r) => ({ method: r.method ?? 'GET', path: r.path, headers: r.headers, body: r.body })),
  });
  const statusCounts: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = stat.count ?? 0;
  return {
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    totalRequests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCounts,
  };
}

/**
 * A benchmark of failing requests measures the error path, not the route: any response other
 * than `expectedStatus`, or any connection error, invalidates the run.
 */
export function assertAllOk(label: string, result: LoadResult, expectedStatus = 200): void {
  const unexpected = Object.entries(result.statusCounts).filter(([code, count]) => code !== String(expectedStatus) && count > 0);
  // autocannon counts a 302 as non-2xx: only a 2xx expectation makes non-2xx answers wrong by themselves.
  const wrongClass = expectedStatus < 300 && result.non2xx > 0;
  if (wrongClass || result.errors > 0 || result.timeouts > 0 || unexpected.length > 0 || result.totalRequests === 0) {
    throw new Error(
      `${label}: invalid run: ${result.totalRequests} requests, ${result.non2xx} non-2xx, ${result.errors} errors, ` +
        `${result.timeouts} timeouts, status codes ${JSON.stringify(result.statusCounts)} (expected only ${expectedStatus})`,
    );
  }
}
