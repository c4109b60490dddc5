import { LIB_VERSION } from '../shared/version.js';

/** Campaign parameters copied from the page URL into every event's properties. */
const CAMPAIGN_PARAMS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'gclid', 'fbclid', 'ttclid', 'msclkid'];

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

/**
 * Properties describing the page and device at the moment of the event. `referrer` is the page
 * before this one: `document.referrer` until an SPA navigation, then the page navigated from.
 */
export function pageProperties(referrer: string): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    $current_url: location.href,
    $host: location.host,
    $pathname: location.pathname,
    $referrer: referrer || '$direct',
    $referring_domain: (referrer && hostOf(referrer)) || '$direct',
    $screen_width: screen.width,
    $screen_height: screen.height,
    $viewport_width: innerWidth,
    $viewport_height: innerHeight,
    $lib: 'mythic-web',
    $lib_version: LIB_VERSION,
  };
  const query = new URLSearchParams(location.search);
  for (const name of CAMPAIGN_PARAMS) {
    const value = query.get(name);
    if (value) properties[name] = value;
  }
  return properties;
}
