/** Numbered, append-only: a released migration is never edited, a change is a new number. */
export const SQLITE_MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'clients, keys and agencies',
    sql: `
      CREATE TABLE clients (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        status INTEGER NOT NULL,
        domain TEXT UNIQUE,
        email TEXT,
        phone TEXT,
        website TEXT,
        timezone TEXT NOT NULL,
        global_name TEXT UNIQUE,
        company_id TEXT,
        agency_id TEXT,
        api_metadata TEXT NOT NULL,
        ghl_location_id TEXT,
        proxy_key_hash TEXT,
        proxy_key_last4 TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX clients_newest_first ON clients (created_at DESC, id DESC);
      CREATE INDEX clients_by_agency ON clients (agency_id);
      CREATE INDEX clients_by_company ON clients (company_id);
      CREATE INDEX clients_by_ghl_location ON clients (ghl_location_id);

      CREATE TABLE client_keys (
        id TEXT PRIMARY KEY,
        client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('publishable', 'secret')),
        key_hash TEXT NOT NULL UNIQUE,
        publishable_key TEXT,
        last4 TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        last_used_at INTEGER
      );
      CREATE INDEX client_keys_by_client ON client_keys (client_id, kind, created_at DESC, id DESC);
      -- One current key per kind and client: rotation expires the old key in the same transaction.
      CREATE UNIQUE INDEX client_keys_current ON client_keys (client_id, kind) WHERE expires_at IS NULL;

      CREATE TABLE agencies (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        email TEXT,
        phone TEXT,
        website TEXT,
        metadata TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX agencies_newest_first ON agencies (created_at DESC, id DESC);
    `,
  },
  {
    version: 2,
    name: 'client ip storage and sdk settings; tags, snippets and hostnames',
    sql: `
      ALTER TABLE clients ADD COLUMN ip_storage TEXT NOT NULL DEFAULT 'truncated'
        CHECK (ip_storage IN ('truncated', 'hashed', 'none'));
      ALTER TABLE clients ADD COLUMN sdk_settings TEXT NOT NULL DEFAULT '{}';

      CREATE TABLE client_tags (
        client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        tag_id TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        params TEXT NOT NULL,
        trigger_rules TEXT NOT NULL,
        PRIMARY KEY (client_id, position)
      );

      CREATE TABLE client_snippets (
        id TEXT PRIMARY KEY,
        client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        code TEXT NOT NULL,
        description TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        trigger_rules TEXT NOT NULL,
        UNIQUE (client_id, position)
      );

      -- A hostname belongs to one client at most: the primary key is the hostname itself.
      CREATE TABLE client_hostnames (
        hostname TEXT PRIMARY KEY,
        client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX client_hostnames_by_client ON client_hostnames (client_id, created_at, hostname);
    `,
  },
  {
    version: 3,
    name: 'first accepted event per client hostname (the install check); local hosts any client may have',
    sql: `
      -- Keyed by the client's domain or extra hostname the event's host matched; written once.
      CREATE TABLE hostname_first_events (
        client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        hostname TEXT NOT NULL,
        first_event_at INTEGER NOT NULL,
        PRIMARY KEY (client_id, hostname)
      );
      -- localhost and IP addresses, for testing on one's own machine: every client may have them,
      -- so they are kept apart from the hostnames that belong to one client only.
      CREATE TABLE client_local_hosts (
        client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        hostname TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (client_id, hostname)
      );
    `,
  },
  {
    version: 4,
    name: 'saved funnels per client',
    sql: `
      -- name_key (the trimmed, lowercased name) is unique per client: two saves of one name race
      -- onto this index, and one of them loses.
      CREATE TABLE client_funnels (
        id TEXT PRIMARY KEY,
        client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        steps TEXT NOT NULL,
        window_seconds INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (client_id, name_key)
      );
    `,
  },
  {
    version: 5,
    name: 'short links',
    sql: `
      -- slug_key (the slug lowercased) is unique across all links: two creates of one slug race
      -- onto this index, and one of them loses. A link of no client has client_id NULL.
      CREATE TABLE links (
        id TEXT PRIMARY KEY,
        client_id TEXT REFERENCES clients (id) ON DELETE CASCADE,
        slug TEXT NOT NULL,
        slug_key TEXT NOT NULL UNIQUE,
        destination_url TEXT NOT NULL,
        title TEXT,
        tags TEXT NOT NULL,
        metadata TEXT NOT NULL,
        password_hash TEXT,
        expires_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX links_newest_first ON links (created_at DESC, id DESC);
      CREATE INDEX links_by_client ON links (client_id, created_at DESC, id DESC);
    `,
  },
  {
    version: 6,
    name: 'webhooks and their deliveries',
    sql: `
      -- Outgoing webhooks: the signing secret is stored encrypted (AES-256-GCM under a key derived
      -- from the admin key's hash), never in clear. A webhook scoped to a client goes with it.
      CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        client_id TEXT REFERENCES clients (id) ON DELETE CASCADE,
        description TEXT,
        secret_sealed TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        disabled_reason TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        failing_since INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      -- One row per delivery to one webhook; a dispatcher leases due rows (lease_until, lease_owner).
      CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        event TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        lease_until INTEGER,
        lease_owner TEXT,
        last_status INTEGER,
        last_error TEXT,
        last_duration_ms INTEGER,
        total_duration_ms INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        finished_at INTEGER
      );
      -- The due ones: only pending rows are in it, so the index stays as small as the backlog.
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at, id);
      CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE finished_at IS NOT NULL;
    `,
  },
  {
    version: 7,
    name: 'uptime monitors of links and their check history',
    sql: `
      -- One monitor per link; stopping sets active = 0 and keeps the row, so status and history stay readable.
      -- lease_until / lease_owner: the node running a check holds the monitor until it records the result.
      CREATE TABLE uptime_monitors (
        link_id TEXT PRIMARY KEY REFERENCES links (id) ON DELETE CASCADE,
        interval_seconds INTEGER NOT NULL,
        timeout_seconds INTEGER NOT NULL,
        active INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('up', 'down', 'unknown')),
        consecutive_failures INTEGER NOT NULL,
        last_checked_at INTEGER,
        last_response_ms INTEGER,
        last_status_code INTEGER,
        last_error TEXT,
        next_check_at INTEGER NOT NULL,
        lease_until INTEGER,
        lease_owner TEXT,
        started_at INTEGER NOT NULL
      );
      CREATE INDEX uptime_monitors_due ON uptime_monitors (next_check_at) WHERE active = 1;

      -- Bounded per link (the writer prunes the oldest): a history, not an archive.
      CREATE TABLE uptime_checks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        link_id TEXT NOT NULL REFERENCES uptime_monitors (link_id) ON DELETE CASCADE,
        checked_at INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        status_code INTEGER,
        response_ms INTEGER,
        error TEXT
      );
      CREATE INDEX uptime_checks_by_link ON uptime_checks (link_id, id DESC);
    `,
  },
  {
    version: 8,
    name: 'pub/sub subscriptions and their staged messages',
    sql: `
      -- A subscription to analytics.events: its cursor into the event engine's commit order (seq),
      -- its counters, and (push) the sender's state and lease. filter is JSON
      -- ({"client_ids": [...] | null, "events": [...] | null}); the push secret is sealed, never clear.
      CREATE TABLE pubsub_subscriptions (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        topic TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('pull', 'push')),
        push_endpoint TEXT,
        push_secret_sealed TEXT,
        ack_deadline_seconds INTEGER NOT NULL,
        max_delivery_attempts INTEGER NOT NULL,
        filter TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('active', 'paused')),
        cursor_seq INTEGER NOT NULL,
        dropped_messages INTEGER NOT NULL DEFAULT 0,
        push_next_attempt_at INTEGER,
        push_failures INTEGER NOT NULL DEFAULT 0,
        push_last_status INTEGER,
        push_last_error TEXT,
        push_last_attempt_at INTEGER,
        lease_owner TEXT,
        lease_until INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX pubsub_subscriptions_newest_first ON pubsub_subscriptions (created_at DESC, id DESC);
      CREATE INDEX pubsub_subscriptions_push_due ON pubsub_subscriptions (push_next_attempt_at) WHERE type = 'push' AND state = 'active';

      -- The staged window of a subscription (at most a thousand not-dead rows each, see the feeder):
      -- leased, acknowledged (deleted) or dead-lettered. A hard-deleted client's messages go with it.
      CREATE TABLE pubsub_messages (
        subscription_id TEXT NOT NULL REFERENCES pubsub_subscriptions (id) ON DELETE CASCADE,
        message_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        publish_time INTEGER NOT NULL,
        payload TEXT NOT NULL,
        delivery_attempt INTEGER NOT NULL DEFAULT 0,
        ack_id TEXT,
        lease_until INTEGER,
        dead_at INTEGER,
        last_error TEXT,
        PRIMARY KEY (subscription_id, message_id)
      );
      -- Leasing reads the not-dead rows in seq order; the dead letters are listed from the same index.
      CREATE INDEX pubsub_messages_by_state ON pubsub_messages (subscription_id, dead_at, seq);
      CREATE INDEX pubsub_messages_by_ack_id ON pubsub_messages (ack_id) WHERE ack_id IS NOT NULL;
      -- Deleting a client finds its messages without reading every subscription's.
      CREATE INDEX pubsub_messages_by_client ON pubsub_messages (client_id);
    `,
  },
  {
    version: 9,
    name: 'MCP gateway keys',
    sql: `
      -- Keys of the MCP gateway (mak_…): only the key's SHA-256 and its last four characters are
      -- kept. client_ids is a JSON array (null: every client); a client deleted later simply
      -- matches no data. Revoked keys stay listed (as revoked) until deleted by hand.
      CREATE TABLE mcp_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        key_last4 TEXT NOT NULL,
        scopes TEXT NOT NULL,
        client_ids TEXT,
        expires_at INTEGER,
        revoked_at INTEGER,
        last_used_at INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX mcp_keys_newest_first ON mcp_keys (created_at DESC, id DESC);
    `,
  },
  {
    version: 10,
    name: 'url_regex verdicts',
    sql: `
      -- Whether recheck found a url_regex pattern to run in linear time, by the name of the judging
      -- (recheck's version, the judgements, the fuzzer's seed): a judgement takes up to seconds,
      -- so each node and each start takes the verdicts already reached. Patterns only the admin
      -- key can send, at most 1,000 of up to 256 characters a request.
      CREATE TABLE regex_verdicts (
        judging TEXT NOT NULL,
        pattern TEXT NOT NULL,
        safe INTEGER NOT NULL,
        PRIMARY KEY (judging, pattern)
      );
    `,
  },
];
