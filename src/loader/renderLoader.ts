import type { RemoteConfig } from './remoteConfig.js';
import type { SdkAssets } from './sdkAssets.js';

/** What an unknown, malformed or inactive key gets: valid JavaScript that does nothing and reveals nothing. */
export const NOOP_LOADER = '/* mythic: unknown or inactive key */\n';

/**
 * JSON that is also safe inside any JavaScript or HTML context: `<` is escaped so snippet code
 * holding `</script>` or `<!--` cannot end a script element if the loader is ever inlined, and
 * U+2028/U+2029 are escaped because older engines treat them as line ends inside string literals.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * The text of `/s/<pk>.js`: the loader runtime inside a function that declares the two free
 * variables it reads (sdk/src/loader.ts), so nothing but `window[global_name]` leaks into the page.
 */
export function renderLoader(config: RemoteConfig, assets: SdkAssets): string {
  return (
    '/* Mythic loader */\n' +
    `(function(){"use strict";var MYTHIC_CONFIG=${scriptSafeJson(config)};var MYTHIC_CORE=${scriptSafeJson(assets.corePath)};\n` +
    `${assets.loaderRuntime}\n})();\n`
  );
}
