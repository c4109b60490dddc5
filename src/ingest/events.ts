import { randomUUID } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import { ApiError, type FieldProblem } from '../http/apiError.js';
import { problemsFrom, validatorCompiler } from '../http/validation.js';
import { jsonByteLength, MAX_JSON_DEPTH } from '../validation/jsonSize.js';
import { findUnstorableText } from '../validation/storableText.js';
import { isIpAddress } from './ip.js';
import { keyInBody } from './posthog/bodyKey.js';
import { parseTimestamp } from './timestamp.js';
import { IngestEvent, MAX_ID_LENGTH, MAX_USER_AGENT_LENGTH } from './schemas.js';

/** One event that passed validation, in the form enrichment takes. Times are epoch ms. */
export interface AcceptedEvent {
  uuid: string;
  event: string;
  distinct_id: string;
  timestamp: number;
  session_id: string | null;
  device_id: string | null;
  anon_distinct_id: string | null;
  /** The caller's properties without the fields moved into columns. */
  properties: Record<string, unknown>;
  /** The visitor's address and user agent as a secret-key caller set them; null: not set. */
  ip: string | null;
  user_agent: string | null;
  /** `properties.alias` of a `$create_alias` event. */
  alias: string | null;
}

export interface IngestLimits {
  /** Serialised size of one event. */
  maxEventBytes: number;
  /** Size of the body as sent and once decompressed. */
  maxRequestBytes: number;
  maxEvents: number;
}

export const DEFAULT_LIMITS: IngestLimits = { maxEventBytes: 32 * 1024, maxRequestBytes: 1024 * 1024, maxEvents: 1000 };

/** The events of a request body, before validation, and where to find each of them. */
export interface Unpacked {
  items: unknown[];
  /** `batch[i]` for a batch or an array, '' for a lone event: prefixes field names in errors. */
  labels: string[];
  /** The key the body names beside its events: `api_key` or `token` (PostHog clients put it there). */
  apiKey: string | undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const shapeError = (): ApiError =>
  new ApiError(400, 'validation_error', 'The body must be an event object, { "batch": [events] } or an array of events', [
    { field: '(body)', message: 'must be an event object, { "batch": [...] } or an array' },
  ]);

/** Splits a parsed body into its events: one event, `{ batch: [...] }` or a bare array. */
export function unpackBody(body: unknown, limits: IngestLimits): Unpacked {
  let items: unknown[];
  let single = false;
  if (Array.isArray(body)) items = body;
  else if (isObject(body) && 'batch' in body) {
    if (!Array.isArray(body.batch)) {
      throw new ApiError(400, 'validation_error', 'batch must be an array of events', [{ field: 'batch', message: 'must be an array' }]);
    }
    items = body.batch;
  } else if (isObject(body)) {
    items = [body];
    single = true;
  } else throw shapeError();
  if (items.length === 0) {
    throw new ApiError(400, 'validation_error', 'The batch is empty', [{ field: 'batch', message: 'must contain at least one event' }]);
  }
  if (items.length > limits.maxEvents) {
    throw new ApiError(413, 'payload_too_large', `The request has ${items.length} events; at most ${limits.maxEvents} are taken at once`, [
      { field: 'batch', message: `must contain at most ${limits.maxEvents} events` },
    ]);
  }
  const labels = single ? [''] : items.map((_, i) => `batch[${i}]`);
  return { items, labels, apiKey: keyInBody(body) };
}

/** Who sent the events decides what they may set. */
export interface ValidationContext {
  /** Secret-key callers may backfill timestamps and set the visitor's IP and user agent. */
  trusted: boolean;
  /** Receive time, epoch ms. */
  now: number;
  limits: IngestLimits;
}

/** How far a publishable-key caller's clock may be trusted: earlier or later times are replaced. */
export const UNTRUSTED_PAST_MS = 24 * 60 * 60 * 1000;
export const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;
/** At most this many problems are listed: a 1,000-event batch could otherwise produce thousands. */
const MAX_PROBLEMS = 20;

const validateShape = validatorCompiler({ schema: IngestEvent, httpPart: 'body', method: 'POST', url: '/e' }) as ValidateFunction;

/** Removes every field of `names` from `source`, returning the first one present and where it was. */
function takeField(source: Record<string, unknown>, names: string[]): { value: unknown; from: string } | undefined {
  let found: { value: unknown; from: string } | undefined;
  for (const name of names) {
    if (!(name in source)) continue;
    found ??= { value: source[name], from: name };
    delete source[name];
  }
  return found;
}

const isStorable = (text: string): boolean => !text.includes('\u0000') && text.isWellFormed();

/**
 * Bytes of JSON.stringify's UTF-8 output that one value of each kind can take at most, beside its
 * text: a number's shortest form is at most 25 characters ("-0.0000012345678901234567"), and each
 * UTF-16 unit of a string at most 6 bytes (a `\u001f` escape; a character is 3 bytes of UTF-8 at
 * most per unit). Strings add their quotes and a comma, keys their quotes and colon, objects and
 * arrays their brackets and a comma.
 */
const MAX_SCALAR_BYTES = 25;
const MAX_BYTES_PER_UNIT = 6;

/** What one pass over an event found. */
export interface Inspection {
  flaw: 'too_deep' | 'unstorable' | null;
  /** At least the byte length of its JSON (valid when there is no flaw). */
  sizeBound: number;
}

/**
 * One pass over an event for what would break later: nesting deeper than JSON.stringify can
 * recurse through, or text a store cannot hold. Only values are stacked (no paths), because nearly
 * every event is fine; the path of a bad string is worked out afterwards, for that event alone.
 * The same pass bounds the event's serialised size from above, so that only an event near the
 * limit is serialised to be measured (serialising every event was about a twentieth of batched
 * ingestion's CPU).
 */
export function inspect(value: unknown): Inspection {
  const values: unknown[] = [value];
  const depths: number[] = [1];
  let sizeBound = 0;
  while (values.length > 0) {
    const item = values.pop();
    const depth = depths.pop() as number;
    if (typeof item === 'string') {
      if (!isStorable(item)) return { flaw: 'unstorable', sizeBound };
      sizeBound += 3 + MAX_BYTES_PER_UNIT * item.length;
      continue;
    }
    // Brackets or braces and the comma after: a member's colon is counted with its key.
    sizeBound += item !== null && typeof item === 'object' ? 3 : MAX_SCALAR_BYTES + 1;
    if (item === null || typeof item !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) return { flaw: 'too_deep', sizeBound };
    if (Array.isArray(item)) {
      for (const child of item) {
        values.push(child);
        depths.push(depth + 1);
      }
      continue;
    }
    for (const key in item) {
      if (!isStorable(key)) return { flaw: 'unstorable', sizeBound };
      sizeBound += 3 + MAX_BYTES_PER_UNIT * key.length;
      values.push((item as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
  return { flaw: null, sizeBound };
}

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A UUID in any letter case is one key (stored in lowercase, as before uuids could be other
 * strings); any other string is the integrator's own key and is kept exactly as sent.
 */
export const eventUuidOf = (sent: string): string => (UUID_SHAPE.test(sent) ? sent.toLowerCase() : sent);

const blankToNull = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/**
 * Checks and normalises one event. Problems are appended to `problems` (field names prefixed with
 * `label`), and then null is returned.
 */
function acceptEvent(item: Record<string, unknown>, label: string, context: ValidationContext, problems: FieldProblem[]): AcceptedEvent | null {
  const at = (field: string): string => (label === '' ? field : `${label}.${field}`);
  const before = problems.length;
  if (!validateShape(item)) {
    for (const problem of problemsFrom(validateShape.errors ?? [])) {
      problems.push({ field: problem.field === '(body)' ? label || '(body)' : at(problem.field), message: problem.message });
    }
    return null;
  }
  // From here on the shape is known; the parsed objects are this request's own, so they are edited in place.
  const properties = (item.properties ?? {}) as Record<string, unknown>;
  const moved = (name: string): string | null => {
    const top = blankToNull(item[name]);
    const inner = blankToNull(properties[name]);
    delete properties[name];
    return top ?? inner;
  };
  // posthog-js sends the distinct id only in properties; a top-level one wins.
  const innerDistinct = properties.distinct_id;
  delete properties.distinct_id;
  const session_id = moved('$session_id');
  const device_id = moved('$device_id');
  const anon_distinct_id = moved('$anon_distinct_id');
  // $set / $set_once at the top level (PostHog's identify) belong with the properties.
  for (const name of ['$set', '$set_once']) if (name in item && !(name in properties)) properties[name] = item[name];

  const given = item.distinct_id ?? innerDistinct;
  const distinct = given === undefined ? device_id : String(given);
  if (distinct === null) problems.push({ field: at('distinct_id'), message: 'is required (or send $device_id)' });

  let timestamp = context.now;
  if (item.timestamp !== undefined) {
    const parsed = parseTimestamp(item.timestamp as string | number);
    if (parsed === null) {
      problems.push({ field: at('timestamp'), message: 'must be an ISO-8601 date-time or epoch milliseconds' });
    } else if (context.trusted) {
      if (parsed > context.now + FUTURE_TOLERANCE_MS) problems.push({ field: at('timestamp'), message: 'must not be more than 5 minutes in the future' });
      else if (parsed < 0) problems.push({ field: at('timestamp'), message: 'must not be before 1970' });
      else timestamp = parsed;
    } else if (parsed >= context.now - UNTRUSTED_PAST_MS && parsed <= context.now + FUTURE_TOLERANCE_MS) {
      timestamp = parsed;
    }
  }

  // The visitor's address and browser: columns, never left in properties, where a raw address
  // would escape the client's ip_storage setting. Only a secret key may set them.
  const ipSources = [takeField(item, ['$ip', 'ip']), takeField(properties, ['$ip', 'ip'])];
  const uaSources = [takeField(item, ['$user_agent', 'user_agent']), takeField(properties, ['$user_agent', 'user_agent'])];
  let ip: string | null = null;
  let userAgent: string | null = null;
  if (context.trusted) {
    const ipSource = ipSources[0] ?? ipSources[1];
    if (ipSource !== undefined) {
      const field = ipSource === ipSources[0] ? ipSource.from : `properties.${ipSource.from}`;
      if (typeof ipSource.value === 'string' && isIpAddress(ipSource.value)) ip = ipSource.value;
      else problems.push({ field: at(field), message: 'must be an IPv4 or IPv6 address' });
    }
    const uaSource = uaSources[0] ?? uaSources[1];
    if (uaSource !== undefined) {
      const field = uaSource === uaSources[0] ? uaSource.from : `properties.${uaSource.from}`;
      if (typeof uaSource.value === 'string' && uaSource.value.length <= MAX_USER_AGENT_LENGTH) userAgent = blankToNull(uaSource.value);
      else problems.push({ field: at(field), message: `must be a string of at most ${MAX_USER_AGENT_LENGTH} characters` });
    }
  }

  let alias: string | null = null;
  if (item.event === '$create_alias') {
    const value = properties.alias;
    if (typeof value === 'string' && value.length >= 1 && value.length <= MAX_ID_LENGTH) alias = value;
    else problems.push({ field: at('properties.alias'), message: `is required on $create_alias: a string of 1–${MAX_ID_LENGTH} characters` });
  }

  if (problems.length > before) return null;
  return {
    uuid: typeof item.uuid === 'string' ? eventUuidOf(item.uuid) : randomUUID(),
    event: item.event as string,
    distinct_id: distinct as string,
    timestamp,
    session_id,
    device_id,
    anon_distinct_id,
    properties,
    ip,
    user_agent: userAgent,
    alias,
  };
}

function refuse(problems: FieldProblem[]): ApiError {
  const shown = problems.slice(0, MAX_PROBLEMS);
  const summary = shown
    .slice(0, 5)
    .map((p) => `${p.field} ${p.message}`)
    .join('; ');
  const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
  return new ApiError(400, 'validation_error', `Invalid event${problems.length > 1 ? 's' : ''}: ${summary}${more}`, shown);
}

/**
 * Validates every event of a request, all or nothing: one bad event refuses the whole request
 * (400, or 413 for an oversized one), so a retry after fixing it cannot store half a batch twice.
 */
export function acceptEvents(unpacked: Unpacked, context: ValidationContext): AcceptedEvent[] {
  const { items, labels } = unpacked;
  const problems: FieldProblem[] = [];
  const accepted: AcceptedEvent[] = [];
  for (let i = 0; i < items.length; i += 1) {
    const item = items[i];
    const label = labels[i] as string;
    const here = label || '(body)';
    if (!isObject(item)) {
      problems.push({ field: here, message: 'must be an event object' });
      continue;
    }
    // Depth first: serialising a value nested thousands deep would overflow the stack.
    const { flaw, sizeBound } = inspect(item);
    if (flaw === 'too_deep') {
      problems.push({ field: here, message: `must not nest more than ${MAX_JSON_DEPTH} levels deep` });
      continue;
    }
    if (flaw === 'unstorable') {
      // inspect() stopped at the bad text, so the event may also nest too deep to serialise.
      const path = findUnstorableText(item) ?? '';
      const field = label === '' ? path : `${label}.${path}`;
      problems.push({ field: field.length > 200 ? `${field.slice(0, 200)}…` : field, message: 'must not contain NUL characters or unpaired surrogates' });
      continue;
    }
    // Measured only when its bound says it may be over.
    const bytes = sizeBound > context.limits.maxEventBytes ? jsonByteLength(item) : 0;
    if (bytes > context.limits.maxEventBytes) {
      throw new ApiError(413, 'payload_too_large', `${here} is ${bytes} bytes; an event may be at most ${context.limits.maxEventBytes} bytes`, [
        { field: here, message: `must be at most ${context.limits.maxEventBytes} bytes once serialised` },
      ]);
    }
    const event = acceptEvent(item, label, context, problems);
    if (event !== null) accepted.push(event);
  }
  if (problems.length > 0) throw refuse(problems);
  return accepted;
}
