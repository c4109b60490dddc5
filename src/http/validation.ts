import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { isUsableGlobalName } from '../validation/globalName.js';
import { normalizeHostname, normalizeSiteHost } from '../validation/hostname.js';
import { isHttpUrl } from '../validation/httpUrl.js';
import { jsonByteLength, jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../validation/jsonSize.js';
import { isSafeRegex, mayBeSafeRegex } from '../validation/safeRegex.js';
import { normalizeTimezone } from '../validation/timezone.js';
import type { FieldProblem } from './apiError.js';

// ajv-formats ships CommonJS with `exports.default`; under NodeNext the default import is the module.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** Formats our schemas use, each backed by the same function the services normalise with. */
const FORMATS: Record<string, (value: string) => boolean> = {
  hostname: (v) => normalizeHostname(v) !== null,
  'site-host': (v) => normalizeSiteHost(v) !== null,
  timezone: (v) => normalizeTimezone(v) !== null,
  'global-name': isUsableGlobalName,
  'http-url': isHttpUrl,
  'safe-regex': isSafeRegex,
  'trimmed-name': (v) => {
    const length = v.trim().length;
    return length >= 1 && length <= 255;
  },
};

/** Keyword that bounds the serialised size of a JSON value (api_metadata, agency metadata). */
export const MAX_JSON_BYTES = 'x-max-json-bytes';
/** Annotation carrying the human message shown when a property fails any of its rules. */
export const ERROR_MESSAGE = 'x-error';

function buildAjv(part: 'body' | 'other', formats: Record<string, (value: string) => boolean> = FORMATS): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    // Query strings and path params arrive as text; bodies are JSON and are taken literally.
    coerceTypes: part === 'other',
    useDefaults: part === 'other',
    removeAdditional: false,
    // parentSchema is needed to read the `x-error` message of the failing property.
    verbose: true,
    strict: false,
  });
  addFormats(ajv, ['email', 'date-time']);
  for (const [name, validate] of Object.entries(formats)) ajv.addFormat(name, { type: 'string', validate });
  ajv.addKeyword({
    keyword: MAX_JSON_BYTES,
    schemaType: 'number',
    errors: false,
    // Depth first: serialising a value nested thousands deep would overflow the stack.
    validate: (max: number, data: unknown) => !jsonNestsDeeperThan(data, MAX_JSON_DEPTH) && jsonByteLength(data) <= max,
  });
  ajv.addKeyword({ keyword: ERROR_MESSAGE, schemaType: 'string' });
  return ajv;
}

const bodyAjv = buildAjv('body');
const otherAjv = buildAjv('other');
/** Bodies as they are checked before their url_regex patterns are judged (see regexJudging.ts). */
const bodyAjvBeforeJudging = buildAjv('body', { ...FORMATS, 'safe-regex': mayBeSafeRegex });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : otherAjv).compile(schema as object) as ValidateFunction;

/**
 * A body schema's validator for before its url_regex patterns are judged: every rule as the route's
 * own validator checks it, except that a pattern passes while it may still be judged safe.
 */
export const bodyValidatorBeforeJudging = (schema: object): ValidateFunction => bodyAjvBeforeJudging.compile(schema);

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  boolean: 'true or false',
  integer: 'an integer',
  number: 'a number',
  object: 'a JSON object',
  array: 'an array',
  null: 'null',
};

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') path.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
  return path.join('.') || '(body)';
}

function messageOf(error: ErrorObject): string {
  const custom = (error.parentSchema as Record<string, unknown> | undefined)?.[ERROR_MESSAGE];
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a recognised field';
    case 'type':
      return `must be ${[p.type].flat().map((t) => TYPE_NAMES[String(t)] ?? String(t)).join(' or ')}`;
    case 'minLength':
      if (typeof custom === 'string') return custom;
      return p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters`;
    case 'maxLength':
      return `must be at most ${String(p.limit)} characters`;
    case 'minimum':
      return `must be at least ${String(p.limit)}`;
    case 'maximum':
      return `must be at most ${String(p.limit)}`;
    case 'enum':
      return `must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case MAX_JSON_BYTES:
      return `must be at most ${String(error.schema)} bytes once serialised as JSON, nested at most ${MAX_JSON_DEPTH} levels deep`;
    default:
      return typeof custom === 'string' ? custom : (error.message ?? 'is invalid');
  }
}

// When a nullable field fails, Ajv reports the failure of each branch of the union; the branch
// that says something specific (format, length) is the useful one, bare type errors come last.
const RANK: Record<string, number> = { type: 2, anyOf: 3 };

/** One problem per field, the most specific of the errors Ajv reported for it. */
export function problemsFrom(errors: ErrorObject[]): FieldProblem[] {
  const byField = new Map<string, ErrorObject[]>();
  for (const error of errors) {
    const field = fieldOf(error);
    byField.set(field, [...(byField.get(field) ?? []), error]);
  }
  return [...byField.entries()].map(([field, list]) => {
    const ranked = [...list].sort((a, b) => (RANK[a.keyword] ?? 0) - (RANK[b.keyword] ?? 0));
    const best = ranked[0] as ErrorObject;
    if (best.keyword === 'type') {
      const types = list.filter((e) => e.keyword === 'type').flatMap((e) => [e.params.type]).flat();
      return { field, message: messageOf({ ...best, params: { type: types } }) };
    }
    return { field, message: messageOf(best) };
  });
}

export function isUnknownFieldError(error: ErrorObject): boolean {
  return error.keyword === 'additionalProperties';
}
