import Bowser from 'bowser';
import { isbot } from 'isbot';
import { RecentCache } from './recentCache.js';

/** What the user agent says about the visitor's software. */
export interface UserAgentFacts {
  browser: string | null;
  browser_version: string | null;
  os: string | null;
  /** 'desktop' | 'mobile' | 'tablet' | 'tv' | 'bot' | 'other'; null when there is no user agent. */
  device_type: string | null;
  is_bot: boolean;
}

const DEVICE_TYPES = new Set(['desktop', 'mobile', 'tablet', 'tv', 'bot']);

const UNKNOWN: UserAgentFacts = { browser: null, browser_version: null, os: null, device_type: null, is_bot: false };

// A site's traffic comes from a few hundred distinct user agents at a time, and parsing one costs
// far more than a lookup; 2,000 entries of at most ~1 KB each bound the memory.
const cache = new RecentCache<string, UserAgentFacts>(2000);

const orNull = (value: string | undefined): string | null => (value === undefined || value === '' ? null : value);

function parse(userAgent: string): UserAgentFacts {
  let result: Bowser.Parser.ParsedResult;
  try {
    result = Bowser.parse(userAgent);
  } catch {
    // A user agent the parser chokes on says nothing useful, but must not cost the event.
    return { ...UNKNOWN, device_type: 'other', is_bot: isbot(userAgent) };
  }
  // isbot knows far more crawlers than bowser; bots are stored and flagged, never dropped.
  const isBot = isbot(userAgent) || result.platform.type === 'bot';
  const platform = result.platform.type;
  return {
    browser: orNull(result.browser.name),
    browser_version: orNull(result.browser.version),
    os: orNull(result.os.name),
    device_type: isBot ? 'bot' : platform !== undefined && DEVICE_TYPES.has(platform) ? platform : 'other',
    is_bot: isBot,
  };
}

/** Browser, OS, device type and bot flag of a user agent string; cached, as the same strings repeat. */
export function userAgentFacts(userAgent: string | null): UserAgentFacts {
  // Bowser refuses an empty string; no user agent (a server-side call) says nothing about a device.
  if (userAgent === null || userAgent.trim() === '') return UNKNOWN;
  let facts = cache.get(userAgent);
  if (facts === undefined) {
    facts = parse(userAgent);
    cache.set(userAgent, facts);
  }
  return facts;
}
