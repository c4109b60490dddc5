/** Size of a value once serialised as UTF-8 JSON, the form in which it is stored. */
export function jsonByteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/**
 * How deep arrays and objects may nest in a stored JSON value, the value itself being level 1.
 * JSON.stringify recurses, and a few thousand levels (which fit in 16 KiB) exhaust the call stack.
 */
export const MAX_JSON_DEPTH = 100;

/** Whether arrays and objects in `value` nest deeper than `max` levels; iterative, so any depth is safe. */
export function jsonNestsDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}
