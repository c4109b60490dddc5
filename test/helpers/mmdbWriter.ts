import { isIPv4 } from 'node:net';

/**
 * A small MaxMind DB writer for test fixtures, written from the public format spec
 * (https://maxmind.github.io/MaxMind-DB/): no City database ships with Mythic and none may be
 * downloaded in tests, so tests build one holding the few networks they ask about. It writes an
 * IPv6 tree (IPv4 networks sit under ::/96, where readers look them up) with 32-bit records, a data
 * section of the values it is given, and the metadata (an IPv4-only tree on request). Enough for the types location records use:
 * maps, arrays, UTF-8 strings, unsigned integers, doubles and booleans.
 */

export type MmdbValue = string | number | boolean | MmdbValue[] | { [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** An address and prefix length, such as `8.8.8.0/24` or `2a00:1450::/32`. */
  cidr: string;
  data: MmdbValue;
}

export interface MmdbOptions {
  databaseType: string;
  /** Seconds since the epoch. */
  buildEpoch: number;
  languages?: string[];
  description?: Record<string, string>;
  /** 6 (default): an IPv6 tree, IPv4 networks under ::/96. 4: an IPv4 tree, IPv4 networks only. */
  ipVersion?: 4 | 6;
}

const TYPE = { string: 2, double: 3, uint32: 6, map: 7, uint64: 9, array: 11, boolean: 14 } as const;

/** A control byte (and extended-type byte) with the size in the spec's variable-length form. */
function control(type: number, size: number): Buffer {
  const extended = type > 7;
  const first = (extended ? 0 : type) << 5;
  const typeByte = extended ? [type - 7] : [];
  if (size < 29) return Buffer.from([first | size, ...typeByte]);
  if (size < 285) return Buffer.from([first | 29, ...typeByte, size - 29]);
  if (size < 65_821) {
    const rest = size - 285;
    return Buffer.from([first | 30, ...typeByte, rest >> 8, rest & 0xff]);
  }
  const rest = size - 65_821;
  return Buffer.from([first | 31, ...typeByte, (rest >> 16) & 0xff, (rest >> 8) & 0xff, rest & 0xff]);
}

function unsigned(type: number, value: number): Buffer {
  const bytes: number[] = [];
  for (let rest = BigInt(value); rest > 0n; rest >>= 8n) bytes.unshift(Number(rest & 0xffn));
  return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
}

export function encodeValue(value: MmdbValue): Buffer {
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8');
    return Buffer.concat([control(TYPE.string, text.length), text]);
  }
  if (typeof value === 'boolean') return control(TYPE.boolean, value ? 1 : 0);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return unsigned(value < 2 ** 32 ? TYPE.uint32 : TYPE.uint64, value);
    const double = Buffer.alloc(8);
    double.writeDoubleBE(value);
    return Buffer.concat([control(TYPE.double, 8), double]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(TYPE.array, value.length), ...value.map(encodeValue)]);
  const entries = Object.entries(value);
  return Buffer.concat([control(TYPE.map, entries.length), ...entries.flatMap(([key, item]) => [encodeValue(key), encodeValue(item)])]);
}

/** The bits of a network's address in the tree (128 in an IPv6 one, 32 in an IPv4 one), and its prefix length there. */
function networkBits(cidr: string, ipVersion: 4 | 6): { bits: number[]; prefix: number } {
  const [address = '', length = ''] = cidr.split('/');
  if (ipVersion === 4 && !isIPv4(address)) throw new Error(`${cidr} cannot be in an IPv4 database`);
  const inV6 = isIPv4(address) && ipVersion === 6;
  const bytes = isIPv4(address) ? [...new Array<number>(inV6 ? 12 : 0).fill(0), ...address.split('.').map(Number)] : ipv6Bytes(address);
  const prefix = Number(length) + (inV6 ? 96 : 0);
  const bits = bytes.flatMap((byte) => [7, 6, 5, 4, 3, 2, 1, 0].map((shift) => (byte >> shift) & 1));
  return { bits, prefix };
}

function ipv6Bytes(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  return all.flatMap((group) => [group >> 8, group & 0xff]);
}

type TreeRecord = { node: number } | { data: number } | null;

/** The bytes of a MaxMind DB holding `networks` (more specific networks must not overlap earlier ones' leaves). */
export function writeMmdb(networks: MmdbNetwork[], options: MmdbOptions): Buffer {
  const nodes: [TreeRecord, TreeRecord][] = [[null, null]];
  const dataParts: Buffer[] = [];
  let dataLength = 0;
  for (const network of networks) {
    const encoded = encodeValue(network.data);
    const offset = dataLength;
    dataParts.push(encoded);
    dataLength += encoded.length;
    const { bits, prefix } = networkBits(network.cidr, options.ipVersion ?? 6);
    let node = 0;
    for (let depth = 0; depth < prefix - 1; depth += 1) {
      const bit = bits[depth] as 0 | 1;
      const next = (nodes[node] as [TreeRecord, TreeRecord])[bit];
      if (next !== null && 'node' in next) {
        node = next.node;
        continue;
      }
      if (next !== null) throw new Error(`${network.cidr} lies inside a network written before it`);
      nodes.push([null, null]);
      (nodes[node] as [TreeRecord, TreeRecord])[bit] = { node: nodes.length - 1 };
      node = nodes.length - 1;
    }
    (nodes[node] as [TreeRecord, TreeRecord])[bits[prefix - 1] as 0 | 1] = { data: offset };
  }
  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * 8);
  const recordValue = (record: TreeRecord): number => (record === null ? nodeCount : 'node' in record ? record.node : nodeCount + 16 + record.data);
  nodes.forEach(([left, right], i) => {
    tree.writeUInt32BE(recordValue(left), i * 8);
    tree.writeUInt32BE(recordValue(right), i * 8 + 4);
  });
  const metadata = encodeValue({
    node_count: nodeCount,
    record_size: 32,
    ip_version: options.ipVersion ?? 6,
    database_type: options.databaseType,
    languages: options.languages ?? ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: options.buildEpoch,
    description: options.description ?? { en: `${options.databaseType} test fixture` },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...dataParts, Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'), metadata]);
}
