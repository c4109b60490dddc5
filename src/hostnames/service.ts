import { requireClient } from '../clients/requireClient.js';
import { conflict, notFound } from '../http/apiError.js';
import { toIso } from '../http/common.js';
import type { Clock } from '../shared/clock.js';
import { UniqueViolation, type HostnameRow, type MetaStore } from '../store/metaStore.js';
import { isLocalHost, normalizeSiteHost } from '../validation/hostname.js';
import { MAX_HOSTNAMES, type HostnameView } from './schemas.js';

/** `firstEventAt`: when the first event from the hostname was accepted, if one was. */
const present = (row: HostnameRow, firstEventAt: number | undefined): HostnameView => ({
  hostname: row.hostname,
  client_id: row.client_id,
  verified: firstEventAt !== undefined,
  first_event_at: firstEventAt === undefined ? null : toIso(firstEventAt),
  created_at: toIso(row.created_at),
});

/** The schema's format check admits only names this normalises. */
const normalized = (hostname: string): string => normalizeSiteHost(hostname) ?? hostname.toLowerCase();

/** The client's first accepted events, by hostname (its domain's included): see firstEvents.ts. */
export async function firstEventTimes(store: MetaStore, clientId: string): Promise<Map<string, number>> {
  return new Map((await store.listFirstEvents(clientId)).map((row) => [row.hostname, row.first_event_at]));
}

/**
 * Extra hostnames of a client, beyond its domain: browser events are accepted from them, so each
 * belongs to one client at most and is never another client's domain; except localhost and IP
 * addresses, which name a developer's machine rather than a site, and any client may have.
 */
export class HostnamesService {
  constructor(
    private readonly store: MetaStore,
    private readonly clock: Clock,
  ) {}

  /** `created` is false when the client already had this hostname: adding is idempotent. */
  async add(clientId: string, input: string): Promise<{ created: boolean; hostname: HostnameView }> {
    const hostname = normalized(input);
    const existing = await this.store.listHostnames(clientId);
    const own = existing.find((row) => row.hostname === hostname);
    if (own) return { created: false, hostname: await this.presentOne(own) };
    if (existing.length >= MAX_HOSTNAMES) {
      throw conflict('hostname', `Client '${clientId}' already has ${MAX_HOSTNAMES} hostnames, the most it may have`);
    }
    const row: HostnameRow = { hostname, client_id: clientId, created_at: this.clock() };
    if (isLocalHost(hostname)) {
      if (!(await this.store.addSharedHostname(row))) throw notFound('Client', clientId);
      return { created: true, hostname: present(row, undefined) };
    }
    try {
      if (!(await this.store.addHostname(row))) throw notFound('Client', clientId);
    } catch (error) {
      if (!(error instanceof UniqueViolation)) throw error;
      return this.afterCollision(clientId, hostname);
    }
    return { created: true, hostname: present(row, undefined) };
  }

  async list(clientId: string): Promise<HostnameView[]> {
    await requireClient(this.store, clientId);
    const [rows, firstEvents] = await Promise.all([this.store.listHostnames(clientId), firstEventTimes(this.store, clientId)]);
    return rows.map((row) => present(row, firstEvents.get(row.hostname)));
  }

  async remove(clientId: string, input: string): Promise<void> {
    const hostname = normalized(input);
    if (await this.store.deleteHostname(clientId, hostname)) return;
    await requireClient(this.store, clientId);
    throw notFound('Hostname', hostname);
  }

  private async presentOne(row: HostnameRow): Promise<HostnameView> {
    return present(row, (await firstEventTimes(this.store, row.client_id)).get(row.hostname));
  }

  /** Says who holds the hostname; a concurrent add of the same hostname to this client is success. */
  private async afterCollision(clientId: string, hostname: string): Promise<{ created: boolean; hostname: HostnameView }> {
    const owner = await this.store.findHostnameOwner(hostname);
    if (owner?.client_id === clientId && owner.via === 'hostname') {
      const own = (await this.store.listHostnames(clientId)).find((row) => row.hostname === hostname);
      if (own) return { created: false, hostname: await this.presentOne(own) };
    }
    if (owner?.client_id === clientId) {
      throw conflict('hostname', `'${hostname}' is already the domain of client '${clientId}'; its subdomains are covered too`);
    }
    const holder = owner ? `client '${owner.client_id}' as its ${owner.via === 'domain' ? 'domain' : 'extra hostname'}` : 'another client';
    throw conflict('hostname', `The hostname '${hostname}' is already used by ${holder}`);
  }
}
