import { ApiError } from './apiError.js';

/** Fatal: a byte sequence that is not UTF-8 is refused rather than stored as U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes as text, strictly: broken UTF-8 (a lone 0xFF, an overlong form, a cut sequence) is a 400
 * `invalid_json` saying which text it was (`what`, e.g. "The body"), never a quietly mended string.
 * The admin API, ingestion and the PostHog wrappings all read their bodies through it.
 */
export function decodeUtf8(bytes: Uint8Array, what = 'The body'): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ApiError(400, 'invalid_json', `${what} is not valid UTF-8`);
  }
}
