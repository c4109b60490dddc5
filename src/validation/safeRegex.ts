import { checkSync } from 'recheck';
import { LruCache } from '../ingest/lruCache.js';

/**
 * Whether an operator's regular expression may run in visitors' browsers, where the loader tests
 * it (`new RegExp(pattern).test(location.href)`) on every page view. A hand-written check for
 * nested repetition let through `(a|a)*`, `(a|aa)*`, `(\w|\d)*` and `.*.*.*.*.*.*.*.*=$`; one test
 * of such a rule took 26–97 s. The judgement is now recheck's automaton analysis, which decides
 * how matching time grows with the input for a backtracking engine like V8's.
 *
 * Only linear time is accepted: polynomial is refused too. Measured in Node 20 on a URL of
 * repeated characters that does not match: `.*checkout.*` took 6 ms at 2 KiB, 240 ms at 8 KiB,
 * 3.5 s at 32 KiB and 57 s at 128 KiB, and browsers accept URLs of megabytes, so anyone can send a
 * visitor a link that freezes the page. Common rules stay linear: `^/blog/.+`, `/products/\d+$`,
 * `[?&]utm_source=google(&|$)`; an unanchored `a.*b` is quadratic (each start position scans to the
 * end) and is refused, which `url_contains` or an anchored `^…a.*b` avoids.
 *
 * Three judgements must all be linear: the pattern as written and the pattern with each counted
 * repetition (`{2,4}`, `{0,200}`, `{3}`) made unbounded (`+`, `*`), each as an unanchored search
 * (how it is used: every start position is retried); and the unbounded pattern as
 * `^(?:pattern)\uE000`, an end that fails on any URL without that character, so the analysis must
 * count every way the pattern matches each prefix. `(a|a)*` alone matches the empty string at
 * once, but is exponential as soon as anything after it can fail, and rules are judged for any
 * context they may be used in.
 *
 * Why all three: the automaton analysis calls a bounded repetition constant-time, but
 * `[\s\S]{0,200}a{0,200}b` took 20 s on a 32 KiB URL; unbounded, that product of bounds shows as
 * polynomial. Unbounding alone is no proof, though: a pattern that matches more can succeed early
 * where the original backtracks. `(?:a|[\s\S]{0,3}|a*)$` is quadratic (its `a*` branch rescans to
 * the end from every start position: 1.2 s on a 32 KiB URL), yet unbounded it matches every URL at
 * its first position through `[\s\S]*`; the pattern as written shows it. And
 * `(?:[\s\S]{0,3}|[^b]{0,20}[^b]{0,20}[^b]{0,20}[^b]{0,20}b)$` (112 ms) hides its product of bounds
 * from both searches the same way; only counting every way to match, which no early success cuts
 * short, shows it. Last, a bound is itself a cost at every start position that the analysis calls
 * constant (`(?:[\s\S]{0,3}|[^b]{0,1000}b)$`: 103 ms): counts above {@link MAX_REPEAT_COUNT} are
 * refused.
 *
 * recheck cannot analyse backreferences or lookahead (its answer is "unknown"), and an analysis
 * that runs out of time is "unknown" too: unknown is refused.
 */
export function isSafeRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
  } catch {
    return false;
  }
  const known = verdicts.get(pattern);
  if (known !== undefined) return known;
  const unbounded = unboundCounts(pattern);
  const verdict =
    largestCount(pattern) > MAX_REPEAT_COUNT ? 'super-linear or unknown' : allLinear([pattern, unbounded, `^(?:${unbounded})\\uE000`]);
  // A timeout may come from a busy machine rather than from the pattern: judged again next time.
  if (verdict !== 'timeout') verdicts.set(pattern, verdict === 'linear');
  return verdict === 'linear';
}

/**
 * Bound on one analysis. The automaton analysis takes 1–50 ms for the 256 characters a rule may
 * have; past this it answers "unknown", which refuses the rule. The first analysis of a process
 * also starts recheck's native checker (about 1 s), which does not count against this bound.
 */
const REGEX_ANALYSIS_TIMEOUT_MS = 1000;

/** Validation runs a format on every request naming the pattern: each is analysed once. */
const verdicts = new LruCache<string, boolean>(1000);

/** The first judgement that is not linear, or linear if all are; judged in order, stopping early. */
function allLinear(sources: readonly string[]): Growth {
  for (const source of sources) {
    const verdict = growth(source);
    if (verdict !== 'linear') return verdict;
  }
  return 'linear';
}

type Growth = 'linear' | 'super-linear or unknown' | 'timeout';

/** How matching time grows with the input, as far as the automaton analysis can tell. */
function growth(source: string): Growth {
  const diagnostics = checkSync(source, '', { checker: 'automaton', timeout: REGEX_ANALYSIS_TIMEOUT_MS });
  if (diagnostics.status === 'unknown' && diagnostics.error.kind === 'timeout') return 'timeout';
  if (diagnostics.status !== 'safe') return 'super-linear or unknown';
  const type = diagnostics.complexity.type;
  return type === 'constant' || type === 'linear' || type === 'safe' ? 'linear' : 'super-linear or unknown';
}

/**
 * The largest count a rule may write (`{0,255}`): as long as the longest rule. Past it, the bound
 * is a cost of its own at every start position that the analysis calls constant.
 */
const MAX_REPEAT_COUNT = 255;

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
  // Without the `u` flag, `]` right after `[` or `[^` closes nothing in JavaScript: `[]` is empty.
  while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
  return j + 1;
}
