// IANA names only ("Europe/Berlin", "UTC", "Etc/GMT+5"): raw offsets such as "+01:00" are not zones,
// they have no daylight-saving rules, and newer runtimes would otherwise accept them.
const ZONE_SHAPE = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/**
 * The runtime's own spelling of an IANA time zone ("america/los_angeles" → "America/Los_Angeles"),
 * or null when the runtime does not know it. Reports bucket days in this zone, so only a zone the
 * runtime can compute with is accepted.
 */
export function normalizeTimezone(input: string): string | null {
  if (!ZONE_SHAPE.test(input)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: input }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}
