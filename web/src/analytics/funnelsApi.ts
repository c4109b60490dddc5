import type { CreateFunnelInput, SavedFunnelView, UpdateFunnelInput } from '../../../src/funnels/schemas.js';
import { api, enc } from '../api.js';

/**
 * Saved funnels of a client (`/api/v1/clients/{id}/funnels`): kept in the MetaStore, so everyone
 * who may read the client's analytics (the admin key, the client's own secret key) sees the same.
 */

export type SavedFunnel = SavedFunnelView;
export type FunnelStep = SavedFunnelView['steps'][number];
export type FunnelFields = UpdateFunnelInput;

const base = (clientId: string): string => `/clients/${enc(clientId)}/funnels`;

export const savedFunnels = {
  list: async (clientId: string): Promise<SavedFunnel[]> => (await api.list<SavedFunnel>(base(clientId))).data,
  create: (clientId: string, fields: CreateFunnelInput): Promise<SavedFunnel> => api.post<SavedFunnel>(base(clientId), fields),
  update: (clientId: string, id: string, fields: FunnelFields): Promise<SavedFunnel> => api.patch<SavedFunnel>(`${base(clientId)}/${enc(id)}`, fields),
  remove: (clientId: string, id: string): Promise<void> => api.delete(`${base(clientId)}/${enc(id)}`),
};
