/**
 * The client's `sdk_settings` as the settings form edits them. The API stores only the keys that
 * were set (the rest keep the SDK's defaults) and a PATCH replaces the whole object, so the form
 * shows every setting at its effective value and sends the keys that differ from the defaults:
 * a stored key equal to its default behaves exactly like an absent one.
 */
import { DEFAULT_SDK_SETTINGS, type SdkSettings } from '../../../src/loader/remoteConfig.js';

export type FlagKey = 'capture_pageview' | 'capture_pageleave' | 'require_consent' | 'respect_dnt';
export type NumberKey = 'session_timeout_minutes' | 'batch_size' | 'flush_interval_ms';

export const SDK_FLAGS: { key: FlagKey; label: string; hint: string }[] = [
  { key: 'capture_pageview', label: 'Count page views', hint: 'Sends a $pageview on load and on each in-page navigation.' },
  { key: 'capture_pageleave', label: 'Record when a page is left', hint: 'Sends a $pageleave, which gives time on page.' },
  { key: 'require_consent', label: 'Wait for consent', hint: 'Queues events until the page calls grantConsent(); nothing is sent before.' },
  { key: 'respect_dnt', label: 'Respect Do Not Track', hint: 'Sends nothing from browsers that send Do Not Track.' },
];

export const SDK_NUMBERS: { key: NumberKey; label: string; min: number; max: number; unit: string }[] = [
  { key: 'session_timeout_minutes', label: 'Session timeout', min: 1, max: 720, unit: 'minutes of inactivity that end a visit' },
  { key: 'batch_size', label: 'Batch size', min: 1, max: 100, unit: 'events per request' },
  { key: 'flush_interval_ms', label: 'Send interval', min: 100, max: 60_000, unit: 'milliseconds between sends' },
];

/** What the inputs hold: flags as booleans, numbers as typed (the API checks them). */
export type SdkValues = Record<FlagKey, boolean> & Record<NumberKey, string>;

export function sdkValuesOf(stored: Partial<SdkSettings> | undefined): SdkValues {
  const effective = { ...DEFAULT_SDK_SETTINGS, ...stored };
  return {
    capture_pageview: effective.capture_pageview,
    capture_pageleave: effective.capture_pageleave,
    require_consent: effective.require_consent,
    respect_dnt: effective.respect_dnt,
    session_timeout_minutes: String(effective.session_timeout_minutes),
    batch_size: String(effective.batch_size),
    flush_interval_ms: String(effective.flush_interval_ms),
  };
}

/**
 * The keys that differ from the defaults. A number field left empty means "the default"; text
 * that is not a number is sent as it is, so the API's message appears under the field.
 */
export function sdkSettingsOf(values: SdkValues): Record<string, boolean | number | string> {
  const body: Record<string, boolean | number | string> = {};
  for (const { key } of SDK_FLAGS) if (values[key] !== DEFAULT_SDK_SETTINGS[key]) body[key] = values[key];
  for (const { key } of SDK_NUMBERS) {
    const raw = values[key].trim();
    if (raw === '') continue;
    const value = Number(raw);
    if (Number.isFinite(value) ? value !== DEFAULT_SDK_SETTINGS[key] : true) body[key] = Number.isFinite(value) ? value : raw;
  }
  return body;
}

/** Whether two settings objects behave the same (defaults filled in). */
export function sameSdkSettings(a: Partial<SdkSettings> | Record<string, unknown>, b: Partial<SdkSettings> | Record<string, unknown>): boolean {
  const full = (s: Record<string, unknown>) => JSON.stringify(Object.keys(DEFAULT_SDK_SETTINGS).map((k) => s[k] ?? DEFAULT_SDK_SETTINGS[k as keyof SdkSettings]));
  return full(a) === full(b);
}

export { DEFAULT_SDK_SETTINGS };
