/**
 * Slugs: the path of a short URL. Generated ones are 7 characters from an alphabet without the
 * look-alikes 0/o, 1/l/i (31^7 ≈ 27.5 billion, so a collision is rare and a retry settles it), so
 * a slug read off a poster or a QR code caption is typed right. Custom ones are checked here and
 * in the schema; reserved words are refused because they are (or may become) paths of this server
 * on the main address and on the links host.
 */
import { randomBase62, randomFrom } from '../shared/randomText.js';
import { LINKS_HOST_PASSTHROUGH } from './linksHost.js';

export const SLUG_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';
export const GENERATED_SLUG_LENGTH = 7;
export const SLUG_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';

/** Compared with the slug lowercased. Some cannot pass SLUG_PATTERN; they are listed as a record of intent. */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'api', 'l', 's', 'e', 'sdk', 'mcp', 'admin', 'assets', 'app', 'dashboard', 'health', 'login', 'logout', 'static',
  'favicon.ico', 'robots.txt', 'well-known', '.well-known', 'ingest', 'batch', 'openapi.json', 'index.html',
  // What the links host passes on instead of redirecting (`/healthz`): a link of that name would be unreachable there.
  ...LINKS_HOST_PASSTHROUGH.map((path) => (path.split('/')[1] ?? '').toLowerCase()),
]);

/** The stored key of a slug: `Summer-Sale` and `summer-sale` are one slug. */
export const slugKeyOf = (slug: string): string => slug.toLowerCase();

export const isReservedSlug = (slug: string): boolean => RESERVED_SLUGS.has(slugKeyOf(slug));

export const generateSlug = (): string => randomFrom(SLUG_ALPHABET, GENERATED_SLUG_LENGTH);

/** `lnk_` and 12 base62 characters (71 bits) from the system's random source. */
export const generateLinkId = (): string => `lnk_${randomBase62(12)}`;
