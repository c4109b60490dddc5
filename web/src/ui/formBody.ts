/**
 * The body a form sends: on create (`original` null) only the fields filled in; on edit only the
 * fields that changed, an emptied optional field becoming null (the API's "clear it").
 */
export function formBody(
  values: Record<string, string>,
  original: Record<string, unknown> | null,
  required: readonly string[],
): Record<string, string | null> {
  const body: Record<string, string | null> = {};
  for (const [name, raw] of Object.entries(values)) {
    const value = raw.trim();
    if (original === null) {
      if (value !== '') body[name] = value;
    } else if (value !== String(original[name] ?? '')) {
      body[name] = value === '' && !required.includes(name) ? null : value;
    }
  }
  return body;
}
