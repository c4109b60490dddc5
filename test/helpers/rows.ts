/** Rows that store tests write directly: a client, links and subscriptions, without going through their APIs. */
import type { LinkRow } from '../../src/links/linkRow.js';
import { PUBSUB_TOPIC, type SubscriptionRow } from '../../src/pubsub/pubsubRows.js';
import type { ClientFields } from '../../src/store/metaStore.js';

export function clientFields(id: string, extra: Partial<ClientFields> = {}): ClientFields {
  return {
    id,
    name: id,
    status: true,
    domain: null,
    email: null,
    phone: null,
    website: null,
    timezone: 'UTC',
    global_name: null,
    company_id: null,
    agency_id: null,
    api_metadata: {},
    ghl_location_id: null,
    proxy_key_hash: null,
    proxy_key_last4: null,
    ip_storage: 'truncated',
    sdk_settings: {},
    created_at: 1,
    updated_at: 1,
    ...extra,
  };
}

/** A link whose slug is its id unless `extra` says otherwise (slug_key follows the slug). */
export function linkRow(id: string, clientId: string | null, destination = `https://example.com/${id}`, extra: Partial<LinkRow> = {}): LinkRow {
  const slug = extra.slug ?? id;
  return {
    id,
    client_id: clientId,
    slug,
    slug_key: slug.toLowerCase(),
    destination_url: destination,
    title: null,
    tags: [],
    metadata: {},
    password_hash: null,
    expires_at: null,
    created_at: 1,
    updated_at: 1,
    ...extra,
  };
}

/** An active pull subscription named by its id, nothing staged, sent or leased yet (`extra` makes it push, moves its cursor, …). */
export function subscriptionRow(id: string, extra: Partial<SubscriptionRow> = {}): SubscriptionRow {
  return {
    id,
    name: id,
    name_key: id.toLowerCase(),
    topic: PUBSUB_TOPIC,
    type: 'pull',
    push_endpoint: null,
    push_secret_sealed: null,
    ack_deadline_seconds: 60,
    max_delivery_attempts: 5,
    filter: { client_ids: null, events: null },
    state: 'active',
    cursor_seq: 0,
    dropped_messages: 0,
    push_next_attempt_at: null,
    push_failures: 0,
    push_last_status: null,
    push_last_error: null,
    push_last_attempt_at: null,
    lease_owner: null,
    lease_until: null,
    created_at: 1,
    updated_at: 1,
    ...extra,
  };
}
