/**
 * Text both stores can hold: PostgreSQL refuses NUL characters, and unpaired UTF-16 surrogates
 * cannot be encoded as UTF-8 without being silently replaced. Returns the dotted path of the first
 * string (or object key) that breaks this, or null.
 */
export function findUnstorableText(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return isStorable(value) ? null : path || '(body)';
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findUnstorableText(item, path ? `${path}.${i}` : String(i));
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const keyPath = path ? `${path}.${key}` : key;
      if (!isStorable(key)) return keyPath;
      const found = findUnstorableText(item, keyPath);
      if (found !== null) return found;
    }
  }
  return null;
}

function isStorable(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}
