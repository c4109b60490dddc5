/**
 * Whether a parsed URL is an origin and nothing more (http or https, a host, no credentials, no
 * path, query or fragment), as an operator's setting of where the server or its links host is
 * reached must be. `raw` is the text as given: `URL` drops an empty `?` or `#`, which still says
 * the setting was meant as more than an origin.
 */
export function isBareOrigin(url: URL, raw: string): boolean {
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.hostname !== '' &&
    url.username === '' &&
    url.password === '' &&
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '' &&
    !/[?#]/.test(raw)
  );
}
