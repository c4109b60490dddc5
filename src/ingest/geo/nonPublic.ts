import { BlockList } from 'node:net';

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
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/**
 * Whether `ip` (a valid IPv4 or IPv6 address, not IPv4-mapped, 6to4 or Teredo: decode those to
 * the IPv4 address they carry first) is in a range that is never a visitor's location.
 */
export const isNonPublicAddress = (ip: string, family: 4 | 6): boolean => NON_PUBLIC.check(ip, family === 4 ? 'ipv4' : 'ipv6');
