import { ApiError, conflict, notFound } from '../http/apiError.js';
import { issueKey } from '../keys/keyRows.js';
import { lastFour, sha256Hex } from '../keys/secrets.js';
import type { Clock } from '../shared/clock.js';
import { listPage, type Listing, type PagingInput } from '../shared/paging.js';
import {
  UniqueViolation,
  type ClientChanges,
  type ClientFilter,
  type ClientRow,
  type IpStorage,
  type KeyKind,
  type MetaStore,
} from '../store/metaStore.js';
import { LINKS_PSEUDO_CLIENT } from '../links/linkRow.js';
import { normalizeHostname } from '../validation/hostname.js';
import { normalizeTimezone } from '../validation/timezone.js';
import { presentClient, presentKey } from './present.js';
import {
  SETTABLE_FIELDS,
  type ApiKeyView,
  type ClientView,
  type CreateClientInput,
  type RotatedKeysView,
  type RotateKeysInput,
  type UpdateClientInput,
} from './schemas.js';

export const DEFAULT_TIMEZONE = 'UTC';
export const DEFAULT_IP_STORAGE: IpStorage = 'truncated';
export const DEFAULT_GRACE_SECONDS = 86_400;

type Settable = Omit<CreateClientInput, 'id'>;

/**
 * Turns validated input into stored values: trims the name, brings domain and timezone to their
 * one stored form, hashes the proxy key, and maps `null` to the field's cleared value.
 */
function changesFrom(input: Partial<Settable>): ClientChanges {
  const changes: ClientChanges = {};
  for (const field of SETTABLE_FIELDS) {
    if (!(field in input)) continue;
    const value = input[field];
    switch (field) {
      case 'name':
        changes.name = (value as string).trim();
        break;
      case 'status':
        changes.status = value as boolean;
        break;
      case 'domain':
        changes.domain = value === null ? null : normalizeHostname(value as string);
        break;
      case 'timezone':
        changes.timezone = value === null ? DEFAULT_TIMEZONE : (normalizeTimezone(value as string) ?? DEFAULT_TIMEZONE);
        break;
      case 'api_metadata':
        changes.api_metadata = (value ?? {}) as Record<string, unknown>;
        break;
      case 'ip_storage':
        changes.ip_storage = (value ?? DEFAULT_IP_STORAGE) as IpStorage;
        break;
      case 'sdk_settings':
        changes.sdk_settings = (value ?? {}) as ClientChanges['sdk_settings'];
        break;
      case 'proxy_api_key':
        changes.proxy_key_hash = value === null ? null : sha256Hex(value as string);
        // The last four characters identify a long key; on a short one they would give half of it away.
        changes.proxy_key_last4 = value === null ? null : (value as string).length >= 12 ? lastFour(value as string) : '';
        break;
      default:
        changes[field] = value as string | null;
    }
  }
  return changes;
}

function conflictFrom(error: UniqueViolation, values: { id?: string; domain?: string | null; global_name?: string | null }): ApiError {
  switch (error.field) {
    case 'id':
      return conflict('id', `A client with id '${values.id}' already exists`);
    case 'domain':
      return conflict('domain', `The domain '${values.domain}' is already used by another client`);
    case 'global_name':
      return conflict('global_name', `The global_name '${values.global_name}' is already used by another client`);
    default:
      throw error;
  }
}

/**
 * The links-only client (clicks of links without a client) is made and kept by the links service:
 * callers may read it, but neither create, change, delete it nor issue it keys (a key would let
 * anyone write events into it).
 */
function refusePseudoClient(id: string): void {
  if (id !== LINKS_PSEUDO_CLIENT) return;
  throw new ApiError(
    400,
    'validation_error',
    `The client id '${LINKS_PSEUDO_CLIENT}' is reserved: it holds the clicks of links without a client and is managed by the links API`,
    [{ field: 'id', message: `'${LINKS_PSEUDO_CLIENT}' is reserved for links without a client` }],
  );
}

export class ClientsService {
  constructor(
    private readonly store: MetaStore,
    private readonly clock: Clock,
    /**
     * Removes what other stores hold for this life of a client (its events), for a hard delete,
     * and makes sure none of it is stored later (requests of that life still in flight).
     */
    private readonly eraseClientData: (client: { id: string; created_at: number }) => Promise<void> = async () => undefined,
  ) {}

  async create(input: CreateClientInput): Promise<ClientView> {
    refusePseudoClient(input.id);
    const now = this.clock();
    const changes = changesFrom(input);
    await this.refuseDomainHeldAsHostname(changes.domain);
    const publishable = issueKey(input.id, 'publishable', now);
    const secret = issueKey(input.id, 'secret', now);
    try {
      await this.store.insertClient(
        {
          id: input.id,
          name: changes.name as string,
          status: changes.status ?? true,
          domain: changes.domain ?? null,
          email: changes.email ?? null,
          phone: changes.phone ?? null,
          website: changes.website ?? null,
          timezone: changes.timezone ?? DEFAULT_TIMEZONE,
          global_name: changes.global_name ?? null,
          company_id: changes.company_id ?? null,
          agency_id: changes.agency_id ?? null,
          api_metadata: changes.api_metadata ?? {},
          ghl_location_id: changes.ghl_location_id ?? null,
          proxy_key_hash: changes.proxy_key_hash ?? null,
          proxy_key_last4: changes.proxy_key_last4 ?? null,
          ip_storage: changes.ip_storage ?? DEFAULT_IP_STORAGE,
          sdk_settings: changes.sdk_settings ?? {},
          created_at: now,
          updated_at: now,
        },
        [publishable.row, secret.row],
      );
    } catch (error) {
      if (!(error instanceof UniqueViolation)) throw error;
      // The engine names whichever constraint it checked first; a taken id is the answer a caller
      // resending the same body needs, so it wins over the other fields.
      const idTaken = error.field === 'id' || (await this.store.getClient(input.id)) !== null;
      throw conflictFrom(idTaken ? new UniqueViolation('id') : error, { id: input.id, ...changes });
    }
    return presentClient(await this.require(input.id), secret.key, input.proxy_api_key ?? undefined);
  }

  async get(id: string): Promise<ClientView> {
    return presentClient(await this.require(id));
  }

  async list(filter: ClientFilter, paging: PagingInput): Promise<Listing<ClientView>> {
    const normalized = { ...filter };
    // Compare domains in their stored form, so a filter typed in Unicode or capitals still matches.
    if (filter.domain !== undefined) normalized.domain = normalizeHostname(filter.domain) ?? filter.domain.toLowerCase();
    return listPage(paging, (page) => this.store.listClients(normalized, page), (row) => presentClient(row));
  }

  async update(id: string, input: UpdateClientInput): Promise<ClientView> {
    refusePseudoClient(id);
    const changes = changesFrom(input);
    if (Object.keys(changes).length === 0) {
      throw new ApiError(400, 'no_fields', `Send at least one field to change: ${SETTABLE_FIELDS.join(', ')}`);
    }
    await this.refuseDomainHeldAsHostname(changes.domain);
    try {
      const row = await this.store.updateClient(id, changes, this.clock());
      if (!row) throw notFound('Client', id);
      return presentClient(row, undefined, input.proxy_api_key ?? undefined);
    } catch (error) {
      if (error instanceof UniqueViolation) throw conflictFrom(error, changes);
      throw error;
    }
  }

  /** Soft delete deactivates (keys stop working for ingestion, values stay reserved); hard removes. */
  async remove(id: string, hard: boolean): Promise<void> {
    refusePseudoClient(id);
    if (!hard) {
      if ((await this.store.updateClient(id, { status: false }, this.clock())) === null) throw notFound('Client', id);
      return;
    }
    const client = await this.store.getClient(id);
    if (client === null) throw notFound('Client', id);
    // Erased before the client goes, so a crash in between leaves a client to delete again rather
    // than events without a client (which a new client with the same id would see). The erasure
    // names this life of the client, so events of requests already past authentication, stored
    // after it, are dropped too (until the delete is retried, the client's new events are as well).
    await this.eraseClientData(client);
    if (!(await this.store.deleteClient(id))) throw notFound('Client', id);
  }

  async rotateKeys(id: string, input: RotateKeysInput): Promise<RotatedKeysView> {
    refusePseudoClient(id);
    const now = this.clock();
    const choice = input.key ?? 'both';
    const graceSeconds = input.grace_seconds ?? DEFAULT_GRACE_SECONDS;
    const kinds: KeyKind[] = choice === 'both' ? ['publishable', 'secret'] : [choice];
    const issued = kinds.map((kind) => ({ kind, ...issueKey(id, kind, now) }));
    const expireOldAt = now + graceSeconds * 1000;
    const rotated = await this.store.rotateKeys(id, kinds, issued.map((k) => k.row), expireOldAt, now);
    if (!rotated) throw notFound('Client', id);
    const client = presentClient(await this.require(id), issued.find((k) => k.kind === 'secret')?.key);
    // The keys this rotation issued, not whatever a concurrent rotation committed since.
    return {
      client_id: id,
      rotated: kinds,
      publishable_key: issued.find((k) => k.kind === 'publishable')?.key ?? client.publishable_key,
      secret_key: client.secret_key,
      grace_seconds: graceSeconds,
      previous_keys_expire_at: new Date(expireOldAt).toISOString(),
    };
  }

  async listKeys(id: string): Promise<ApiKeyView[]> {
    await this.require(id);
    return (await this.store.listActiveKeys(id, this.clock())).map(presentKey);
  }

  /**
   * A domain that is some client's extra hostname is taken, as a domain held by another client is
   * (that one the unique index refuses). No index spans both tables, so this is checked before the
   * write; adding a hostname checks the other way round, inside its transaction.
   */
  private async refuseDomainHeldAsHostname(domain: string | null | undefined): Promise<void> {
    if (domain === null || domain === undefined) return;
    const owner = await this.store.findHostnameOwner(domain);
    if (owner?.via === 'hostname') {
      throw conflict('domain', `The domain '${domain}' is already an extra hostname of client '${owner.client_id}'`);
    }
  }

  private async require(id: string): Promise<ClientRow> {
    const row = await this.store.getClient(id);
    if (!row) throw notFound('Client', id);
    return row;
  }
}
