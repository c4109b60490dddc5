import { api, enc } from '../api.js';

/**
 * Saved funnels of a client (`/api/v1/clients/{id}/funnels`): kept in the MetaStore, so everyone
 * who may read the client's analytics (the admin key, the client's own secret key) sees the same.
 */

export type FunnelStep = { event: string } | { path: string };

export interface SavedFunnel {
  id: string;
  client_id: string;
  name: string;
  steps: FunnelStep[];
  window_seconds: number;
  created_at: string;
  updated_at: string;
}

export interface FunnelFields {
  name?: string;
  steps?: FunnelStep[];
  window_seconds?: number;
}

const base = (clientId: string): string => `/clients/${enc(clientId)}/funnels`;

export const savedFunnels = {
  list: async (clientId: string): Promise<SavedFunnel[]> => (await api.list<SavedFunnel>(base(clientId))).data,
  create: (clientId: string, fields: Required<Pick<FunnelFields, 'name' | 'steps'>> & FunnelFields): Promise<SavedFunnel> => api.post<SavedFunnel>(base(clientId), fields),
  update: (clientId: string, id: string, fields: FunnelFields): Promise<SavedFunnel> => api.patch<SavedFunnel>(`${base(clientId)}/${enc(id)}`, fields),
  remove: (clientId: string, id: string): Promise<void> => api.delete(`${base(clientId)}/${enc(id)}`),
};
