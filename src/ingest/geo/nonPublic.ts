import { BlockList, isIP } from 'node:net';
import { ipv4OfGroups, ipv6Groups, unmapped } from '../ip.js';

/**
 * Addresses that say nothing about where a visitor is: private networks, loopback, link-local,
 * carrier-grade NAT, documentation, multicast and reserved ranges. A visitor seen from one of them
 * sits behind a proxy this server does not trust (or on the same network): the answer is "unknown",
 * never a guess, whatever a database might hold for the range.
 */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 127],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  // IETF protocol assignments (benchmarking 2001:2::/48, ORCHID 2001:10::/28 and 2001:20::/28,
  // anycast services, DRIP): none is a visitor's network, yet the shipped database answers JP, US
  // or CH for them. Its Teredo part (2001::/32) is decoded to IPv4 before this check.
  ['2001::', 23],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  // Site-local (RFC 3879 deprecated it, yet stacks still route it): a private network, like fc00::/7.
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/**
 * Whether `ip` (a valid IPv4 or IPv6 address, not IPv4-mapped, 6to4 or Teredo: decode those to
 * the IPv4 address they carry first) is in a range that is never a visitor's location.
 */
export const isNonPublicAddress = (ip: string, family: 4 | 6): boolean => NON_PUBLIC.check(ip, family === 4 ? 'ipv4' : 'ipv6');

/**
 * The IPv4 address a 6to4 (`2002::/16`, RFC 3056: bits 16–47) or Teredo (`2001::/32`, RFC 4380:
 * the client's public address, inverted, in the last 32 bits) address carries; null for others.
 * Databases hold a single record for each whole tunnel prefix (the shipped one says US for both),
 * so the prefix itself says nothing of the visitor, while the IPv4 address inside is where the
 * traffic really comes from: a 6to4 router's own address, and for Teredo the client's NAT as the
 * Teredo server saw it, which the protocol needs to be right for the tunnel to work at all.
 */
export function tunnelledIpv4(ipv6: string): string | null {
  // Both prefixes start `2001:` or `2002:` in every spelling: the cheap test spares the parse for all other addresses.
  if (!/^200[12]:/i.test(ipv6)) return null;
  const groups = ipv6Groups(ipv6);
  if (groups[0] === 0x2002) return ipv4OfGroups(groups[1] as number, groups[2] as number);
  if (groups[0] === 0x2001 && groups[1] === 0) return ipv4OfGroups((groups[6] as number) ^ 0xffff, (groups[7] as number) ^ 0xffff);
  return null;
}

/**
 * Whether this server may send a request to `ip` on a user's say-so (webhooks, uptime checks):
 * false for every range isNonPublicAddress names, in every spelling that reaches one: IPv4-mapped
 * (`::ffff:127.0.0.1`), IPv4-compatible (`::127.0.0.1`), IPv4-translated (`::ffff:0:127.0.0.1`),
 * NAT64 (`64:ff9b::/96`), 6to4 and Teredo
 * forms are judged by the IPv4 address they carry. Text that is not an address is not public.
 * The one place that decides it: location lookups and outbound requests must not disagree.
 */
export function isPublicAddress(ip: string): boolean {
  const address = unmapped(ip.split('%')[0] as string);
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return !isNonPublicAddress(address, 4);
  const groups = ipv6Groups(address);
  // IPv4-compatible (::/96), IPv4-translated (::ffff:0:0/96, RFC 2765/6052: SIIT reaches the IPv4
  // address in it) and NAT64 (64:ff9b::/96).
  const carriesIpv4 =
    groups.slice(0, 6).every((g) => g === 0) ||
    (groups.slice(0, 4).every((g) => g === 0) && groups[4] === 0xffff && groups[5] === 0) ||
    (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0));
  if (carriesIpv4) return !isNonPublicAddress(ipv4OfGroups(groups[6] as number, groups[7] as number), 4);
  const tunnelled = tunnelledIpv4(address);
  if (tunnelled !== null) return !isNonPublicAddress(tunnelled, 4);
  return !isNonPublicAddress(address, 6);
}
