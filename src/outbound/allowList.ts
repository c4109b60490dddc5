import { BlockList, isIP } from 'node:net';
import { unmapped } from '../ingest/ip.js';

/**
 * The operator's exceptions to the outbound rule (MYTHIC_OUTBOUND_ALLOW): addresses, CIDR ranges
 * and host names this server may reach although they are not public, such as a receiver on the
 * same network. A host name is matched exactly (case and a trailing dot aside), never as a suffix:
 * allowing `hooks.internal` allows nothing else.
 */
export interface OutboundAllowList {
  allowsHost(hostname: string): boolean;
  allowsAddress(address: string): boolean;
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

const hostKey = (hostname: string): string => hostname.toLowerCase().replace(/\.$/, '');

/** Why one entry of the list is not an address, a CIDR range or a host name; null when it is one. */
export function allowEntryProblem(entry: string): string | null {
  const [address = '', prefix, ...extra] = entry.split('/');
  const family = isIP(address);
  if (family !== 0) {
    if (extra.length > 0) return `'${entry}' is not a CIDR range`;
    if (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))) return `'${entry}' has an invalid prefix length`;
    return null;
  }
  return prefix === undefined && HOST_NAME.test(hostKey(entry)) ? null : `'${entry}' is neither an IP address, a CIDR range nor a host name`;
}

/** The list from its entries (already checked with allowEntryProblem: an invalid entry throws). */
export function outboundAllowList(entries: readonly string[]): OutboundAllowList {
  const ranges = new BlockList();
  const hosts = new Set<string>();
  for (const entry of entries) {
    const problem = allowEntryProblem(entry);
    if (problem !== null) throw new Error(problem);
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    if (family === 0) hosts.add(hostKey(entry));
    else ranges.addSubnet(address, prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
  }
  const inRanges = (address: string): boolean => {
    const family = isIP(address);
    return family !== 0 && ranges.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
  return {
    allowsHost: (hostname) => hosts.has(hostKey(hostname)),
    allowsAddress: (address) => inRanges(address) || inRanges(unmapped(address)),
  };
}

/** The entries of MYTHIC_OUTBOUND_ALLOW's comma-separated text (empty entries dropped). */
export const splitAllowList = (raw: string): string[] =>
  raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
