import { LruCache } from '../ingest/lruCache.js';
import { callRecheck, RECHECK_VERSION } from './recheckCall.js';

/**
 * Whether an operator's regular expression may run in visitors' browsers, where the loader tests
 * it (`new RegExp(pattern).test(location.href)`) on every page view. A hand-written check for
 * nested repetition let through `(a|a)*`, `(a|aa)*`, `(\w|\d)*` and `.*.*.*.*.*.*.*.*=$`; one test
 * of such a rule took 26–97 s. The judgement is now recheck's automaton analysis, which decides
 * how matching time grows with the input for a backtracking engine like V8's, and its fuzzer.
 *
 * Only linear time is accepted: polynomial is refused too. Measured in Node 20 on a URL of
 * repeated characters that does not match: `.*checkout.*` took 6 ms at 2 KiB, 240 ms at 8 KiB,
 * 3.5 s at 32 KiB and 57 s at 128 KiB, and browsers accept URLs of megabytes, so anyone can send a
 * visitor a link that freezes the page. Common rules stay linear: `^/blog/.+`, `/products/\d+$`,
 * `[?&]utm_source=google(&|$)`; an unanchored `a.*b` is quadratic (each start position scans to the
 * end) and is refused, which `url_contains` or an anchored `^…a.*b` avoids.
 *
 * Judgements, all of which must find no super-linear growth (`pattern′` is the pattern with each
 * counted repetition, `{2,4}`, `{0,200}`, `{3}`, made unbounded: `+`, `*`):
 * 1. the automaton analysis of the pattern as written, as an unanchored search (how the loader
 *    uses it: every start position is retried);
 * 2. the same of `pattern′`: the analysis calls a bounded repetition constant-time, but
 *    `[\s\S]{0,200}a{0,200}b` took 20 s on a 32 KiB URL, and unbounded its product of bounds shows
 *    as polynomial. Unbounding alone is no proof: a pattern that matches more can succeed early
 *    where the original backtracks. `(?:a|[\s\S]{0,3}|a*)$` is quadratic (its `a*` branch rescans
 *    to the end from every start position: 1.2 s on a 32 KiB URL), yet unbounded it matches every
 *    URL at its first position through `[\s\S]*`; judgement 1 shows it;
 * 3. the same of `^(?:pattern′)[^\s\S]`, an end that never matches, so every way to match each
 *    prefix is counted and no early success hides one: `(a|a)*` alone matches the empty string at
 *    once but is exponential as soon as anything after it can fail, and
 *    `(?:[\s\S]{0,3}|[^b]{0,20}[^b]{0,20}[^b]{0,20}[^b]{0,20}b)$` (112 ms) hides its product of bounds
 *    from 1 and 2;
 * 4. recheck's fuzzer on the pattern as written, which runs a backtracking matcher on strings it
 *    breeds to be slow. It finds what the automaton calls constant but a URL makes slow: costs at
 *    every start position from counts that multiply (`(?:[\s\S]{0,3}|(?:[^x]{0,255}x){0,255})$`,
 *    1.6 s on a 32 KiB URL) and ambiguity without a loop (`a?a?a?a?a?a?a?a?a?a?a?a?aaaaaaaaaaaa!`,
 *    0.6 s). A fuzzer that finds nothing proves nothing, which is why it comes last, on top of the
 *    analyses rather than instead of them.
 * Before them, a count above {@link MAX_REPEAT_COUNT} is refused outright.
 *
 * recheck cannot analyse backreferences or lookahead (its answer is "unknown"), and an analysis
 * that runs out of its time is "unknown" too: unknown is refused (the latter not remembered, as the
 * machine may have been busy). A request whose budget runs out, or a failure of recheck itself,
 * leaves patterns unjudged: the route answers 503 and judges them on the next try.
 */
export async function judgeRegex(pattern: string, signal?: AbortSignal): Promise<boolean> {
  return (await verdictOf(pattern, signal)).safe === true;
}

/** A pattern's verdict, or why it has none yet (time ran out, recheck failed): judged again next time. */
type Verdict = { readonly safe: boolean } | { readonly safe: undefined; readonly problem?: string };

async function verdictOf(pattern: string, signal: AbortSignal | undefined): Promise<Verdict> {
  const known = decidedWithoutRecheck(pattern);
  if (known !== undefined) return { safe: known };
  const unbounded = unboundCounts(pattern);
  const judgements: readonly Judgement[] = [
    { source: pattern, checker: 'automaton' },
    { source: unbounded, checker: 'automaton' },
    { source: `^(?:${unbounded})[^\\s\\S]`, checker: 'automaton' },
    { source: pattern, checker: 'fuzz' },
  ];
  for (const judgement of judgements) {
    const found = await growth(judgement, signal);
    if (found.growth === 'unjudged') return { safe: undefined, ...(found.problem ? { problem: found.problem } : {}) };
    if (found.growth === 'super-linear or unknown') {
      verdicts.set(pattern, false);
      return { safe: false };
    }
    // Refused, not remembered: a busy machine may have slowed the analysis; judged again next time.
    if (found.growth === 'too slow to judge') return { safe: false };
  }
  verdicts.set(pattern, true);
  return { safe: true };
}

/**
 * The verdict that needs no analysis: refused when the pattern does not compile or counts past
 * the cap, else the one remembered; undefined when recheck must judge it. Refusals decided here
 * are not remembered: deciding again costs nothing, and a body of them could otherwise push every
 * judged pattern out of the cache.
 */
function decidedWithoutRecheck(pattern: string): boolean | undefined {
  if (!compiles(pattern) || largestCount(pattern) > MAX_REPEAT_COUNT) return false;
  return verdicts.get(pattern);
}

/** A pattern and whether it was judged safe. */
export type RegexVerdict = readonly [pattern: string, safe: boolean];

/**
 * What judging a request's patterns left: those without a verdict, what went wrong with recheck,
 * and the verdicts it reached that are remembered (for other nodes and later starts to share).
 */
export interface JudgingLeft {
  readonly unjudged: readonly string[];
  readonly problems: readonly string[];
  readonly verdicts: readonly RegexVerdict[];
}

/** The patterns, once each, that only recheck can judge here: nothing remembered of them in this process. */
export function patternsToJudge(patterns: Iterable<string>): string[] {
  return [...new Set(patterns)].filter((pattern) => decidedWithoutRecheck(pattern) === undefined);
}

/** The verdicts remembered here on any of these patterns. */
export function rememberedVerdicts(patterns: Iterable<string>): RegexVerdict[] {
  return [...new Set(patterns)].flatMap((pattern) => {
    const safe = verdicts.get(pattern);
    return safe === undefined ? [] : [[pattern, safe] as const];
  });
}

/** Verdicts reached by {@link REGEX_JUDGING} elsewhere (another node, an earlier start), remembered here as if judged here. */
export function rememberVerdicts(found: Iterable<RegexVerdict>): void {
  for (const [pattern, safe] of found) verdicts.set(pattern, safe);
}

/**
 * Judges each pattern not judged yet, one after another, until `budgetMs` is spent (waiting for
 * its turn included); those left unjudged stay so, and {@link isSafeRegex} refuses them. Validation
 * cannot wait (a schema format answers at once), so a route whose body holds regular expressions
 * judges them first, in a hook.
 */
export async function judgeRegexes(patterns: Iterable<string>, budgetMs: number): Promise<JudgingLeft> {
  const left = patternsToJudge(patterns);
  const problems: string[] = [];
  const judged: string[] = [];
  if (left.length === 0) return { unjudged: left, problems, verdicts: [] };
  const signal = AbortSignal.timeout(budgetMs);
  const before = judging;
  let done!: () => void;
  // This turn ends once it and every turn before it have: one request judges at a time.
  judging = new Promise<void>((resolve) => (done = resolve));
  try {
    await Promise.race([before, whenAborted(signal)]);
    while (left.length > 0 && !signal.aborted) {
      const verdict = await verdictOf(left[0] as string, signal);
      if (verdict.safe === undefined) {
        if (verdict.problem !== undefined) problems.push(verdict.problem);
        break;
      }
      judged.push(left.shift() as string);
    }
  } finally {
    void before.then(done);
  }
  // Refusals for want of time are not remembered (verdictOf): only what is lasting is handed on.
  return { unjudged: left, problems, verdicts: rememberedVerdicts(judged) };
}

/**
 * How long one request's new patterns may be judged in all, waiting for other requests' judging
 * included. A common rule takes 0.1–0.3 s (four judgements); a set of new ones past this budget is
 * judged in part, the rest on the next try.
 */
export const REGEX_JUDGING_BUDGET_MS = 10_000;

/**
 * Judging takes a core of recheck's agent while it runs: requests at once take their turns, so
 * that many of them cannot take every core, and a turn not begun within its budget is given up.
 */
let judging: Promise<void> = Promise.resolve();

function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * The schema format: whether the pattern compiles and was judged safe. The judging itself takes
 * up to seconds, in recheck's own process (its native agent), so that the request thread never
 * waits for it: {@link judgeRegexes} must have run for the pattern first, and a pattern not judged
 * is refused.
 */
export function isSafeRegex(pattern: string): boolean {
  return decidedWithoutRecheck(pattern) === true;
}

/**
 * Whether the pattern may still be judged safe: it compiles, keeps under the count cap, and is not
 * remembered as unsafe. What a body is checked against before its patterns are judged.
 */
export function mayBeSafeRegex(pattern: string): boolean {
  return decidedWithoutRecheck(pattern) !== false;
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/**
 * Bounds on one judgement; past them it answers "unknown" (timeout), which refuses the pattern
 * without remembering it, as a busy machine may be the cause. The automaton analysis takes 1–70 ms
 * for the 256 characters a rule may have. The fuzzer took 5–270 ms to find nothing in common
 * rules, and 1.0–1.9 s to find the attacks above (or timed out on them), on a machine running the
 * test suite.
 */
const TIMEOUT_MS = { automaton: 1000, fuzz: 2000 } as const;

/** The fuzzer's seed: the same pattern gets the same verdict on every node and every try. */
const FUZZ_SEED = 1;

/**
 * Verdicts by pattern: each is judged once. Room for a full tag set's and a full snippet set's
 * rules (1,000 each) several times over, so that a request's own verdicts outlive its judging.
 */
const verdicts = new LruCache<string, boolean>(10_000);

interface Judgement {
  readonly source: string;
  readonly checker: keyof typeof TIMEOUT_MS;
}

type Growth =
  | { readonly growth: 'linear' | 'super-linear or unknown' | 'too slow to judge' }
  | { readonly growth: 'unjudged'; readonly problem?: string };

/**
 * How matching time grows with the input, as far as one judgement can tell. "Unknown" because the
 * analysis cannot judge the pattern (backreferences, lookahead) refuses it, and so does an
 * analysis that runs out of its own time; a cancel (the request's budget) or a failure of recheck
 * leaves the pattern unjudged instead: the server's trouble, not the pattern's.
 */
async function growth({ source, checker }: Judgement, signal: AbortSignal | undefined): Promise<Growth> {
  const outcome = await callRecheck({ source, checker, timeoutMs: TIMEOUT_MS[checker], randomSeed: FUZZ_SEED }, signal);
  if (outcome.kind === 'aborted') return { growth: 'unjudged' };
  if (outcome.kind === 'failed') return { growth: 'unjudged', problem: outcome.problem };
  const { diagnostics } = outcome;
  if (diagnostics.status === 'unknown') {
    const kind = diagnostics.error.kind;
    if (kind === 'timeout') return { growth: 'too slow to judge' };
    if (kind === 'cancel') return { growth: 'unjudged' };
    if (kind === 'unexpected') return { growth: 'unjudged', problem: `recheck failed: ${diagnostics.error.message}` };
    return { growth: 'super-linear or unknown' };
  }
  if (diagnostics.status !== 'safe') return { growth: 'super-linear or unknown' };
  const type = diagnostics.complexity.type;
  return { growth: type === 'constant' || type === 'linear' || type === 'safe' ? 'linear' : 'super-linear or unknown' };
}

/**
 * The largest count a rule may write (`{0,255}`). A bound is a cost at every start position that
 * the automaton calls constant, and the fuzzer only finds what it searches: past a few hundred, V8
 * itself slows (`(?:[\s\S]{0,3}|[^b]{0,N}b)$` on 32 KiB: 0.2 ms at N = 255, 58 ms at 600, 103 ms
 * at 1,000), and no URL rule needs to count that far.
 */
const MAX_REPEAT_COUNT = 255;

/**
 * The name of this module's judging, stored with each verdict: a verdict reached another way
 * (another recheck, other judgements, another seed or cap) is not taken for one of this judging.
 * Change it with the judgements.
 */
export const REGEX_JUDGING = `recheck ${RECHECK_VERSION}: automaton as written, unbounded, never-matching end; fuzz seed ${FUZZ_SEED}; counts up to ${MAX_REPEAT_COUNT}`;

const COUNT = /^\{(\d+)(,(\d*))?\}/;

/** A counted repetition's braces: where they start, their text and their bounds (max may be Infinity). */
interface CountedRepetition {
  readonly at: number;
  readonly text: string;
  readonly min: number;
  readonly max: number;
}

/**
 * The pattern with each counted repetition made unbounded: `X{n,m}`, `X{n,}` and `X{n}` (upper
 * bound over 1) become `X*` when n is 0, `X+` otherwise. Every way the original can match is a way
 * the result can, so ambiguity that a bound hides from the analysis shows in the result, at the
 * price of refusing a few patterns whose bound keeps them fast (`\d{2,4}x`).
 */
export function unboundCounts(pattern: string): string {
  let out = '';
  let copied = 0;
  for (const count of countedRepetitions(pattern)) {
    out += pattern.slice(copied, count.at) + (count.max <= 1 ? count.text : count.min === 0 ? '*' : '+');
    copied = count.at + count.text.length;
  }
  return out + pattern.slice(copied);
}

/** The largest number written in the pattern's counted repetitions (0 if it has none). */
export function largestCount(pattern: string): number {
  let largest = 0;
  for (const { min, max } of countedRepetitions(pattern)) largest = Math.max(largest, min, max === Infinity ? 0 : max);
  return largest;
}

/**
 * The quantifier braces of a pattern. Escaped characters and character classes are skipped, and a
 * brace that is no quantifier (`x{`, `{,2}`) is a literal, as it is without the `u` flag.
 */
function* countedRepetitions(pattern: string): Generator<CountedRepetition> {
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '\\') {
      i += 2;
    } else if (c === '[') {
      i = classEnd(pattern, i);
    } else if (c === '{') {
      const count = COUNT.exec(pattern.slice(i));
      if (count === null) {
        i += 1;
        continue;
      }
      const min = Number(count[1]);
      const max = count[2] === undefined ? min : count[3] === '' ? Infinity : Number(count[3]);
      yield { at: i, text: count[0], min, max };
      i += count[0].length;
    } else {
      i += 1;
    }
  }
}

/** Index just past the character class opening at `pattern[i]` (`[`). */
function classEnd(pattern: string, i: number): number {
  let j = i + 1;
  if (pattern[j] === '^') j += 1;
  // Without the `u` flag, a `]` right after `[` or `[^` closes the class at once: `[]` is empty.
  while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
  return j + 1;
}
