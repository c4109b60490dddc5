import type { RemoteConfig } from '../../../src/loader/remoteConfig.js';

/**
 * The hand-off between a loader and the core SDK. Each loader (one per client on the page) puts a
 * stub under its client's global name and pushes an entry here; the core, whichever loader fetched
 * it, attaches one independent instance to every entry, including entries pushed after it loaded.
 */
export const REGISTRY = '__mythic_loaders';

/** Methods a stub accepts before the core arrives; the calls are replayed in order. */
export const QUEUED_METHODS = [
  'init',
  'capture',
  'identify',
  'alias',
  'register',
  'unregister',
  'reset',
  'requireConsent',
  'grantConsent',
  'revokeConsent',
  'flush',
  'ready',
] as const;

export type QueuedCall = [string, ...unknown[]];

/** What lives at `window[global_name]`: the stub, later the same object with the core's methods. */
export interface Stub {
  /** Calls made before the core attached. */
  _q?: QueuedCall[];
  /** 'stub' until the core attached, then 'core'. */
  __mythic?: 'stub' | 'core';
  [method: string]: unknown;
}

export interface LoaderEntry {
  name: string;
  /** Origin of the Mythic server that served the loader: events go back there. */
  origin: string;
  config: RemoteConfig;
  stub: Stub;
  attached?: boolean;
}

export interface Registry extends Array<LoaderEntry> {
  /** Set once a loader has requested the core script, so one page fetches it once. */
  coreRequested?: boolean;
}

export const globals = (): Record<string, unknown> => window as unknown as Record<string, unknown>;

export function registry(): Registry {
  const w = globals();
  if (!Array.isArray(w[REGISTRY])) w[REGISTRY] = [];
  return w[REGISTRY] as Registry;
}
