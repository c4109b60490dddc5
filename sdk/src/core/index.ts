import { globals, REGISTRY, registry, type LoaderEntry, type QueuedCall, type Registry, type Stub } from '../shared/registry.js';
import { Mythic } from './instance.js';

type Method = (...args: unknown[]) => unknown;

/** The public API of an instance: what `window[global_name]` offers once the core is attached. */
function publicApi(sdk: Mythic): Record<string, Method> {
  return {
    init: (pk, config) => sdk.init(pk, config),
    capture: (event, properties) => sdk.capture(event, properties),
    identify: (id, set) => sdk.identify(id, set),
    alias: (alias) => sdk.alias(alias),
    register: (properties) => sdk.register(properties),
    unregister: (name) => sdk.unregister(name),
    reset: () => sdk.reset(),
    getDistinctId: () => sdk.getDistinctId(),
    getSessionId: () => sdk.getSessionId(),
    requireConsent: () => sdk.requireConsent(),
    grantConsent: () => sdk.grantConsent(),
    revokeConsent: () => sdk.revokeConsent(),
    flush: () => sdk.flush(),
    ready: (callback) => sdk.ready(callback),
  };
}

/** Analytics must never break the page it measures: a failing call is reported, not thrown. */
function guarded(method: Method): Method {
  return (...args) => {
    try {
      return method(...args);
    } catch (error) {
      console.error('[mythic]', error);
      return undefined;
    }
  };
}

/**
 * Replaces the stub's methods by a new instance's, on the same object (the page may hold a
 * reference to it), then replays the queued calls. Without a queued init the instance starts with
 * the client's remote settings; with one, the page's config overrides them.
 */
function attach(entry: LoaderEntry): void {
  if (entry.attached) return;
  entry.attached = true;
  const stub: Stub = entry.stub;
  const queue: QueuedCall[] = stub._q || [];
  const sdk = new Mythic(entry.name, entry.origin, entry.config.sdk);
  const api = publicApi(sdk);
  for (const name of Object.keys(api)) stub[name] = guarded(api[name] as Method);
  stub.__mythic = 'core';
  delete stub._q;
  // Accept the array form of early calls too: window.x = window.x || []; x.push(['capture', …]).
  stub.push = guarded((...calls: unknown[]) => {
    for (const call of calls) if (Array.isArray(call)) (stub[String(call[0])] as Method | undefined)?.(...call.slice(1));
  });
  const inits = queue.filter((call) => call[0] === 'init');
  if (inits.length === 0) sdk.init(entry.config.publishable_key, {});
  for (const [name, ...args] of inits.concat(queue.filter((call) => call[0] !== 'init'))) {
    const method = stub[name];
    if (typeof method === 'function') (method as Method)(...args);
  }
}

function start(): void {
  const loaders: Registry = registry();
  for (const entry of loaders) attach(entry);
  // Loaders that run after the core (a second client's loader arriving later) attach at once.
  const push = Array.prototype.push;
  loaders.push = (...entries: LoaderEntry[]): number => {
    const length = push.apply(loaders, entries);
    for (const entry of entries) attach(entry);
    return length;
  };
  globals()[REGISTRY] = loaders;
}

start();
