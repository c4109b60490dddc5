import { assertAllOk, runLoad, type LoadRequest, type LoadResult } from './autocannon.js';
import type { BenchConfig } from './config.js';

/** Something to measure: an origin and the request sequence each connection cycles through. */
export interface Target {
  label: string;
  origin: string;
  requests: LoadRequest[];
  /** Response body size seen in the preflight, for the report. */
  bodyBytes: number;
  /** The status every answer must have (default 200); a redirect benchmark expects 302. */
  expectedStatus?: number;
}

export interface Measured {
  target: Target;
  runs: LoadResult[];
  /** The run with the highest req/s; its p99 is reported with it (same run, not mixed). */
  best: LoadResult;
  meanReqPerSec: number;
}

const log = (line: string): void => {
  process.stderr.write(`  ${line}\n`);
};

async function measureOnce(target: Target, config: BenchConfig, durationSec: number, phase: string): Promise<LoadResult> {
  const result = await runLoad({
    url: target.origin,
    requests: target.requests,
    durationSec,
    connections: config.connections,
    workers: config.workers,
  });
  // Warm-ups are checked too: a warm-up full of 401s would mean the measured run is wrong as well.
  assertAllOk(`${target.label} (${phase})`, result, target.expectedStatus);
  log(`${target.label} ${phase}: ${result.reqPerSec.toFixed(0)} req/s, p99 ${result.p99Ms} ms, ${result.totalRequests} requests`);
  return result;
}

/**
 * Measures the targets in turn, round after round (A, B, A, B, ...), each measured run preceded
 * by its own discarded warm-up. Alternating spreads slow drift of the machine (thermal, other
 * processes) over all targets instead of charging it to whichever ran last.
 */
export async function measureAlternately(targets: Target[], config: BenchConfig): Promise<Measured[]> {
  const runs = new Map<Target, LoadResult[]>(targets.map((t) => [t, []]));
  for (let round = 1; round <= config.rounds; round++) {
    for (const target of targets) {
      if (config.warmupSec > 0) await measureOnce(target, config, config.warmupSec, `warm-up ${round}`);
      runs.get(target)?.push(await measureOnce(target, config, config.durationSec, `run ${round}/${config.rounds}`));
    }
  }
  return targets.map((target) => {
    const results = runs.get(target) ?? [];
    const best = results.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
    const meanReqPerSec = results.reduce((sum, r) => sum + r.reqPerSec, 0) / results.length;
    return { target, runs: results, best, meanReqPerSec };
  });
}
