/**
 * Text both stores can hold: PostgreSQL refuses NUL characters, and unpaired UTF-16 surrogates
 * cannot be encoded as UTF-8 without being silently replaced. Returns the dotted path of the first
 * string (or object key) that breaks this, or null.
 *
 * Walks with an explicit stack rather than recursion: a 1 MiB body can nest half a million levels
 * deep, which would exhaust the call stack (a 500) before validation could refuse it. Paths are
 * built only for the value reported, so deep input costs linear time.
 */
export function findUnstorableText(value: unknown): string | null {
  interface Visit {
    value: unknown;
    parent: Visit | null;
    /** Array index or object key under the parent; null for the root. */
    segment: string | null;
    /** Whether `segment` is an object key, which must be storable itself. */
    isKey: boolean;
  }
  const pathOf = (visit: Visit): string => {
    const segments: string[] = [];
    for (let v: Visit | null = visit; v !== null && v.segment !== null; v = v.parent) segments.push(v.segment);
    return segments.reverse().join('.');
  };
  const pending: Visit[] = [{ value, parent: null, segment: null, isKey: false }];
  while (pending.length > 0) {
    const visit = pending.pop() as Visit;
    if (visit.isKey && !isStorable(visit.segment as string)) return pathOf(visit);
    const item = visit.value;
    if (typeof item === 'string') {
      if (!isStorable(item)) return pathOf(visit) || '(body)';
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    // Pushed last-first, so that children are visited in order and the first offender is reported.
    const children: Visit[] = Array.isArray(item)
      ? item.map((child: unknown, i) => ({ value: child, parent: visit, segment: String(i), isKey: false }))
      : Object.entries(item).map(([key, child]) => ({ value: child, parent: visit, segment: key, isKey: true }));
    for (let i = children.length - 1; i >= 0; i -= 1) pending.push(children[i] as Visit);
  }
  return null;
}

function isStorable(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}
