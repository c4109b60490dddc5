import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '../../src/config.js';

/** The repository root: the CLI runs from there, as `npm start` would. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Long enough for a cold tsx start on a slow CI machine; only reached when something is wrong. */
const START_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 60_000;

const LISTENING = /^Mythic \S+ listening on (http:\/\/127\.0\.0\.1:\d+) /m;

export interface CliOptions {
  /** MYTHIC_DATA_DIR. */
  dataDir: string;
  adminKey?: string;
  databaseUrl?: string;
  /** MYTHIC_LOG_LEVEL; `silent` unless given. */
  logLevel?: string;
  /** Extra command-line arguments after the command. */
  args?: string[];
  /** Environment entries applied last, overriding the ones above (e.g. PORT: 'abc'). */
  env?: Record<string, string>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  child: ChildProcess;
  /** Everything the server wrote to stdout so far. */
  stdout(): string;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves once the process has exited and its output streams are closed. */
  waitForExit(): Promise<Exit>;
}

/**
 * A server stopped with SIGTERM exits with code 0; the message shows what happened instead (a
 * signal, as when one arrives before the handler is installed, or a crash) and the output.
 */
export function assertCleanExit(exit: Exit): void {
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, describeOutput(exit.stdout, exit.stderr));
}

/** Children still alive; `stopAllServers` (in an `after` hook) kills them whatever the tests did. */
const live = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * The environment of a spawned CLI: the parent's, without any Mythic setting the developer may
 * have exported (so they cannot leak into the test), plus the settings of `options`.
 */
function cliEnv(options: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const setting of Object.values(SETTINGS)) delete env[setting.env];
  // Set by the test runner for its own children; the server is not one of its test files.
  delete env.NODE_TEST_CONTEXT;
  env.PORT = '0';
  env.HOST = '127.0.0.1';
  env.MYTHIC_DATA_DIR = options.dataDir;
  env.MYTHIC_LOG_LEVEL = options.logLevel ?? 'silent';
  if (options.adminKey !== undefined) env.MYTHIC_ADMIN_KEY = options.adminKey;
  if (options.databaseUrl !== undefined) env.MYTHIC_DATABASE_URL = options.databaseUrl;
  return { ...env, ...options.env };
}

interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
}

function spawnCli(command: string, options: CliOptions): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', command, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: cliEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  // 'close' rather than 'exit': by then everything the child wrote has been read.
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('error', (error) => {
      live.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  // Tests that never wait for the exit must not turn a later rejection into an unhandled one.
  exited.catch(() => undefined);
  return { child, stdout: () => out, stderr: () => err, exited };
}

function describeOutput(stdout: string, stderr: string): string {
  return `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
}

async function within<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts `mythic serve` as a real child process on a free port and resolves once it prints its
 * "listening" line. Fails with the captured output if the server exits or never gets there.
 */
export async function startServer(options: CliOptions): Promise<RunningServer> {
  const spawned = spawnCli('serve', options);
  const { child } = spawned;
  const listening = new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const match = LISTENING.exec(spawned.stdout());
      if (match?.[1] !== undefined) {
        child.stdout?.off('data', check);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    void spawned.exited.then(
      (exit) => reject(new Error(`the server exited (code ${exit.code}, signal ${exit.signal}) before listening\n${describeOutput(exit.stdout, exit.stderr)}`)),
      (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
    );
  });
  let baseUrl: string;
  try {
    baseUrl = await within(
      listening,
      START_TIMEOUT_MS,
      () => new Error(`the server did not report listening within ${START_TIMEOUT_MS} ms\n${describeOutput(spawned.stdout(), spawned.stderr())}`),
    );
  } catch (error) {
    child.kill('SIGKILL');
    await spawned.exited.catch(() => undefined);
    throw error;
  }
  return {
    baseUrl,
    child,
    stdout: spawned.stdout,
    stderr: spawned.stderr,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      child.kill(signal);
    },
    waitForExit: () =>
      within(
        spawned.exited,
        EXIT_TIMEOUT_MS,
        () => new Error(`the server did not exit within ${EXIT_TIMEOUT_MS} ms\n${describeOutput(spawned.stdout(), spawned.stderr())}`),
      ),
  };
}

/** Runs the CLI to completion (for starts that must fail) and returns its exit and output. */
export async function runCli(command: string, options: CliOptions): Promise<Exit> {
  const spawned = spawnCli(command, options);
  try {
    return await within(
      spawned.exited,
      EXIT_TIMEOUT_MS,
      () => new Error(`mythic ${command} did not exit within ${EXIT_TIMEOUT_MS} ms\n${describeOutput(spawned.stdout(), spawned.stderr())}`),
    );
  } finally {
    if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill('SIGKILL');
  }
}

/** Kills every child still running and waits for them; use in an `after` hook of each file. */
export async function stopAllServers(): Promise<void> {
  const waits = [...live].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}
