/**
 * Saved funnels of a client, for the operator (admin key) and for the client itself (its own sk_,
 * as /query takes it): a client key naming another client is refused before anything about that
 * client is looked up, and a funnel is only ever found under its own client's id.
 */
import { ApiError, conflict, notFound } from '../http/apiError.js';
import { toIso } from '../http/common.js';
import { authorizeRead, type QueryCaller } from '../keys/readAccess.js';
import type { KeysService } from '../keys/service.js';
import { generateId } from '../keys/secrets.js';
import { requireClient } from '../clients/requireClient.js';
import { DEFAULT_WINDOW_SECONDS } from '../query/schemas.js';
import type { Clock } from '../shared/clock.js';
import { UniqueViolation, type FunnelChanges, type FunnelInsertion, type FunnelRow, type MetaStore } from '../store/metaStore.js';
import {
  FUNNEL_SETTABLE_FIELDS,
  MAX_FUNNELS_PER_CLIENT,
  type CreateFunnelInput,
  type SavedFunnelView,
  type UpdateFunnelInput,
} from './schemas.js';

/** "Checkout " and "checkout" are one funnel of a client. */
const nameKeyOf = (name: string): string => name.trim().toLowerCase();

const present = (row: FunnelRow): SavedFunnelView => ({
  id: row.id,
  client_id: row.client_id,
  name: row.name,
  steps: row.steps,
  window_seconds: row.window_seconds,
  created_at: toIso(row.created_at),
  updated_at: toIso(row.updated_at),
});

const nameTaken = (name: string): ApiError => conflict('name', `This client already has a funnel named '${name}'`);

export class FunnelsService {
  constructor(
    private readonly store: MetaStore,
    private readonly keys: KeysService,
    private readonly clock: Clock,
  ) {}

  async list(caller: QueryCaller, clientId: string): Promise<SavedFunnelView[]> {
    await authorizeRead(this.keys, caller, clientId);
    await requireClient(this.store, clientId);
    return (await this.store.listFunnels(clientId)).map(present);
  }

  async get(caller: QueryCaller, clientId: string, funnelId: string): Promise<SavedFunnelView> {
    await authorizeRead(this.keys, caller, clientId);
    const row = await this.store.getFunnel(clientId, funnelId);
    if (row === null) throw await this.missing(clientId, funnelId);
    return present(row);
  }

  async create(caller: QueryCaller, clientId: string, input: CreateFunnelInput): Promise<SavedFunnelView> {
    await authorizeRead(this.keys, caller, clientId);
    const now = this.clock();
    const row: FunnelRow = {
      id: generateId('fnl_'),
      client_id: clientId,
      name: input.name.trim(),
      steps: input.steps,
      window_seconds: input.window_seconds ?? DEFAULT_WINDOW_SECONDS,
      created_at: now,
      updated_at: now,
    };
    let outcome: FunnelInsertion;
    try {
      outcome = await this.store.insertFunnel(row, nameKeyOf(row.name), MAX_FUNNELS_PER_CLIENT);
    } catch (error) {
      if (error instanceof UniqueViolation && error.field === 'name') throw nameTaken(row.name);
      throw error;
    }
    if (outcome === 'no_client') throw notFound('Client', clientId);
    if (outcome === 'limit_reached') {
      throw new ApiError(409, 'limit_reached', `Client '${clientId}' already has ${MAX_FUNNELS_PER_CLIENT} funnels, the most it may have; delete one first`);
    }
    return present(row);
  }

  async update(caller: QueryCaller, clientId: string, funnelId: string, input: UpdateFunnelInput): Promise<SavedFunnelView> {
    await authorizeRead(this.keys, caller, clientId);
    const changes: FunnelChanges = {};
    if (input.name !== undefined) changes.name = input.name.trim();
    if (input.steps !== undefined) changes.steps = input.steps;
    if (input.window_seconds !== undefined) changes.window_seconds = input.window_seconds;
    if (Object.keys(changes).length === 0) {
      throw new ApiError(400, 'no_fields', `Send at least one field to change: ${FUNNEL_SETTABLE_FIELDS.join(', ')}`);
    }
    let row: FunnelRow | null;
    try {
      row = await this.store.updateFunnel(clientId, funnelId, changes, changes.name === undefined ? undefined : nameKeyOf(changes.name), this.clock());
    } catch (error) {
      if (error instanceof UniqueViolation && error.field === 'name') throw nameTaken(changes.name as string);
      throw error;
    }
    if (row === null) throw await this.missing(clientId, funnelId);
    return present(row);
  }

  async remove(caller: QueryCaller, clientId: string, funnelId: string): Promise<void> {
    await authorizeRead(this.keys, caller, clientId);
    if (await this.store.deleteFunnel(clientId, funnelId)) return;
    throw await this.missing(clientId, funnelId);
  }

  /** The 404 for a funnel not found under this client: the client's own when it does not exist. */
  private async missing(clientId: string, funnelId: string): Promise<ApiError> {
    await requireClient(this.store, clientId);
    return notFound('Funnel', funnelId);
  }
}
