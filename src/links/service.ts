/**
 * Short links, for the operator (admin key: every link, and links of no client) and for a client
 * (its own sk_, under /clients/{id}/links): a client key naming another client is refused before
 * anything is looked up, and under a client's path a link of another client is not found. The
 * service knows nothing of HTTP: the routes hand it the base of short URLs, it throws ApiError.
 * Clicks come from the event engine through `clickCounts`, one call per answer or list page.
 */
import { ApiError, conflict, invalidFields, notFound, type FieldProblem } from '../http/apiError.js';
import { toIso, toIsoOrNull } from '../http/common.js';
import { authorizeRead, type QueryCaller } from '../keys/readAccess.js';
import type { KeysService } from '../keys/service.js';
import { requireClient } from '../clients/requireClient.js';
import type { Clock } from '../shared/clock.js';
import { listPage, type Listing, type PagingInput } from '../shared/paging.js';
import { UniqueViolation, type MetaStore } from '../store/metaStore.js';
import type { WebhookEvents } from '../webhooks/webhookEvents.js';
import { LINKS_PSEUDO_CLIENT, linkOwnerOfPath, type LinkChanges, type LinkFilter, type LinkRow } from './linkRow.js';
import { hashLinkPassword } from './password.js';
import {
  LINK_SETTABLE_FIELDS,
  type CreateClientLinkInput,
  type CreateLinkInput,
  type LinkView,
  type UpdateLinkInput,
} from './schemas.js';
import { shortUrlOf } from './shortUrl.js';
import { generateLinkId, generateSlug, isReservedSlug, slugKeyOf } from './slugs.js';

/** Live click counts of these links (client_id: the link's client, or LINKS_PSEUDO_CLIENT), by link id. */
export type LinkClickCounts = (links: { id: string; client_id: string }[]) => Promise<Map<string, { clicks: number; bot_clicks: number }>>;

/** Generated slugs collide about once in billions of creates; five tries make a failure a bug. */
const SLUG_TRIES = 5;

export interface LinksServiceDeps {
  store: MetaStore;
  keys: KeysService;
  clock: Clock;
  clickCounts: LinkClickCounts;
  webhooks: Pick<WebhookEvents, 'publish'>;
  /** Where a failure that must not fail the request goes (a webhook queue that refused `link.created`). */
  reportError: (message: string, error: unknown) => void;
  /** Where a degraded answer is noted (click counts left null because the event engine failed). */
  reportWarning: (message: string, error: unknown) => void;
}

type CreateFields = Omit<CreateLinkInput, 'client_id'>;

const slugTaken = (slug: string): ApiError => conflict('slug', `The slug '${slug}' is already taken (slugs are compared regardless of case)`);

function destinationProblems(url: string | undefined): FieldProblem[] {
  if (url === undefined) return [];
  // `http:///x` and `https:\\x` parse (the host is taken from what follows), but say something else to a reader.
  if (!/^https?:\/\/[^/\\]/i.test(url)) {
    return [{ field: 'destination_url', message: 'must name a host right after the scheme, as in https://example.com/page' }];
  }
  const parsed = new URL(url);
  if (parsed.username !== '' || parsed.password !== '') {
    return [{ field: 'destination_url', message: 'must not carry a user name or password: the short URL would give them to everyone' }];
  }
  return [];
}

/**
 * The destination as the URL standard serialises it (host lowercased, non-ASCII percent-encoded or
 * punycoded, `/` for an empty path): the redirect sends it as the Location header, where it must be
 * ASCII and read the same by every browser.
 */
const normalizedDestination = (url: string): string => new URL(url).href;

function slugProblems(slug: string | undefined): FieldProblem[] {
  if (slug === undefined || !isReservedSlug(slug)) return [];
  return [{ field: 'slug', message: `'${slug}' is reserved: this server uses it as a path; choose another slug` }];
}

function instantOf(value: string | null | undefined, problems: FieldProblem[]): number | null | undefined {
  if (value === undefined || value === null) return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) problems.push({ field: 'expires_at', message: 'is not a date-time this server can read' });
  return ms;
}

const uniqueTags = (tags: string[] | undefined): string[] | undefined => (tags === undefined ? undefined : [...new Set(tags)]);

export class LinksService {
  /** Settles once the links-only client row exists; reset when making it failed. */
  private pseudoClient: Promise<void> | null = null;

  constructor(private readonly deps: LinksServiceDeps) {}

  // ---- the operator's door: /links -------------------------------------------------------

  async create(input: CreateLinkInput, base: string): Promise<LinkView> {
    const { client_id: clientId, ...fields } = input;
    if (clientId === LINKS_PSEUDO_CLIENT) {
      throw invalidFields([{ field: 'client_id', message: `'${LINKS_PSEUDO_CLIENT}' is not a client: omit client_id for a link of no client` }]);
    }
    return this.insert(clientId ?? null, fields, base);
  }

  async list(query: PagingInput & { client_id?: string | undefined; tag?: string | undefined; q?: string | undefined }, base: string): Promise<Listing<LinkView>> {
    const filter: LinkFilter = { ...this.filterOf(query) };
    if (query.client_id !== undefined) filter.client_id = query.client_id === LINKS_PSEUDO_CLIENT ? null : query.client_id;
    return this.listPage(filter, query, base);
  }

  async get(id: string, base: string): Promise<LinkView> {
    const row = await this.deps.store.getLink(id);
    if (row === null) throw notFound('Link', id);
    return this.presentOne(row, base);
  }

  async update(id: string, input: UpdateLinkInput, base: string): Promise<LinkView> {
    const changes = await this.changesFrom(input);
    return this.presentOne(await this.applyChanges(id, changes, () => notFound('Link', id)), base);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.deps.store.deleteLink(id))) throw notFound('Link', id);
  }

  // ---- a client's door: /clients/{id}/links (admin key or the client's own sk_) ------------

  async createForClient(caller: QueryCaller, clientId: string, input: CreateClientLinkInput, base: string): Promise<LinkView> {
    await authorizeRead(this.deps.keys, caller, clientId);
    const { client_id: named, ...fields } = input;
    if (named !== undefined && named !== clientId) {
      throw invalidFields([{ field: 'client_id', message: `must be the client of the path ('${clientId}') or be left out` }]);
    }
    if (clientId === LINKS_PSEUDO_CLIENT) {
      throw invalidFields([{ field: 'id', message: `'${LINKS_PSEUDO_CLIENT}' is not a client: create a link of no client with POST /links` }]);
    }
    return this.insert(clientId, fields, base);
  }

  async listForClient(caller: QueryCaller, clientId: string, query: PagingInput & { tag?: string | undefined; q?: string | undefined }, base: string): Promise<Listing<LinkView>> {
    await authorizeRead(this.deps.keys, caller, clientId);
    await requireClient(this.deps.store, clientId);
    return this.listPage({ ...this.filterOf(query), client_id: linkOwnerOfPath(clientId) }, query, base);
  }

  async getForClient(caller: QueryCaller, clientId: string, linkId: string, base: string): Promise<LinkView> {
    return this.presentOne(await this.ownLink(caller, clientId, linkId), base);
  }

  async updateForClient(caller: QueryCaller, clientId: string, linkId: string, input: UpdateLinkInput, base: string): Promise<LinkView> {
    await this.ownLink(caller, clientId, linkId);
    const changes = await this.changesFrom(input);
    // A link never changes client, so the ownership checked above still holds.
    return this.presentOne(await this.applyChanges(linkId, changes, () => notFound('Link', linkId)), base);
  }

  async removeForClient(caller: QueryCaller, clientId: string, linkId: string): Promise<void> {
    await this.ownLink(caller, clientId, linkId);
    if (!(await this.deps.store.deleteLink(linkId))) throw notFound('Link', linkId);
  }

  // ---- shared ---------------------------------------------------------------------------------


  /** The link when it belongs to this client; otherwise the client's 404, or the link's. */
  private async ownLink(caller: QueryCaller, clientId: string, linkId: string): Promise<LinkRow> {
    await authorizeRead(this.deps.keys, caller, clientId);
    const row = await this.deps.store.getLink(linkId);
    if (row !== null && row.client_id === linkOwnerOfPath(clientId)) return row;
    await requireClient(this.deps.store, clientId);
    throw notFound('Link', linkId);
  }

  private filterOf(query: { tag?: string | undefined; q?: string | undefined }): LinkFilter {
    const filter: LinkFilter = {};
    if (query.tag !== undefined) filter.tag = query.tag;
    if (query.q !== undefined && query.q !== '') filter.q = query.q;
    return filter;
  }

  private async listPage(filter: LinkFilter, paging: PagingInput, base: string): Promise<Listing<LinkView>> {
    const listing = await listPage(paging, (page) => this.deps.store.listLinks(filter, page), (row) => row);
    const counts = await this.countsOf(listing.items);
    return { ...listing, items: listing.items.map((row) => this.present(row, base, counts)) };
  }

  /**
   * Click counts of these rows; null when the event engine did not answer. Counts are read after
   * a change has committed (PATCH) or beside the link itself (GET, lists): an engine that is down
   * must not turn a committed change, or a readable link, into a 5xx.
   */
  private async countsOf(rows: LinkRow[]): Promise<Map<string, { clicks: number; bot_clicks: number }> | null> {
    if (rows.length === 0) return new Map();
    try {
      return await this.deps.clickCounts(rows.map((row) => ({ id: row.id, client_id: row.client_id ?? LINKS_PSEUDO_CLIENT })));
    } catch (error) {
      this.deps.reportWarning('click counts of links are unavailable: the event engine did not answer', error);
      return null;
    }
  }

  private async presentOne(row: LinkRow, base: string): Promise<LinkView> {
    return this.present(row, base, await this.countsOf([row]));
  }

  private present(row: LinkRow, base: string, counts: Map<string, { clicks: number; bot_clicks: number }> | null): LinkView {
    const count = counts === null ? null : (counts.get(row.id) ?? { clicks: 0, bot_clicks: 0 });
    return {
      id: row.id,
      destination_url: row.destination_url,
      short_url: shortUrlOf(base, row.slug),
      slug: row.slug,
      title: row.title,
      client_id: row.client_id,
      clicks: count === null ? null : count.clicks,
      bot_clicks: count === null ? null : count.bot_clicks,
      tags: row.tags,
      has_password: row.password_hash !== null,
      expires_at: toIsoOrNull(row.expires_at),
      metadata: row.metadata,
      created_at: toIso(row.created_at),
      updated_at: toIso(row.updated_at),
    };
  }

  private async insert(clientId: string | null, input: CreateFields, base: string): Promise<LinkView> {
    const problems = [...destinationProblems(input.destination_url), ...slugProblems(input.slug)];
    const expiresAt = instantOf(input.expires_at, problems);
    if (problems.length > 0) throw invalidFields(problems);
    const passwordHash = input.password === undefined || input.password === null ? null : await hashLinkPassword(input.password);
    const now = this.deps.clock();
    const custom = input.slug !== undefined;
    for (let attempt = 1; ; attempt++) {
      const slug = input.slug ?? generateSlug();
      const row: LinkRow = {
        id: generateLinkId(),
        client_id: clientId,
        slug,
        slug_key: slugKeyOf(slug),
        destination_url: normalizedDestination(input.destination_url),
        title: input.title ?? null,
        tags: uniqueTags(input.tags) ?? [],
        metadata: input.metadata ?? {},
        password_hash: passwordHash,
        expires_at: expiresAt ?? null,
        created_at: now,
        updated_at: now,
      };
      let outcome: 'inserted' | 'no_client';
      try {
        outcome = await this.deps.store.insertLink(row);
      } catch (error) {
        if (!(error instanceof UniqueViolation)) throw error;
        if (error.field === 'slug' && custom) throw slugTaken(slug);
        // A generated slug (or id) that happened to be taken: draw again.
        if (attempt < SLUG_TRIES) continue;
        throw error;
      }
      if (outcome === 'no_client') throw notFound('Client', clientId ?? LINKS_PSEUDO_CLIENT);
      // After the insert, so a refused create (a taken slug) leaves no trace. The link does not
      // reference the row, so the order costs nothing; a failure here is retried by the next create.
      if (clientId === null) await this.ensurePseudoClient();
      const view = this.present(row, base, new Map());
      await this.announce(view, clientId);
      return view;
    }
  }

  /** `link.created` for the webhooks; a refusal is reported, the link stays created. */
  private async announce(view: LinkView, clientId: string | null): Promise<void> {
    try {
      await this.deps.webhooks.publish('link.created', view, clientId);
    } catch (error) {
      this.deps.reportError('link.created was not queued for the webhooks', error);
    }
  }

  private async changesFrom(input: UpdateLinkInput): Promise<LinkChanges> {
    const problems = [...destinationProblems(input.destination_url), ...slugProblems(input.slug)];
    const expiresAt = instantOf(input.expires_at, problems);
    if (problems.length > 0) throw invalidFields(problems);
    const changes: LinkChanges = {};
    if (input.destination_url !== undefined) changes.destination_url = normalizedDestination(input.destination_url);
    if (input.slug !== undefined) {
      changes.slug = input.slug;
      changes.slug_key = slugKeyOf(input.slug);
    }
    if (input.title !== undefined) changes.title = input.title;
    if (input.tags !== undefined) changes.tags = uniqueTags(input.tags) ?? [];
    if (input.metadata !== undefined) changes.metadata = input.metadata;
    if (expiresAt !== undefined) changes.expires_at = expiresAt;
    if (input.password !== undefined) changes.password_hash = input.password === null ? null : await hashLinkPassword(input.password);
    if (Object.keys(changes).length === 0) {
      throw new ApiError(400, 'no_fields', `Send at least one field to change: ${LINK_SETTABLE_FIELDS.join(', ')}`);
    }
    return changes;
  }

  private async applyChanges(id: string, changes: LinkChanges, missing: () => ApiError): Promise<LinkRow> {
    let row: LinkRow | null;
    try {
      row = await this.deps.store.updateLink(id, changes, this.deps.clock());
    } catch (error) {
      if (error instanceof UniqueViolation && error.field === 'slug') throw slugTaken(changes.slug as string);
      throw error;
    }
    if (row === null) throw missing();
    return row;
  }

  /**
   * The client row that clicks of links without a client are stored under, created on first need.
   * Two nodes (or requests) racing both try to insert; the loser's unique violation means it exists.
   * It has no keys: nothing but the redirect writes events for it.
   */
  private ensurePseudoClient(): Promise<void> {
    this.pseudoClient ??= this.createPseudoClient().catch((error: unknown) => {
      this.pseudoClient = null;
      throw error;
    });
    return this.pseudoClient;
  }

  private async createPseudoClient(): Promise<void> {
    if ((await this.deps.store.getClient(LINKS_PSEUDO_CLIENT)) !== null) return;
    const now = this.deps.clock();
    try {
      await this.deps.store.insertClient(
        {
          id: LINKS_PSEUDO_CLIENT,
          name: 'Links without a client',
          status: true,
          domain: null,
          email: null,
          phone: null,
          website: null,
          timezone: 'UTC',
          global_name: null,
          company_id: null,
          agency_id: null,
          api_metadata: {},
          ghl_location_id: null,
          proxy_key_hash: null,
          proxy_key_last4: null,
          ip_storage: 'truncated',
          sdk_settings: {},
          created_at: now,
          updated_at: now,
        },
        [],
      );
    } catch (error) {
      if (error instanceof UniqueViolation && error.field === 'id') return;
      throw error;
    }
  }
}
