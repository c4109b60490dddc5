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

const CONSENT_CALL = /^(require|grant|revoke)Consent$/;

/**
 * Replaces the stub's methods by a new instance's, on the same object (the page may hold a
 * reference to it), then replays the queued calls. Without a queued init the instance starts with
 * the client's remote settings; with one, the page's config overrides them. Either way, a page
 * that asked for consent before the core arrived (requireConsent or revokeConsent queued before
 * any grantConsent) starts with consent required: replayed after the start, the call would come
 * too late for the first page view.
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
  const calls = queue.filter((call) => call[0] === 'init');
  if (calls.length === 0) calls.push(['init', entry.config.publishable_key, {}]);
  const consent = queue.find((call) => CONSENT_CALL.test(call[0]));
  if (consent && consent[0] !== 'grantConsent') {
    const [, key, config] = calls[0] as QueuedCall;
    calls[0] = ['init', key, { ...(config as object), require_consent: true }];
  }
  // A leading requireConsent is now part of the start, which keeps a consent given on an earlier
  // page; replayed, it would erase it.
  for (const call of calls.concat(queue.filter((c) => c[0] !== 'init' && !(c === consent && c[0] === 'requireConsent')))) {
    const method = stub[call[0]];
    if (typeof method === 'function') (method as Method)(...call.slice(1));
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
