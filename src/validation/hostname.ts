import { domainToASCII } from 'node:url';

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
