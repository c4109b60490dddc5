import { domainToASCII } from 'node:url';
import { isIPv4, isIPv6 } from 'node:net';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const FORBIDDEN = /[\s/:@?#\\[\]%]/;

/**
 * The one stored form of a hostname: lowercase ASCII, internationalised labels as punycode
 * (`bücher.example` → `xn--bcher-kva.example`), no trailing dot. Returns null when the input is not
 * a bare hostname: schemes, ports, paths, IP addresses and empty labels are all refused, because the
 * value is later compared with the host of a browser's Origin header.
 */
export function normalizeHostname(input: string): string | null {
  if (input.length === 0 || input.length > 255 || FORBIDDEN.test(input)) return null;
  const withoutDot = input.endsWith('.') ? input.slice(0, -1) : input;
  const ascii = domainToASCII(withoutDot);
  if (ascii === '' || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (!labels.every((label) => LABEL.test(label))) return null;
  // A numeric last label means an IPv4 address (or nonsense): a site is named, not numbered.
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return null;
  return ascii;
}

const PORT = /^[0-9]{1,5}$/;
const validPort = (port: string | undefined): boolean => port === undefined || (PORT.test(port) && Number(port) >= 1 && Number(port) <= 65_535);

/**
 * The stored form of a client's extra hostname: a hostname as above, or, for testing on one's own
 * machine, an IPv4 address or a bracketed IPv6 address (`[::1]`, in the compressed form a
 * browser's Origin carries); `localhost` is a hostname already. A port may follow any of them and
 * is dropped, since origins are matched by host alone. Returns null for anything else.
 */
export function normalizeSiteHost(input: string): string | null {
  if (input.length === 0 || input.length > 255) return null;
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::([^:]*))?$/.exec(input);
  if (bracketed !== null) {
    const [, address = '', port] = bracketed;
    // Zone ids (`%eth0`) are refused by the class above: a browser never sends one in an Origin.
    return isIPv6(address) && validPort(port) ? new URL(`http://[${address}]`).hostname : null;
  }
  const colon = input.lastIndexOf(':');
  const host = colon === -1 ? input : input.slice(0, colon);
  if (colon !== -1 && !validPort(input.slice(colon + 1))) return null;
  if (isIPv4(host)) return host;
  return normalizeHostname(host);
}

/**
 * Whether a stored hostname names a machine rather than a site: `localhost` (and its subdomains,
 * which resolve to loopback by RFC 6761) or an IP address. Every developer's machine has them, so
 * any number of clients may add them for local testing.
 */
export function isLocalHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname.startsWith('[') || isIPv4(hostname);
}
