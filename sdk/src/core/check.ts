import type { WireEvent } from './wire.js';

// The server refuses a whole request for one event that breaks its rules, so each event is checked
// here, alone, before it joins a batch. The same limits as src/ingest (test/sdk/check.test.ts
// holds them equal): names and ids in characters, the serialised event in UTF-8 bytes.
export const MAX_ID_CHARS = 200;
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_DEPTH = 100;

/** Surrogate pairs match first and stay; a lone surrogate or a NUL, which the server refuses, is replaced. */
const MALFORMED = /[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff\u0000]/g;
const ID_FIELDS = ['$session_id', '$device_id', '$anon_distinct_id'] as const;

/** Over the limit in characters as the server counts them (code points); counted only when it could be. */
export const tooLong = (text: string): boolean => text.length > MAX_ID_CHARS && Array.from(text).length > MAX_ID_CHARS;

const badId = (value: unknown): boolean => value !== undefined && (typeof value !== 'string' || tooLong(value));

/** The event as it will be sent (repaired if need be), and what to warn about; no event: drop it. */
export interface Checked {
  event?: WireEvent;
  warning?: string;
}

export function checkEvent(wire: WireEvent): Checked {
  let repaired = false;
  const fix = (text: string): string => {
    const fixed = text.replace(MALFORMED, (match) => (match.length > 1 ? match : '\ufffd'));
    repaired = repaired || fixed !== text;
    return fixed;
  };
  // A copy with every string and key repaired; depth as the server counts it, the event being 1.
  const copy = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return fix(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth > MAX_DEPTH) throw new RangeError();
    if (Array.isArray(value)) return value.map((item) => copy(item, depth + 1));
    // No prototype: a "__proto__" key stays a key.
    const result: Record<string, unknown> = Object.create(null);
    for (const key in value) result[fix(key)] = copy((value as Record<string, unknown>)[key], depth + 1);
    return result;
  };
  let event: WireEvent;
  try {
    // Through JSON first, so what is checked is what will be sent (toJSON applied, undefined gone).
    event = copy(JSON.parse(JSON.stringify(wire)), 1) as WireEvent;
  } catch {
    return { warning: `dropped: not serialisable as JSON, or nested over ${MAX_DEPTH} levels` };
  }
  const properties = event.properties;
  if (!event.event || tooLong(event.event)) return { warning: `dropped: event name empty or over ${MAX_ID_CHARS} characters` };
  if (!event.distinct_id || badId(event.distinct_id) || ID_FIELDS.some((field) => badId(event[field]) || badId(properties[field]))) {
    return { warning: `dropped: distinct_id or ${ID_FIELDS.join('/')} not a string of at most ${MAX_ID_CHARS} characters` };
  }
  if (event.event === '$create_alias' && badId(properties.alias)) return { warning: `dropped: alias over ${MAX_ID_CHARS} characters` };
  const bytes = new TextEncoder().encode(JSON.stringify(event)).length;
  if (bytes > MAX_EVENT_BYTES) return { warning: `dropped: ${bytes} bytes once serialised, over ${MAX_EVENT_BYTES}` };
  return repaired ? { event, warning: 'sent with unpaired surrogates and NUL characters replaced by U+FFFD' } : { event };
}
