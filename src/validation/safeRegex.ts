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
 * Two judgements must both be linear:
 * - the pattern as it is used, an unanchored search, where every start position is retried;
 * - the pattern as `^(?:pattern)$`, where a failing end forces it to try every way it can match:
 *   `(a|a)*` alone matches the empty string at once, but is exponential as soon as anything after
 *   it can fail, and rules are judged for any context they may be used in.
 * Before both, counted repetition (`{2,4}`, `{0,200}`, `{3}`) is analysed as unbounded (`+`, `*`):
 * the automaton analysis calls a bounded repetition constant-time, but `[\s\S]{0,200}a{0,200}b`
 * took 20 s on a 32 KiB URL. recheck cannot analyse backreferences or lookahead (its answer is
 * "unknown"), and an analysis that runs out of time is "unknown" too: unknown is refused.
 */
export function isSafeRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
  } catch {
    return false;
  }
  const known = verdicts.get(pattern);
  if (known !== undefined) return known;
  const analysed = unboundCounts(pattern);
  const asUsed = growth(analysed);
  const verdict = asUsed === 'linear' ? growth(`^(?:${analysed})$`) : asUsed;
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

/** How matching time grows with the input, as far as the automaton analysis can tell. */
function growth(source: string): 'linear' | 'super-linear or unknown' | 'timeout' {
  const diagnostics = checkSync(source, '', { checker: 'automaton', timeout: REGEX_ANALYSIS_TIMEOUT_MS });
  if (diagnostics.status === 'unknown' && diagnostics.error.kind === 'timeout') return 'timeout';
  if (diagnostics.status !== 'safe') return 'super-linear or unknown';
  const type = diagnostics.complexity.type;
  return type === 'constant' || type === 'linear' || type === 'safe' ? 'linear' : 'super-linear or unknown';
}

const COUNT = /^\{(\d+)(,(\d*))?\}/;

/**
 * The pattern with each counted repetition made unbounded: `X{n,m}`, `X{n,}` and `X{n}` (upper
 * bound over 1) become `X*` when n is 0, `X+` otherwise. Every way the original can match is a way
 * the result can, so ambiguity that a bound hides from the analysis shows in the result, at the
 * price of refusing a few patterns whose bound keeps them fast (`\d{2,4}x`). Only quantifier
 * braces are touched: escaped characters and character classes are copied as they are, and a
 * brace that is no quantifier (`x{`, `{,2}`) is a literal, as it is without the `u` flag.
 */
export function unboundCounts(pattern: string): string {
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '\\') {
      out += pattern.slice(i, i + 2);
      i += 2;
    } else if (c === '[') {
      const end = classEnd(pattern, i);
      out += pattern.slice(i, end);
      i = end;
    } else if (c === '{') {
      const count = COUNT.exec(pattern.slice(i));
      if (count === null) {
        out += c;
        i += 1;
        continue;
      }
      const min = Number(count[1]);
      const max = count[2] === undefined ? min : count[3] === '' ? Infinity : Number(count[3]);
      out += max <= 1 ? count[0] : min === 0 ? '*' : '+';
      i += count[0].length;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** Index just past the character class opening at `pattern[i]` (`[`). */
function classEnd(pattern: string, i: number): number {
  let j = i + 1;
  if (pattern[j] === '^') j += 1;
  // Without the `u` flag, `]` right after `[` or `[^` closes nothing in JavaScript: `[]` is empty.
  while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
  return j + 1;
}
