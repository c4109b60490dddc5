/** An absolute http(s) URL with a host, as a client's public website must be. */
export function isHttpUrl(input: string): boolean {
  if (!/^https?:\/\//i.test(input)) return false;
  try {
    const url = new URL(input);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
