/**
 * Whether an operator's regular expression may run in visitors' browsers: it must compile (without
 * flags, as the loader compiles it) and must not repeat a group that itself repeats something, such
 * as `(a+)+` or `(.*)*`. Nested repetition is what makes backtracking exponential, and a trigger
 * rule is evaluated on every page view of every visitor, so a catastrophic pattern would freeze
 * the customer's site. Conservative on purpose: `(\w+\.)+` is refused too, though it happens to be
 * unambiguous; such rules can be written with `url_contains` or `path_prefix` instead.
 */
export function isSafeRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
  } catch {
    return false;
  }
  return !hasNestedRepetition(pattern);
}

interface Frame {
  /** Whether something inside this group (at any depth) is repeated more than once. */
  repeats: boolean;
}

const BRACES = /^\{(\d+)(,(\d*))?\}/;

/**
 * The largest count of the quantifier at `pattern[i]`, with its length; null when there is none.
 * Without the `u` flag a brace that does not form a quantifier (`{`, `{,2}`) is a literal.
 */
function quantifierAt(pattern: string, i: number): { max: number; length: number } | null {
  const c = pattern[i];
  let max: number;
  let length = 1;
  if (c === '*' || c === '+') max = Infinity;
  else if (c === '?') max = 1;
  else if (c === '{') {
    const braces = BRACES.exec(pattern.slice(i));
    if (!braces) return null;
    length = braces[0].length;
    max = braces[2] === undefined ? Number(braces[1]) : braces[3] === '' ? Infinity : Number(braces[3]);
  } else return null;
  // A trailing `?` makes the quantifier lazy; it is part of it, not a quantifier of its own.
  if (pattern[i + length] === '?') length += 1;
  return { max, length };
}

/** Index just past the character class opening at `pattern[i]` (`[`). */
function skipClass(pattern: string, i: number): number {
  let j = i + 1;
  if (pattern[j] === '^') j += 1;
  while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** Index just past a group's opening: `(`, `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!` or `(?<name>`. */
function skipGroupOpening(pattern: string, i: number): number {
  if (pattern[i + 1] !== '?') return i + 1;
  if (pattern[i + 2] === '<' && pattern[i + 3] !== '=' && pattern[i + 3] !== '!') {
    const close = pattern.indexOf('>', i + 3);
    return close < 0 ? pattern.length : close + 1;
  }
  return i + (pattern[i + 2] === '<' ? 4 : 3);
}

/** Assumes `pattern` compiles. */
export function hasNestedRepetition(pattern: string): boolean {
  const stack: Frame[] = [{ repeats: false }];
  // What a quantifier at the current position would apply to.
  let previous: 'none' | 'atom' | Frame = 'none';
  let i = 0;
  while (i < pattern.length) {
    const current = stack[stack.length - 1] as Frame;
    const quantifier = previous === 'none' ? null : quantifierAt(pattern, i);
    if (quantifier) {
      if (quantifier.max > 1) {
        if (typeof previous === 'object' && previous.repeats) return true;
        current.repeats = true;
      }
      previous = 'none';
      i += quantifier.length;
      continue;
    }
    const c = pattern[i];
    if (c === '\\') {
      previous = 'atom';
      i += 2;
    } else if (c === '[') {
      previous = 'atom';
      i = skipClass(pattern, i);
    } else if (c === '(') {
      stack.push({ repeats: false });
      previous = 'none';
      i = skipGroupOpening(pattern, i);
    } else if (c === ')') {
      const group = stack.length > 1 ? (stack.pop() as Frame) : { repeats: false };
      const parent = stack[stack.length - 1] as Frame;
      parent.repeats ||= group.repeats;
      previous = group;
      i += 1;
    } else if (c === '|') {
      previous = 'none';
      i += 1;
    } else {
      previous = c === '^' || c === '$' ? 'none' : 'atom';
      i += 1;
    }
  }
  return false;
}
