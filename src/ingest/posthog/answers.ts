import { Type, type Static } from 'typebox';

/**
 * What PostHog's SDKs are told when they ask for their settings: no feature flags, no session
 * recording, no surveys, no autocapture, no web vitals or exception capture. Mythic stores events
 * and nothing else, and an SDK told nothing keeps asking, retries, or logs errors. These answers
 * are PostHog's own shapes, not our envelope, since posthog-js reads them as such: an envelope
 * around them would read as "no config". Autocapture is switched off as well, since Mythic has no
 * report for its click events, which would otherwise fill each client's storage and allowance.
 */

const Off = (description: string) => Type.Literal(false, { description });

/** posthog-js's `RemoteConfig` (1.449), as answered by `/array/<token>/config` and inside `config.js`. */
export const PostHogRemoteConfig = Type.Object(
  {
    token: Type.String({ description: 'The publishable key the SDK was set up with.' }),
    supportedCompression: Type.Array(Type.String(), { description: 'posthog-js then sends events gzip-compressed.' }),
    hasFeatureFlags: Off('So the SDK does not ask /flags on load.'),
    autocapture_opt_out: Type.Literal(true, { description: 'Autocapture stays off: Mythic has no report for its events.' }),
    autocaptureExceptions: Off('No exception capture.'),
    errorTracking: Type.Object({ autocaptureExceptions: Off('No exception capture.') }),
    capturePerformance: Off('No web vitals or network timing.'),
    captureDeadClicks: Off('No dead-click events.'),
    heatmaps: Off('No heatmaps.'),
    sessionRecording: Off('No session recording.'),
    surveys: Off('No surveys.'),
    productTours: Off('No product tours.'),
    conversations: Off('No chat widget.'),
    logs: Type.Object({ captureConsoleLogs: Off('No console logs.') }),
    siteApps: Type.Array(Type.Never(), { maxItems: 0, description: 'No site apps.' }),
    toolbarParams: Type.Object({}, { description: 'No toolbar.' }),
    isAuthenticated: Off('Nobody is signed in to PostHog.'),
    elementsChainAsString: Type.Literal(true),
  },
  { description: 'PostHog’s remote config: every feature but event capture off' },
);
export type PostHogRemoteConfig = Static<typeof PostHogRemoteConfig>;

export function remoteConfigFor(token: string): PostHogRemoteConfig {
  return {
    token,
    supportedCompression: ['gzip', 'gzip-js'],
    hasFeatureFlags: false,
    autocapture_opt_out: true,
    autocaptureExceptions: false,
    errorTracking: { autocaptureExceptions: false },
    capturePerformance: false,
    captureDeadClicks: false,
    heatmaps: false,
    sessionRecording: false,
    surveys: false,
    productTours: false,
    conversations: false,
    logs: { captureConsoleLogs: false },
    siteApps: [],
    toolbarParams: {},
    isAuthenticated: false,
    elementsChainAsString: true,
  };
}

/**
 * The remote config as the script posthog-js loads from `/array/<token>/config.js`, which hands
 * it over through `window._POSTHOG_REMOTE_CONFIG[token]`. Every `<` is escaped, so no value can
 * close the script element if it is ever inlined.
 */
export function remoteConfigScript(token: string): string {
  const json = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');
  return `(function(w){w._POSTHOG_REMOTE_CONFIG=w._POSTHOG_REMOTE_CONFIG||{};w._POSTHOG_REMOTE_CONFIG[${json(token)}]={config:${json(remoteConfigFor(token))},siteApps:[]};})(window);\n`;
}

/** posthog-js's `FlagsResponse` for `/flags?v=2`, without a flag: read as "loaded", so not retried. */
export const PostHogFlags = Type.Object(
  {
    flags: Type.Object({}, { description: 'No flags (v2 shape).' }),
    featureFlags: Type.Object({}, { description: 'No flags (v1 shape).' }),
    featureFlagPayloads: Type.Object({}),
    errorsWhileComputingFlags: Off('Nothing went wrong: there are none.'),
  },
  { description: 'PostHog’s flags answer, with no flag' },
);
export type PostHogFlags = Static<typeof PostHogFlags>;

export const NO_FLAGS: PostHogFlags = { flags: {}, featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false };
