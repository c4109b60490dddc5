import type { FastifyRequest } from 'fastify';
import { MAX_RULE_REGEX_LENGTH } from '../loader/triggerRules.js';
import type { RegexVerdictStore } from '../store/metaStore.js';
import { judgeRegexes, patternsToJudge, REGEX_JUDGING, REGEX_JUDGING_BUDGET_MS, rememberVerdicts } from '../validation/safeRegex.js';
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
    rememberVerdicts(await verdictStore.regexVerdicts(REGEX_JUDGING, toJudge));
    const { unjudged, problems, verdicts } = await judgeRegexes(patterns, budgetMs);
    for (const problem of problems) request.log.error(problem);
    if (verdicts.length > 0) await verdictStore.saveRegexVerdicts(REGEX_JUDGING, verdicts);
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
