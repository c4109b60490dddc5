import { notFound } from '../http/apiError.js';
import type { ClientRow, MetaStore } from '../store/metaStore.js';

/** The client, or the 404 every per-client resource answers for an unknown one. */
export async function requireClient(store: MetaStore, id: string): Promise<ClientRow> {
  const row = await store.getClient(id);
  if (!row) throw notFound('Client', id);
  return row;
}
