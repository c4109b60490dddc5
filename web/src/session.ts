import { api, useKey } from './api.js';
import type { Whoami } from './types.js';

/** The key lives in sessionStorage only: it is gone when the tab closes, and never sent anywhere but this server. */
const STORAGE_KEY = 'mythic.key';

export interface Session {
  key: string;
  who: Whoami;
}

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Checks the key with the server; throws ApiFailure (401 for a wrong key) otherwise. */
export async function signIn(key: string): Promise<Session> {
  const who = await api.getWithKey<Whoami>('/whoami', key);
  sessionStorage.setItem(STORAGE_KEY, key);
  return { key, who };
}

export function signOut(): void {
  sessionStorage.removeItem(STORAGE_KEY);
  useKey(null);
}
