import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, MIN_ADMIN_KEY_LENGTH } from '../config.js';

export const ADMIN_KEY_FILE = 'admin.key';

export type AdminKeySource =
  | { kind: 'configured' }
  | { kind: 'file'; path: string; loosePermissions: boolean }
  | { kind: 'generated'; path: string };

export interface AdminKey {
  key: string;
  source: AdminKeySource;
}

/**
 * The admin key: the configured one, else the one generated on an earlier start, else a new one
 * written to `<dataDir>/admin.key` with mode 0600. The file holds the key itself (as an SSH private
 * key does) so the operator can read it back; the running server keeps only its hash.
 */
export function resolveAdminKey(configured: string | undefined, dataDir: string): AdminKey {
  if (configured !== undefined) return { key: configured, source: { kind: 'configured' } };
  const path = join(dataDir, ADMIN_KEY_FILE);
  const existing = readExisting(path);
  if (existing !== null) {
    // Group or world access to the file is a leak waiting to happen: say so at every start.
    const loosePermissions = (statSync(path).mode & 0o077) !== 0;
    return { key: existing, source: { kind: 'file', path, loosePermissions } };
  }
  mkdirSync(dataDir, { recursive: true });
  const key = `mk_${randomBytes(32).toString('hex')}`;
  try {
    // 'wx' fails if another process created the file meanwhile; then its key is the key.
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return resolveAdminKey(undefined, dataDir);
    throw error;
  }
  return { key, source: { kind: 'generated', path } };
}

function readExisting(path: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`cannot read the admin key file ${path}: ${(error as Error).message}`);
  }
  const key = text.trim();
  if (key.length < MIN_ADMIN_KEY_LENGTH) {
    throw new ConfigError(`the admin key file ${path} is damaged (shorter than ${MIN_ADMIN_KEY_LENGTH} characters); delete it to generate a new key`);
  }
  return key;
}
