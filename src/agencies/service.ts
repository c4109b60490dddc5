import type { ClientView } from '../clients/schemas.js';
import type { ClientsService } from '../clients/service.js';
import { ApiError, conflict, notFound } from '../http/apiError.js';
import { toIso } from '../http/common.js';
import { generateId } from '../keys/secrets.js';
import type { Clock } from '../shared/clock.js';
import { listPage, type Listing, type PagingInput } from '../shared/paging.js';
import { UniqueViolation, type AgencyChanges, type AgencyRow, type ClientFilter, type MetaStore } from '../store/metaStore.js';
import { AGENCY_SETTABLE_FIELDS, type AgencyView, type CreateAgencyInput, type UpdateAgencyInput } from './schemas.js';

/** Names are unique regardless of case and surrounding space: "Acme " and "acme" are one agency. */
const nameKeyOf = (name: string): string => name.trim().toLowerCase();

function present(row: AgencyRow): AgencyView {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    website: row.website,
    metadata: row.metadata,
    client_count: row.client_count,
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

function changesFrom(input: UpdateAgencyInput): AgencyChanges {
  const changes: AgencyChanges = {};
  for (const field of AGENCY_SETTABLE_FIELDS) {
    if (!(field in input)) continue;
    if (field === 'name') changes.name = (input.name as string).trim();
    else if (field === 'metadata') changes.metadata = input.metadata ?? {};
    else changes[field] = input[field] ?? null;
  }
  return changes;
}

const nameTaken = (name: string): ApiError => conflict('name', `An agency named '${name}' already exists`);

export class AgenciesService {
  constructor(
    private readonly store: MetaStore,
    private readonly clock: Clock,
    private readonly clients: ClientsService,
  ) {}

  async create(input: CreateAgencyInput): Promise<AgencyView> {
    const now = this.clock();
    const changes = changesFrom(input);
    const id = generateId('agc_');
    const name = changes.name as string;
    try {
      await this.store.insertAgency(
        {
          id,
          name,
          email: changes.email ?? null,
          phone: changes.phone ?? null,
          website: changes.website ?? null,
          metadata: changes.metadata ?? {},
          created_at: now,
          updated_at: now,
        },
        nameKeyOf(name),
      );
    } catch (error) {
      if (error instanceof UniqueViolation && error.field === 'name') throw nameTaken(name);
      throw error;
    }
    return this.get(id);
  }

  async get(id: string): Promise<AgencyView> {
    const row = await this.store.getAgency(id);
    if (!row) throw notFound('Agency', id);
    return present(row);
  }

  async list(q: string | undefined, paging: PagingInput): Promise<Listing<AgencyView>> {
    return listPage(paging, (page) => this.store.listAgencies({ q }, page), present);
  }

  async update(id: string, input: UpdateAgencyInput): Promise<AgencyView> {
    const changes = changesFrom(input);
    if (Object.keys(changes).length === 0) {
      throw new ApiError(400, 'no_fields', `Send at least one field to change: ${AGENCY_SETTABLE_FIELDS.join(', ')}`);
    }
    try {
      const row = await this.store.updateAgency(id, changes, changes.name === undefined ? undefined : nameKeyOf(changes.name), this.clock());
      if (!row) throw notFound('Agency', id);
      return present(row);
    } catch (error) {
      if (error instanceof UniqueViolation && error.field === 'name') throw nameTaken(changes.name as string);
      throw error;
    }
  }

  /** Refuses while clients belong to the agency, unless `force`, which detaches them. */
  async remove(id: string, force: boolean): Promise<number> {
    const result = await this.store.deleteAgency(id, force, this.clock());
    if (result.outcome === 'not_found') throw notFound('Agency', id);
    if (result.outcome === 'has_clients') {
      throw new ApiError(
        409,
        'conflict',
        `Agency '${id}' still has ${result.client_count} client(s); move them or delete with ?force=true to detach them`,
      );
    }
    return result.detached;
  }

  async listClients(id: string, filter: Omit<ClientFilter, 'agency_id'>, paging: PagingInput): Promise<Listing<ClientView>> {
    await this.get(id);
    return this.clients.list({ ...filter, agency_id: id }, paging);
  }
}
