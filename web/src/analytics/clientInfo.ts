import { api, enc } from '../api.js';
import type { Client, Whoami } from '../types.js';

/**
 * Who is looking at a client's analytics, and the client's name and time zone: a client's own
 * secret key learns them from /whoami (it may not read the client record, nor its embed code and
 * hostnames, which are the operator's); the admin key reads the client record.
 */
export interface ClientInfo {
  role: 'admin' | 'client';
  name: string;
  timezone: string;
}

export async function loadClientInfo(clientId: string): Promise<ClientInfo> {
  const who = await api.get<Whoami>('/whoami');
  if (who.role === 'client') return { role: 'client', name: who.name, timezone: who.timezone };
  const client = await api.get<Client>(`/clients/${enc(clientId)}`);
  return { role: 'admin', name: client.name, timezone: client.timezone };
}
