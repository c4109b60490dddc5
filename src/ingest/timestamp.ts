/** Strict ISO-8601 date-time: date, optional time, optional fraction (up to ns) and offset. */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Epoch ms of an ISO-8601 date-time (UTC when it has no offset) or epoch ms; null when neither. */
export function parseTimestamp(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : null;
  const match = ISO_DATE_TIME.exec(value);
  if (!match) return null;
  const [, year, month, day, hour, , , zone] = match;
  // Without an offset the time is read as UTC, never as this server's local time.
  const text = hour !== undefined && zone === undefined ? `${value}Z` : value;
  const ms = Date.parse(text.replace(' ', 'T'));
  if (Number.isNaN(ms)) return null;
  // Date.parse rolls 2024-02-30 over into March; such a date does not exist.
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return date.getUTCDate() === Number(day) && date.getUTCMonth() === Number(month) - 1 ? ms : null;
}
