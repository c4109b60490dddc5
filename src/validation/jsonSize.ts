/** Size of a value once serialised as UTF-8 JSON, the form in which it is stored. */
export function jsonByteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
