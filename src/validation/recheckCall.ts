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

/** The recheck that judges here: a verdict names it (safeRegex.ts's REGEX_JUDGING). */
export const RECHECK_VERSION = (createRequire(import.meta.url)('recheck/package.json') as { version: string }).version;

/**
 * How long past its own timeout recheck's agent may take to answer before it is taken for stuck:
 * the agent answers a cancel within 0.2 s, and a timeout on the dot, on a busy machine.
 */
const AGENT_GRACE_MS = 3000;

/** How long starting an agent may take (about 20 ms here) before the start is given up. */
const AGENT_START_MS = 10_000;

/**
 * One recheck analysis, settled by the first of: its answer, `signal`, or its timeout plus a grace.
 *
 * recheck runs its analyses in a native agent process and answers by message. If that process dies
 * or hangs, recheck 4.5.0 never settles the call, and keeps the dead agent for every later one. So
 * a call is never awaited alone, and an agent that has not answered by the call's timeout plus a
 * grace is killed and forgotten, for recheck to start a new one. That watch goes on after the
 * caller has given up (its budget spent): otherwise callers with short budgets would never see a
 * hung agent through.
 */
export async function callRecheck(call: RecheckCall, signal?: AbortSignal): Promise<RecheckOutcome> {
  if (signal?.aborted) return { kind: 'aborted' };
  const controller = new AbortController();
  let watchdog: NodeJS.Timeout | undefined;
  let giveUp!: () => void;
  const aborted = new Promise<RecheckOutcome>((resolve) => {
    giveUp = () => {
      // The watchdog goes on, but holds the process only while someone waits for this call.
      watchdog?.unref();
      // recheck gets a controller of its own per call: it adds a listener to the signal it is
      // given and never removes it, which on a request's signal would pile up.
      controller.abort();
      resolve({ kind: 'aborted' });
    };
  });
  signal?.addEventListener('abort', giveUp, { once: true });
  try {
    if ((await Promise.race([agentStarted().then(() => null), aborted])) !== null) return { kind: 'aborted' };
    // A start still going: calling now would make recheck start a second agent beside the first.
    if (!backendSettled()) return { kind: 'failed', problem: `recheck's agent did not start within ${AGENT_START_MS} ms` };
    const agent = currentAgent();
    let settle!: (outcome: RecheckOutcome) => void;
    const stuck = new Promise<RecheckOutcome>((resolve) => (settle = resolve));
    // Runs on after the caller gives up, until the agent answers (a cancel, then) or is killed.
    watchdog = setTimeout(() => {
      // Aborting makes recheck terminate the worker of its in-process fallback, if that is in use.
      controller.abort();
      killAgent(agent);
      settle({ kind: 'failed', problem: `recheck's agent did not answer within ${call.timeoutMs + AGENT_GRACE_MS} ms; it was restarted` });
    }, call.timeoutMs + AGENT_GRACE_MS);
    const answered = check(call.source, '', { checker: call.checker, timeout: call.timeoutMs, randomSeed: call.randomSeed, signal: controller.signal })
      .then(
        (diagnostics): RecheckOutcome => ({ kind: 'diagnostics', diagnostics }),
        (error: unknown): RecheckOutcome => ({ kind: 'failed', problem: `recheck failed: ${error instanceof Error ? error.message : String(error)}` }),
      )
      .finally(() => clearTimeout(watchdog));
    return await Promise.race([answered, aborted, stuck]);
  } finally {
    signal?.removeEventListener('abort', giveUp);
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

function currentAgent(): RecheckAgent | undefined {
  return recheckInternals.__mock__?.agent ?? undefined;
}

/** Whether recheck has settled its backend: an agent, or null when it has none (it then uses workers). */
function backendSettled(): boolean {
  return recheckInternals.__mock__?.agent !== undefined;
}

/** The start of an agent in progress, until recheck stores one or gives up: never two at once. */
let starting: Promise<void> | undefined;

/** Told when recheck stores its backend during a start. */
let onStored: (() => void) | undefined;

/**
 * Every agent recheck stores is watched the moment it is stored, whoever started it: recheck's
 * `agent` field becomes an accessor.
 */
function watchStoredAgents(): void {
  const backend = recheckInternals.__mock__;
  if (backend === undefined) return;
  let current = backend.agent;
  Object.defineProperty(backend, 'agent', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (next: RecheckAgent | null | undefined) => {
      current = next;
      if (next) watchAgent(next);
      if (next !== undefined) onStored?.();
    },
  });
}
watchStoredAgents();

/**
 * Resolves once recheck has its backend (an agent, or null when it falls back to workers), its
 * start failed, or this caller waited {@link AGENT_START_MS}. recheck starts an agent inside a
 * call; a call given up during that start would leave the next to start another, so the start is
 * made here, by one shared call that no request's budget cuts short, and kept until it ends.
 */
async function agentStarted(): Promise<void> {
  if (backendSettled()) return;
  starting ??= new Promise<void>((resolve) => {
    onStored = resolve;
    // The warm-up call has a watchdog too: an agent that never answers it is killed.
    const warmup = setTimeout(() => killAgent(currentAgent()), AGENT_START_MS + AGENT_GRACE_MS);
    warmup.unref();
    void check('a', '', { checker: 'automaton', timeout: AGENT_START_MS })
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(warmup);
        resolve();
      });
  }).finally(() => {
    starting = undefined;
    onStored = undefined;
  });
  let waited: NodeJS.Timeout | undefined;
  try {
    await Promise.race([starting, new Promise<void>((resolve) => (waited = setTimeout(resolve, AGENT_START_MS)))]);
  } finally {
    clearTimeout(waited);
  }
}

/** Agents already watched. */
const watched = new WeakSet<RecheckAgent>();

/**
 * Forgets the agent when its process exits, so that the next call starts a new one, and swallows
 * the errors of writing to it once dead (EPIPE): recheck listens for neither, and an unheard
 * `'error'` event would end the server.
 */
function watchAgent(agent: RecheckAgent): void {
  const backend = recheckInternals.__mock__;
  if (backend === undefined || watched.has(agent)) return;
  watched.add(agent);
  const ignore = (): void => undefined;
  agent.child?.on('error', ignore);
  agent.child?.stdin?.on('error', ignore);
  agent.child?.once('exit', () => {
    if (backend.agent === agent) backend.agent = undefined;
  });
}

/** Kills an agent (SIGKILL: a stopped process ignores SIGTERM until continued) and forgets it if current. */
function killAgent(agent: RecheckAgent | undefined): void {
  const backend = recheckInternals.__mock__;
  if (agent === undefined || backend === undefined) return;
  try {
    agent.child?.kill('SIGKILL');
  } catch {
    // Already gone.
  }
  try {
    agent.kill();
  } catch {
    // Already gone.
  }
  if (backend.agent === agent) backend.agent = undefined;
}

/** The agent's process id, while one runs (for tests that take it down as a crash would). */
export function agentProcessId(): number | undefined {
  return currentAgent()?.child?.pid;
}
