import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { check, type Diagnostics } from 'recheck';

/** What one call to recheck came to: its diagnostics, or why there are none. */
export type RecheckOutcome =
  | { readonly kind: 'diagnostics'; readonly diagnostics: Diagnostics }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'failed'; readonly problem: string };

export interface RecheckCall {
  readonly source: string;
  readonly checker: 'automaton' | 'fuzz';
  /** recheck's own bound: past it, it answers "unknown" (timeout). */
  readonly timeoutMs: number;
  readonly randomSeed: number;
}

/**
 * How long past its own timeout recheck's agent may take to answer before it is taken for stuck:
 * the agent answers a cancel within 0.2 s, and a timeout on the dot, on a busy machine.
 */
const AGENT_GRACE_MS = 3000;

/**
 * One recheck analysis, settled by the first of: its answer, `signal`, or its timeout plus a grace.
 *
 * recheck runs its analyses in a native agent process and answers by message. If that process dies
 * or hangs, recheck 4.5.0 never settles the call, and keeps the dead agent for every later one. So
 * a call is never awaited alone, and an agent that misses its grace is killed and forgotten, for
 * recheck to start a new one on the next call.
 */
export async function callRecheck(call: RecheckCall, signal?: AbortSignal): Promise<RecheckOutcome> {
  // A controller of its own per call: recheck adds a listener to the signal it is given and never
  // removes it, which on a request's signal would pile up (and fire cancels for long-done calls).
  const controller = new AbortController();
  const cancel = (): void => controller.abort();
  signal?.addEventListener('abort', cancel, { once: true });
  if (signal?.aborted) cancel();
  let graceTimer: NodeJS.Timeout | undefined;
  watchAgent();
  try {
    const answered = check(call.source, '', { checker: call.checker, timeout: call.timeoutMs, randomSeed: call.randomSeed, signal: controller.signal }).then(
      (diagnostics): RecheckOutcome => ({ kind: 'diagnostics', diagnostics }),
      (error: unknown): RecheckOutcome => ({ kind: 'failed', problem: `recheck failed: ${error instanceof Error ? error.message : String(error)}` }),
    );
    const aborted = new Promise<RecheckOutcome>((resolve) => {
      if (controller.signal.aborted) resolve({ kind: 'aborted' });
      else controller.signal.addEventListener('abort', () => resolve({ kind: 'aborted' }), { once: true });
    });
    const stuck = new Promise<RecheckOutcome>((resolve) => {
      graceTimer = setTimeout(() => {
        forgetAgent();
        resolve({ kind: 'failed', problem: `recheck's agent did not answer within ${call.timeoutMs + AGENT_GRACE_MS} ms; it was restarted` });
      }, call.timeoutMs + AGENT_GRACE_MS);
    });
    return await Promise.race([answered, aborted, stuck]);
  } finally {
    clearTimeout(graceTimer);
    signal?.removeEventListener('abort', cancel);
  }
}

/** recheck's backend state (4.5.0, pinned): `agent` is started on the first call when undefined. */
interface RecheckBackend {
  agent?: RecheckAgent | null;
}

interface RecheckAgent {
  kill(): void;
  readonly child?: ChildProcess;
}

const recheckInternals = createRequire(import.meta.url)('recheck/lib/main') as { __mock__?: RecheckBackend };

/** Agents whose exit is watched, so that a crash is forgotten at once rather than after a grace. */
const watched = new WeakSet<RecheckAgent>();

/**
 * Forgets the agent when its process exits, so that the next call starts a new one. The calls it
 * was answering still wait for their grace: recheck gives no way to settle them.
 */
function watchAgent(): void {
  const backend = recheckInternals.__mock__;
  const agent = backend?.agent;
  if (!backend || !agent || watched.has(agent)) return;
  watched.add(agent);
  agent.child?.once('exit', () => {
    if (backend.agent === agent) backend.agent = undefined;
  });
}

/** Kills recheck's agent and lets the next call start a new one. */
export function forgetAgent(): void {
  const backend = recheckInternals.__mock__;
  if (backend === undefined) return;
  try {
    backend.agent?.kill();
  } catch {
    // Already gone: forgetting it is all that is left to do.
  }
  backend.agent = undefined;
}

/** The agent's process id, while one runs (for tests that take it down as a crash would). */
export function agentProcessId(): number | undefined {
  return recheckInternals.__mock__?.agent?.child?.pid;
}
