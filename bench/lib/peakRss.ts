/**
 * Peak resident memory, as the benches report it. The process's own peak (getrusage) covers its
 * whole life, loading included; `withPeakRss` samples the resident set during one piece of work,
 * so each run or phase reports its own.
 */

const mb = (bytes: number): number => bytes / 1024 / 1024;

/** Peak resident set size of this process so far, in MB (getrusage's maxrss, in KB on Linux). */
export const peakRssMb = (): number => process.resourceUsage().maxRSS / 1024;

/** Runs `work` while sampling the process's RSS every `intervalMs`: the peak seen during it, in MB. */
export async function withPeakRss<T>(work: () => Promise<T>, intervalMs = 50): Promise<{ result: T; peakRssMb: number }> {
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakRssMb: mb(peak) };
  } finally {
    clearInterval(sampler);
  }
}
