import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { MAX_RULE_REGEX_LENGTH } from '../loader/triggerRules.js';
import type { RegexVerdictStore } from '../store/metaStore.js';
import { judgeRegexes, patternsToJudge, REGEX_JUDGING, REGEX_JUDGING_BUDGET_MS, rememberedVerdicts, rememberVerdicts, type JudgingLeft } from '../validation/safeRegex.js';
import { ApiError } from './apiError.js';
import { fromValidation } from './errorHandler.js';
import { bodyValidatorBeforeJudging } from './validation.js';

/** Deep enough for a tag or snippet set's rules (set → item → trigger_rules → rule → url_regex). */
const MAX_SEARCH_DEPTH = 8;

/** The most a valid body holds (50 tags or snippets of 20 rules): past it, validation refuses the body anyway. */
const MAX_PATTERNS = 1000;

/** Seconds to wait before sending the set again, when its patterns could not all be judged in time. */
const RETRY_AFTER_SECONDS = 5;

/**
 * preValidation hook for routes whose bodies (of `bodySchema`) hold trigger rules: judges their
 * regular expressions before the schema's `safe-regex` format, which can only read verdicts, looks
 * at them.
 *
 * - Judging takes up to seconds of recheck's time, which every client's saves share: so the body
 *   is first checked against its schema with each pattern passing while it may still be judged
 *   safe, and a body refused there is answered 400 as validation would answer it, nothing judged.
 * - Verdicts are kept in `verdictStore` (the meta store): a pattern judged by any node, before any
 *   restart, is not judged again.
 * - Patterns left unjudged (the request's budget spent, or recheck failing) are the server's
 *   trouble, not the body's: 503 with Retry-After, and what was judged stays judged for the next try.
 */
export function judgeUrlRegexes(
  bodySchema: object,
  verdictStore: RegexVerdictStore,
  budgetMs = REGEX_JUDGING_BUDGET_MS,
): (request: Pick<FastifyRequest, 'body' | 'log'>) => Promise<void> {
  const validBeforeJudging = bodyValidatorBeforeJudging(bodySchema);
  return async (request) => {
    if (!validBeforeJudging(request.body)) throw fromValidation(validBeforeJudging.errors ?? [], 'body');
    const patterns = urlRegexesIn(request.body);
    const toJudge = patternsToJudge(patterns);
    if (toJudge.length === 0) return;
    // The request's own verdicts. The cache is shared: while this request waits for its turn,
    // others' verdicts may push these out, so they are put back last, with no wait between that
    // and the validation that reads them.
    const own = new Map(rememberedVerdicts(patterns));
    for (const [pattern, safe] of await storedVerdicts(verdictStore, toJudge, request.log)) own.set(pattern, safe);
    rememberVerdicts(own);
    const { unjudged, problems, verdicts } = await judgeRegexes(patterns, budgetMs);
    for (const problem of problems) request.log.error(problem);
    for (const [pattern, safe] of verdicts) own.set(pattern, safe);
    await storeVerdicts(verdictStore, verdicts, request.log);
    rememberVerdicts(own);
    if (unjudged.length === 0) return;
    throw new ApiError(
      503,
      'overloaded',
      `${unjudged.length} of the url_regex patterns could not be judged in time; those judged are remembered, so retry in ${RETRY_AFTER_SECONDS} s`,
      undefined,
      { 'retry-after': String(RETRY_AFTER_SECONDS) },
    );
  };
}

/**
 * The stored verdicts on these patterns. The store only spares judging: when it cannot be read,
 * the patterns are judged here, as before verdicts were stored.
 */
async function storedVerdicts(store: RegexVerdictStore, patterns: string[], log: FastifyBaseLogger): Promise<Map<string, boolean>> {
  try {
    return await store.regexVerdicts(REGEX_JUDGING, patterns);
  } catch (error) {
    log.error({ err: error }, 'could not read the stored url_regex verdicts; judging the patterns here');
    return new Map();
  }
}

/** Stores the verdicts reached here; when the store cannot take them, this node still has them. */
async function storeVerdicts(store: RegexVerdictStore, verdicts: JudgingLeft['verdicts'], log: FastifyBaseLogger): Promise<void> {
  if (verdicts.length === 0) return;
  try {
    await store.saveRegexVerdicts(REGEX_JUDGING, verdicts);
  } catch (error) {
    log.error({ err: error }, 'could not store url_regex verdicts; they are kept on this node only');
  }
}

/** The `url_regex` strings of a body that validation would look at, wherever its rules sit. */
export function urlRegexesIn(body: unknown): string[] {
  const found: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > MAX_SEARCH_DEPTH || typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value)) {
      if (found.length >= MAX_PATTERNS) return;
      if (key === 'url_regex' && typeof child === 'string') {
        if (fitsRuleLength(child)) found.push(child);
      } else {
        visit(child, depth + 1);
      }
    }
  };
  visit(body, 0);
  return found;
}

/** The schema's maxLength counts code points, as Ajv does, not UTF-16 units. */
function fitsRuleLength(pattern: string): boolean {
  if (pattern.length <= MAX_RULE_REGEX_LENGTH) return true;
  return pattern.length <= 2 * MAX_RULE_REGEX_LENGTH && [...pattern].length <= MAX_RULE_REGEX_LENGTH;
}
