/**
 * Settings shared by every benchmark, read once from the environment so that a run can be made
 * longer (more stable numbers) or shorter (a smoke check) without editing code.
 */
export interface BenchConfig {
  /** Seconds of each measured run. */
  durationSec: number;
  /** Seconds of the discarded run before each measured one (JIT, caches, connection setup). */
  warmupSec: number;
  /** Concurrent keep-alive connections autocannon keeps open. */
  connections: number;
  /** How many times each target is measured; targets alternate so drift hits both alike. */
  rounds: number;
  /**
   * Worker threads autocannon fires requests from. 1 (default) keeps the load generator off the
   * server's event loop, so the server gets a core to itself on a 2-core machine; 0 runs it on
   * the main thread, where the generator's own cost flattens every ratio towards 1.
   */
  workers: number;
}

function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got '${raw}'`);
  }
  return value;
}

export function readConfig(): BenchConfig {
  return {
    durationSec: intFromEnv('BENCH_DURATION', 10, 1),
    warmupSec: intFromEnv('BENCH_WARMUP', 2, 0),
    connections: intFromEnv('BENCH_CONNECTIONS', 10, 1),
    rounds: intFromEnv('BENCH_ROUNDS', 2, 1),
    workers: intFromEnv('BENCH_WORKERS', 1, 0),
  };
}

export function describeConfig(config: BenchConfig): string {
  return (
    `duration ${config.durationSec}s, warm-up ${config.warmupSec}s, ${config.connections} connections, ` +
    `${config.rounds} rounds, load generator ${config.workers === 0 ? 'on the main thread' : `in ${config.workers} worker thread(s)`}`
  );
}
