/**
 * A short link as the MetaStore keeps it. Times are epoch milliseconds, UTC. The links service
 * validates; the stores persist. `slug_key` (the slug lowercased) is unique across all links, so
 * `Summer-Sale` and `summer-sale` are one slug, as a reader typing it would expect.
 */
export interface LinkRow {
  id: string;
  /** null: a link of no client; its clicks are counted under the links-only pseudo-tenant (LINKS_PSEUDO_CLIENT). */
  client_id: string | null;
  slug: string;
  slug_key: string;
  destination_url: string;
  title: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  /** A slow hash (scrypt, with its salt and cost) of the link's password; null when it has none. */
  password_hash: string | null;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
}

export type LinkChanges = Partial<Pick<LinkRow, 'destination_url' | 'slug' | 'slug_key' | 'title' | 'tags' | 'metadata' | 'password_hash' | 'expires_at'>>;

export interface LinkFilter {
  /** Only this client's links; `null` only the links of no client. */
  client_id?: string | null;
  /** Links carrying this tag (exact). */
  tag?: string;
  /** Case-insensitive substring of slug, title or destination_url. */
  q?: string;
}

/**
 * The client id under which clicks of links without a client are stored: a real client row,
 * created by the links service on first need, so reports, erasure and the event writer treat it
 * like any other. The clients API refuses this id to callers.
 */
export const LINKS_PSEUDO_CLIENT = '_links';

/**
 * The `client_id` of the links a `/clients/{id}/links…` path names: null for LINKS_PSEUDO_CLIENT
 * (links of no client), the id itself otherwise. One place, so every route under that path agrees.
 */
export const linkOwnerOfPath = (clientId: string): string | null => (clientId === LINKS_PSEUDO_CLIENT ? null : clientId);
