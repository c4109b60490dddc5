import type { FastifyRequest } from 'fastify';
import { MAX_RULE_REGEX_LENGTH } from '../loader/triggerRules.js';
import { judgeRegexes, REGEX_JUDGING_BUDGET_MS } from '../validation/safeRegex.js';

/** Deep enough for a tag or snippet set's rules (set → item → trigger_rules → rule → url_regex). */
const MAX_SEARCH_DEPTH = 8;

/**
 * preValidation hook for routes whose bodies hold trigger rules: judges their regular expressions
 * before the schema's `safe-regex` format, which can only read verdicts, looks at them.
 */
export async function judgeUrlRegexes(request: FastifyRequest): Promise<void> {
  await judgeRegexes(urlRegexesIn(request.body), REGEX_JUDGING_BUDGET_MS);
}

/** Every `url_regex` string of a body that validation would look at, wherever its rules sit. */
export function urlRegexesIn(body: unknown): string[] {
  const found: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > MAX_SEARCH_DEPTH || typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === 'url_regex' && typeof child === 'string') {
        if (child.length <= MAX_RULE_REGEX_LENGTH) found.push(child);
      } else {
        visit(child, depth + 1);
      }
    }
  };
  visit(body, 0);
  return found;
}
