import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { IpStorage } from '../store/metaStore.js';

/**
 * IPv4-mapped IPv6 (`::ffff:0:0/96`, as dual-stack sockets report IPv4 peers) as plain IPv4, in
 * every spelling: `::ffff:192.0.2.1`, `::ffff:c000:201`, `0:0:0:0:0:ffff:192.0.2.1`. Matching one
 * spelling only left the others without a location and stored them truncated as IPv6.
 */
export function unmapped(ip: string): string {
  // Every spelling of the prefix has a `:ffff:` group: the cheap test spares the parse for all other addresses.
  if (!/:ffff:/i.test(ip) || !isIPv6(ip)) return ip;
  const groups = ipv6Groups(ip);
  if (groups.slice(0, 5).some((g) => g !== 0) || groups[5] !== 0xffff) return ip;
  return ipv4OfGroups(groups[6] as number, groups[7] as number);
}

/** The IPv4 address held in two 16-bit groups (the high one first). */
export function ipv4OfGroups(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/** The eight 16-bit groups of a valid IPv6 address (zone index dropped, embedded IPv4 converted). */
export function ipv6Groups(ip: string): number[] {
  let text = ip.split('%')[0] as string;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const front = parse(head);
  if (tail === undefined) return front;
  const back = parse(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/** Canonical (RFC 5952) text of eight groups: lowercase, longest run of zero groups as `::`. */
function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * What per-address limits count: an IPv4 address, or the /64 network of an IPv6 one. An IPv6
 * subscriber is routinely given a whole /64 (2^64 addresses), so counting single IPv6 addresses
 * would let one sender step past every per-address limit by changing its address each request.
 */
export function limitedAddress(ip: string): string {
  const address = unmapped(ip);
  if (!isIPv6(address)) return address;
  return `${formatIpv6([...ipv6Groups(address).slice(0, 4), 0, 0, 0, 0])}/64`;
}

/**
 * The address with its host part removed: the last octet of IPv4 (a /24), everything after the
 * first 48 bits of IPv6 (a /48, one site). Enough for coarse location, not for finding a person.
 * Returns null for text that is not an IP address.
 */
export function truncateIp(ip: string): string | null {
  const address = unmapped(ip);
  if (isIPv4(address)) return address.replace(/\.\d+$/, '.0');
  if (!isIPv6(address)) return null;
  const groups = ipv6Groups(address);
  // A 6to4 address (2002::/16) holds a whole IPv4 address in its first 48 bits: /48 would keep it
  // entire, so it is cut where the IPv4 address inside would be (its /24).
  if (groups[0] === 0x2002) return formatIpv6([0x2002, groups[1] as number, (groups[2] as number) & 0xff00, 0, 0, 0, 0, 0]);
  return formatIpv6([...groups.slice(0, 3), 0, 0, 0, 0, 0]);
}

/**
 * A stable pseudonym of the address within one client: HMAC-SHA256 under the server's secret, over
 * the client id and the address, so the same visitor hashes alike for one client and differently
 * for another, and nobody without the secret can test guesses. 128 bits (32 hex) is plenty to
 * tell visitors apart.
 */
export function hashIp(ip: string, clientId: string, secret: Buffer): string {
  return createHmac('sha256', secret).update(`${clientId}\n${unmapped(ip)}`).digest('hex').slice(0, 32);
}

/** The form of `ip` stored for a client with the given setting. */
export function storedIp(ip: string | null, storage: IpStorage, clientId: string, secret: Buffer): string | null {
  if (ip === null || storage === 'none') return null;
  if (storage === 'hashed') return hashIp(ip, clientId, secret);
  return truncateIp(ip);
}

/**
 * The visitor's address from the first entry of X-Forwarded-For (a proxy appends to the right, so
 * the leftmost entry is the original client). Tolerates a port (`1.2.3.4:5678`, `[::1]:80`).
 * undefined when the header is absent; null when its first entry is not an address.
 */
export function forwardedFor(header: string | string[] | undefined): string | null | undefined {
  if (header === undefined) return undefined;
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim() ?? '';
  const candidates = [first, first.replace(/^\[(.*)\](?::\d+)?$/, '$1'), first.replace(/^([\d.]+):\d+$/, '$1')];
  const address = candidates.find((c) => isIPv4(c) || isIPv6(c));
  return address === undefined ? null : unmapped(address);
}

/** Whether a caller-supplied value is an IP address (sk callers may set the visitor's). */
export const isIpAddress = (value: string): boolean => isIPv4(value) || isIPv6(value);

/**
 * The key of hashed addresses, derived from the admin key's hash: the one secret every node of a
 * deployment already shares, so no setting is needed and nodes hash alike. Changing the admin key
 * changes every hash from then on (visitors look new once), which is also how an operator
 * discards the old pseudonyms.
 */
export function deriveIpHashSecret(adminKeyHash: string): Buffer {
  return createHmac('sha256', Buffer.from(adminKeyHash, 'hex')).update('mythic/ip-hash/v1').digest();
}
