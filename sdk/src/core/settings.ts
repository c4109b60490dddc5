import { DEFAULT_SDK_SETTINGS, type SdkSettings } from '../../../src/loader/remoteConfig.js';

/** What a page may pass to init(): the remote settings' names, plus a few page-only options. */
export interface InitConfig extends Partial<SdkSettings> {
  /** Alias of require_consent, the name the original SDK documents. */
  requireConsent?: boolean;
  /** Send events to this origin instead of the loader's (a first-party proxy). */
  api_host?: string;
}

export interface Settings extends SdkSettings {
  api_host: string;
}

// The same bounds as the admin API's SdkSettings schema (src/clients/schemas.ts).
const NUMERIC: Record<'session_timeout_minutes' | 'batch_size' | 'flush_interval_ms', [number, number]> = {
  session_timeout_minutes: [1, 720],
  batch_size: [1, 100],
  flush_interval_ms: [100, 60_000],
};

/** Remote settings overlaid by the page's own config; values of the wrong type or range are ignored. */
export function resolveSettings(remote: Partial<SdkSettings>, page: InitConfig, origin: string): Settings {
  const settings: Settings = { ...DEFAULT_SDK_SETTINGS, api_host: origin };
  const page2: InitConfig = { ...page };
  if (page2.require_consent === undefined && page2.requireConsent !== undefined) page2.require_consent = page2.requireConsent;
  for (const source of [remote, page2] as Array<Record<string, unknown>>) {
    for (const key of ['capture_pageview', 'capture_pageleave', 'require_consent', 'respect_dnt'] as const) {
      if (typeof source[key] === 'boolean') settings[key] = source[key] as boolean;
    }
    for (const key of Object.keys(NUMERIC) as Array<keyof typeof NUMERIC>) {
      const value = source[key];
      const [min, max] = NUMERIC[key];
      if (typeof value === 'number' && value >= min && value <= max) settings[key] = value;
    }
    if (typeof source.api_host === 'string' && /^https?:\/\//.test(source.api_host)) settings.api_host = source.api_host.replace(/\/+$/, '');
  }
  return settings;
}
