import type { RemoteConfig } from '../../src/loader/remoteConfig.js';
import { startInjection } from './inject.js';
import { globals, QUEUED_METHODS, registry, type QueuedCall, type Stub } from './shared/registry.js';

// The server wraps this bundle in a function that declares both (src/loader/renderLoader.ts).
declare const MYTHIC_CONFIG: RemoteConfig;
declare const MYTHIC_CORE: string;

/** The Mythic server that served this loader: it also receives the events and serves the core. */
function apiOrigin(script: HTMLScriptElement | null, publishableKey: string): string {
  const src = script?.src || document.querySelector<HTMLScriptElement>(`script[src*="/s/${publishableKey}.js"]`)?.src;
  try {
    if (src) return new URL(src, location.href).origin;
  } catch {
    // Fall through: a page-relative deployment behind a first-party proxy.
  }
  return location.origin;
}

/**
 * The object the page talks to until the core arrives. An inline snippet may have created
 * `window[name]` as an array of `[method, ...args]` (or a stub with `_q`): those calls are kept.
 */
function makeStub(existing: unknown): Stub {
  const earlier = Array.isArray(existing) ? existing : (existing as Stub | undefined)?._q;
  const queue: QueuedCall[] = Array.isArray(earlier) ? earlier.filter((call): call is QueuedCall => Array.isArray(call)) : [];
  const stub: Stub = { _q: queue, __mythic: 'stub' };
  for (const method of QUEUED_METHODS) {
    stub[method] = (...args: unknown[]): void => {
      queue.push([method, ...args]);
    };
  }
  // The array form keeps working once the stub replaced the page's array: x.push(['capture', …]).
  stub.push = (...calls: unknown[]): void => {
    for (const call of calls) if (Array.isArray(call)) queue.push(call as QueuedCall);
  };
  return stub;
}

function start(): void {
  const config = MYTHIC_CONFIG;
  const script = document.currentScript as HTMLScriptElement | null;
  const nonce = script?.nonce || '';
  const w = globals();
  const existing = w[config.global_name] as Stub | undefined;
  // The same loader included twice: the first one owns the global, its tags and its instance.
  if (existing && existing.__mythic) return;
  const origin = apiOrigin(script, config.publishable_key);
  const stub = makeStub(existing);
  w[config.global_name] = stub;

  startInjection(config, nonce);

  const loaders = registry();
  loaders.push({ name: config.global_name, origin, config, stub });
  if (!loaders.coreRequested) {
    loaders.coreRequested = true;
    const core = document.createElement('script');
    if (nonce) core.nonce = nonce;
    core.async = true;
    core.src = origin + MYTHIC_CORE;
    (document.head || document.documentElement).appendChild(core);
  }
}

start();
