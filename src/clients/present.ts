import { toIso, toIsoOrNull } from '../http/common.js';
import { maskSecret } from '../keys/secrets.js';
import type { ClientRow, KeyRow } from '../store/metaStore.js';
import type { ApiKeyView, ClientView } from './schemas.js';

/**
 * The API form of a client. Both secrets are stored only as hashes and shown masked, except in the
 * answer to the request that just set them: the secret key on creation (and rotation), the proxy
 * key on the create or PATCH that sent it, so the caller sees what was stored.
 */
export function presentClient(row: ClientRow, fullSecretKey?: string, fullProxyKey?: string): ClientView {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    publishable_key: row.publishable_key,
    secret_key: fullSecretKey ?? maskSecret('sk_', row.secret_key_last4),
    domain: row.domain,
    email: row.email,
    phone: row.phone,
    website: row.website,
    timezone: row.timezone,
    global_name: row.global_name,
    company_id: row.company_id,
    agency_id: row.agency_id,
    api_metadata: row.api_metadata,
    ghl_location_id: row.ghl_location_id,
    proxy_api_key: fullProxyKey ?? maskSecret('', row.proxy_key_last4),
    ip_storage: row.ip_storage,
    sdk_settings: row.sdk_settings,
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

export function presentKey(key: KeyRow): ApiKeyView {
  return {
    id: key.id,
    kind: key.kind,
    key: key.publishable_key ?? (maskSecret('sk_', key.last4) as string),
    current: key.expires_at === null,
    created_at: toIso(key.created_at),
    expires_at: toIsoOrNull(key.expires_at),
    last_used_at: toIsoOrNull(key.last_used_at),
  };
}
