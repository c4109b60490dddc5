/**
 * The MetaStore holds tenants: agencies, clients and their keys, tags, snippets, hostnames, saved funnels and short links. Two
 * engines implement it (SQLite embedded, PostgreSQL for several API nodes); both pass the same test
 * suite. A store
 * knows nothing of HTTP or validation: it persists what a service decided, and reports unique
 * violations as `UniqueViolation` so the service can say which field collided.
 */

import type { LinkChanges, LinkFilter, LinkRow } from '../links/linkRow.js';
import type { SdkSettings, TriggerRules } from '../loader/remoteConfig.js';
import type { DeliveryOutcome, DeliveryRow, WebhookChanges, WebhookOutcome, WebhookRow } from '../webhooks/webhookRows.js';
import type { CheckRecord, CheckRow, DueMonitor, MonitorRow, MonitorSettings } from '../uptime/monitorRow.js';
import type { PubSubStore } from '../pubsub/pubsubRows.js';
import type { McpKeyStore } from '../mcp/mcpKeyRows.js';
import type { RegexVerdict } from '../validation/safeRegex.js';

export type KeyKind = 'publishable' | 'secret';

/** How ingestion keeps a visitor's IP: /24 (IPv4) or /48 (IPv6) prefix, a keyed hash, or not at all. */
export type IpStorage = 'truncated' | 'hashed' | 'none';

/** Fields of a client as stored. Times are epoch milliseconds, UTC. */
export interface ClientFields {
  id: string;
  name: string;
  status: boolean;
  domain: string | null;
  email: string | null;
  phone: string | null;
  website: string | null;
  timezone: string;
  global_name: string | null;
  company_id: string | null;
  agency_id: string | null;
  api_metadata: Record<string, unknown>;
  ghl_location_id: string | null;
  proxy_key_hash: string | null;
  proxy_key_last4: string | null;
  ip_storage: IpStorage;
  /** Only the settings the operator chose; the remote config lays them over DEFAULT_SDK_SETTINGS. */
  sdk_settings: Partial<SdkSettings>;
  created_at: number;
  updated_at: number;
}

/** A client as read back: its fields plus the display form of its current keys. */
export interface ClientRow extends ClientFields {
  /** The newest publishable key that has no expiry; null only if every key was rotated out. */
  publishable_key: string | null;
  /** Last four characters of the newest secret key without expiry. */
  secret_key_last4: string | null;
}

export type ClientChanges = Partial<Omit<ClientFields, 'id' | 'created_at' | 'updated_at'>>;

export interface KeyRow {
  id: string;
  client_id: string;
  kind: KeyKind;
  /** SHA-256 (hex) of the full key: keys are looked up and compared by hash only. */
  key_hash: string;
  /** Publishable keys are public and kept in full; null for secret keys. */
  publishable_key: string | null;
  last4: string;
  created_at: number;
  /** null while the key is current; set when it is rotated out (grace period end). */
  expires_at: number | null;
  last_used_at: number | null;
}

export interface KeyMatch extends KeyRow {
  client_status: boolean;
}

export interface ClientFilter {
  status?: boolean;
  agency_id?: string;
  company_id?: string;
  ghl_location_id?: string;
  domain?: string;
  /** Case-insensitive substring of id, name, domain or email. */
  q?: string;
  /** Only these clients (an MCP key's allow list): narrowed in the query, so paging and totals count only them. */
  ids?: readonly string[];
}

/** Rows come newest first (created_at, then id, descending); `after` is the last row seen. */
export interface Page {
  limit: number;
  offset?: number;
  after?: { created_at: number; id: string };
}

export interface PageOf<T> {
  rows: T[];
  total: number;
}

export interface AgencyFields {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  website: string | null;
  metadata: Record<string, unknown>;
  created_at: number;
  updated_at: number;
}

export interface AgencyRow extends AgencyFields {
  /** Live count of clients whose agency_id is this agency's id. */
  client_count: number;
}

export type AgencyChanges = Partial<Omit<AgencyFields, 'id' | 'created_at' | 'updated_at'>>;

export interface AgencyFilter {
  q?: string;
}

export type AgencyDeletion =
  | { outcome: 'not_found' }
  | { outcome: 'has_clients'; client_count: number }
  | { outcome: 'deleted'; detached: number };

/** One tag of a client, as validated by the tags service; its position is its index in the list. */
export interface TagRow {
  tag_id: string;
  enabled: boolean;
  params: Record<string, string>;
  trigger_rules: TriggerRules;
}

/** One snippet of a client; its position is its index in the list. */
export interface SnippetRow {
  id: string;
  code: string;
  description: string;
  enabled: boolean;
  trigger_rules: TriggerRules;
}

/** An extra hostname of a client (beyond its domain), in the stored (normalised) form. */
export interface HostnameRow {
  hostname: string;
  client_id: string;
  created_at: number;
}

/** When the first event from one of a client's hostnames (its domain or an extra hostname) was accepted. */
export interface FirstEventRow {
  hostname: string;
  first_event_at: number;
}

/** The client a hostname belongs to, and whether as its domain or as an extra hostname. */
export interface HostnameOwner {
  client_id: string;
  via: 'domain' | 'hostname';
}

/** One step of a saved funnel, as the funnel query takes it: an event name, or a page path viewed. */
export type FunnelStepRow = { event: string } | { path: string };

/** A funnel saved for a client (the dashboard's funnel picker). Times are epoch milliseconds, UTC. */
export interface FunnelRow {
  id: string;
  client_id: string;
  name: string;
  steps: FunnelStepRow[];
  window_seconds: number;
  created_at: number;
  updated_at: number;
}

export type FunnelChanges = Partial<Pick<FunnelRow, 'name' | 'steps' | 'window_seconds'>>;

/** What a conditional funnel insert did. */
export type FunnelInsertion = 'inserted' | 'no_client' | 'limit_reached';

/** Which unique rule a write broke. */
export type UniqueField = 'id' | 'domain' | 'global_name' | 'name' | 'key' | 'hostname' | 'slug';

export class UniqueViolation extends Error {
  constructor(readonly field: UniqueField) {
    super(`unique violation on ${field}`);
    this.name = 'UniqueViolation';
  }
}

/**
 * Verdicts on url_regex patterns (safe or not), by the name of the judging that reached them, kept
 * so that every node and every later start takes them instead of judging again.
 */
export interface RegexVerdictStore {
  /** The verdicts `judging` reached on any of these patterns. */
  regexVerdicts(judging: string, patterns: readonly string[]): Promise<Map<string, boolean>>;
  /** Keeps verdicts; a pattern with one already keeps it (the same judging reaches the same one). */
  saveRegexVerdicts(judging: string, verdicts: readonly RegexVerdict[]): Promise<void>;
}

export interface MetaStore extends PubSubStore, McpKeyStore, RegexVerdictStore {
  readonly engine: 'sqlite' | 'postgres';
  /** Applies pending numbered migrations; safe to call on every start and from several nodes. */
  migrate(): Promise<void>;
  /** Resolves when the store answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;

  insertClient(client: ClientFields, keys: KeyRow[]): Promise<void>;
  getClient(id: string): Promise<ClientRow | null>;
  /**
   * The current life (created_at) of each of these clients that exists, in one query: the event
   * writer asks once per batch, so a node never applies events of a life another node erased.
   */
  clientLives(ids: string[]): Promise<Map<string, number>>;
  listClients(filter: ClientFilter, page: Page): Promise<PageOf<ClientRow>>;
  updateClient(id: string, changes: ClientChanges, updatedAt: number): Promise<ClientRow | null>;
  /** Removes the client and everything stored under it. */
  deleteClient(id: string): Promise<boolean>;

  /**
   * In one transaction: every key of `kinds` that is still valid at `expireOldAt` gets that expiry,
   * then `newKeys` are inserted. Returns false (and changes nothing) if the client does not exist.
   */
  rotateKeys(clientId: string, kinds: KeyKind[], newKeys: KeyRow[], expireOldAt: number, updatedAt: number): Promise<boolean>;
  /** Keys of the client with no expiry or an expiry after `now`, newest first. */
  listActiveKeys(clientId: string, now: number): Promise<KeyRow[]>;
  findKeyByHash(keyHash: string): Promise<KeyMatch | null>;
  touchKey(keyId: string, usedAt: number): Promise<void>;

  insertAgency(agency: AgencyFields, nameKey: string): Promise<void>;
  getAgency(id: string): Promise<AgencyRow | null>;
  listAgencies(filter: AgencyFilter, page: Page): Promise<PageOf<AgencyRow>>;
  updateAgency(id: string, changes: AgencyChanges, nameKey: string | undefined, updatedAt: number): Promise<AgencyRow | null>;
  /** Deletes the agency; with `detachClients`, its clients' agency_id is cleared in the same transaction. */
  deleteAgency(id: string, detachClients: boolean, updatedAt: number): Promise<AgencyDeletion>;

  /**
   * In one transaction: the client's tags become `tags` (in that order) and its updated_at moves.
   * Returns false (and changes nothing) if the client does not exist.
   */
  replaceTags(clientId: string, tags: TagRow[], updatedAt: number): Promise<boolean>;
  /** The client's tags in order; empty for an unknown client. */
  listTags(clientId: string): Promise<TagRow[]>;
  /** As replaceTags, for snippets. Snippet ids are unique across all clients. */
  replaceSnippets(clientId: string, snippets: SnippetRow[], updatedAt: number): Promise<boolean>;
  listSnippets(clientId: string): Promise<SnippetRow[]>;
  /**
   * False when the client does not exist; UniqueViolation('hostname') when any client (this one
   * included) has it already, as an extra hostname or as its domain.
   */
  addHostname(row: HostnameRow): Promise<boolean>;
  /**
   * A hostname any number of clients may have (localhost, an IP address: the service decides).
   * False when the client does not exist; adding one the client has already changes nothing.
   */
  addSharedHostname(row: HostnameRow): Promise<boolean>;
  /** Oldest first, shared ones included. */
  listHostnames(clientId: string): Promise<HostnameRow[]>;
  /** Whether the client has this (normalised) extra hostname, its own or shared. */
  hasHostname(clientId: string, hostname: string): Promise<boolean>;
  /** Also forgets the hostname's first event: attached again, it is checked again. */
  deleteHostname(clientId: string, hostname: string): Promise<boolean>;
  /** Who owns a (normalised) hostname, as a domain or as an extra hostname; null when nobody does. */
  findHostnameOwner(hostname: string): Promise<HostnameOwner | null>;
  /**
   * Records `at` as the first accepted event from the client's `hostname` unless one is recorded
   * already (set-if-null, so nodes racing to set it agree on the earliest writer). Does nothing
   * when the client does not exist, or, given its `life` (created_at), is another life of that id:
   * a request accepted for a hard-deleted client verifies nothing of one re-created with its id.
   */
  recordFirstEvent(clientId: string, hostname: string, at: number, life?: number): Promise<void>;
  /** The client's recorded first events, by hostname. */
  listFirstEvents(clientId: string): Promise<FirstEventRow[]>;

  /**
   * In one transaction, so that racing creates cannot overshoot the limit: inserts the funnel
   * unless its client does not exist or already has `maxPerClient` funnels. `nameKey` is unique
   * per client (UniqueViolation('name')).
   */
  insertFunnel(row: FunnelRow, nameKey: string, maxPerClient: number): Promise<FunnelInsertion>;
  /** The client's funnels by name key, then id; empty for an unknown client. */
  listFunnels(clientId: string): Promise<FunnelRow[]>;
  /** The funnel only when it belongs to this client: another client's funnel id finds nothing. */
  getFunnel(clientId: string, funnelId: string): Promise<FunnelRow | null>;
  /** Null when the client has no such funnel; UniqueViolation('name') when `nameKey` is taken. */
  updateFunnel(clientId: string, funnelId: string, changes: FunnelChanges, nameKey: string | undefined, updatedAt: number): Promise<FunnelRow | null>;
  deleteFunnel(clientId: string, funnelId: string): Promise<boolean>;

  /**
   * Starts monitoring the link, or changes the settings of its running monitor. A monitor that
   * was not active starts afresh (status unknown, no failures counted, its lease freed) with its
   * first check due at `now`: a check of the stopped monitor still running then cannot record its
   * stale state over the fresh start (recordCheck needs the lease). A running one keeps its
   * state and lease, its next check moved no later than `now` plus the new interval. Null when the link does not exist.
   */
  startMonitor(linkId: string, settings: MonitorSettings, now: number): Promise<MonitorRow | null>;
  /** Stops the link's monitor (its status and history are kept); null when it has none. */
  stopMonitor(linkId: string): Promise<MonitorRow | null>;
  getMonitor(linkId: string): Promise<MonitorRow | null>;
  /** The link's newest checks first, at most `limit`. */
  listChecks(linkId: string, limit: number): Promise<CheckRow[]>;
  /**
   * Atomically takes up to `limit` active monitors due at `now` whose lease is free or expired:
   * each gets `owner`'s lease until `now + leaseMs` and a provisional next check one interval
   * after `now` (so a node that dies mid-check delays that monitor by one interval at most).
   * Two nodes claiming at once never get the same monitor.
   */
  claimDueMonitors(now: number, owner: string, leaseMs: number, limit: number): Promise<DueMonitor[]>;
  /**
   * Writes a check and the monitor's new state and frees the lease, only while `owner` still
   * holds it and the monitor is active; then keeps the link's newest `keep` checks. False (and
   * nothing written but a freed lease of `owner`) otherwise: a result that comes too late is dropped.
   */
  recordCheck(owner: string, record: CheckRecord, keep: number): Promise<boolean>;
  /** 'no_client' (nothing inserted) when the webhook names a client that does not exist. */
  insertWebhook(row: WebhookRow): Promise<'inserted' | 'no_client'>;
  getWebhook(id: string): Promise<WebhookRow | null>;
  listWebhooks(page: Page): Promise<PageOf<WebhookRow>>;
  /** Every enabled webhook: publishing picks the subscribed ones. */
  listEnabledWebhooks(): Promise<WebhookRow[]>;
  updateWebhook(id: string, changes: WebhookChanges, updatedAt: number): Promise<WebhookRow | null>;
  /** Also deletes its deliveries. */
  deleteWebhook(id: string): Promise<boolean>;
  /**
   * Moves the webhook's failure counters by one attempt's outcome, atomically (several nodes
   * deliver at once): delivered clears them; a failed attempt starts failing_since; a delivery
   * failed for good also counts one more consecutive failure. The row after the change.
   */
  noteWebhookOutcome(id: string, outcome: WebhookOutcome, at: number): Promise<WebhookRow | null>;
  /** In one transaction; rows of a webhook deleted meanwhile are dropped. */
  insertDeliveries(rows: DeliveryRow[]): Promise<void>;
  getDelivery(id: string): Promise<DeliveryRow | null>;
  /** A webhook's deliveries, newest first. */
  listDeliveries(webhookId: string, page: Page): Promise<PageOf<DeliveryRow>>;
  /**
   * Leases up to `limit` pending deliveries of enabled webhooks that are due at `now` and not
   * leased (or whose lease ran out) to `owner` until `leaseUntil`, atomically: two dispatchers,
   * on one node or several, never hold one delivery at the same time.
   */
  claimDueDeliveries(now: number, leaseUntil: number, owner: string, limit: number): Promise<DeliveryRow[]>;
  /** Records an attempt and releases the lease; false (nothing written) if `owner` lost the lease. */
  finishDelivery(id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean>;
  /** Deletes delivered and failed deliveries finished before `before`; the number deleted. */
  pruneDeliveries(before: number): Promise<number>;

  /**
   * Inserts the link unless its client (when it has one) does not exist: 'no_client', nothing
   * stored. UniqueViolation('slug') when another link has its slug_key.
   */
  insertLink(row: LinkRow): Promise<'inserted' | 'no_client'>;
  getLink(id: string): Promise<LinkRow | null>;
  /** The link whose slug_key (the lowercased slug) is this one: the redirect's lookup. */
  findLinkBySlug(slugKey: string): Promise<LinkRow | null>;
  /** Newest first (created_at, then id, descending). */
  listLinks(filter: LinkFilter, page: Page): Promise<PageOf<LinkRow>>;
  /** Null when there is no such link; UniqueViolation('slug') when the new slug_key is taken. */
  updateLink(id: string, changes: LinkChanges, updatedAt: number): Promise<LinkRow | null>;
  deleteLink(id: string): Promise<boolean>;
}
