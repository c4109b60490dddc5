/**
 * Numbered, append-only: a released migration is never edited, a change is a new number.
 * Same tables, columns and indexes as the SQLite migrations with the same numbers.
 *
 * Names are unqualified: tables land in the first schema of the connection's search_path.
 * Every TEXT column uses COLLATE "C" so that ordering (`ORDER BY id DESC`, keyset `id < $n`) is
 * byte order and ILIKE folds ASCII only, exactly as SQLite's BINARY collation and LIKE do,
 * whatever locale the database was created with. Unique constraints are named explicitly so a
 * violation (SQLSTATE 23505) maps onto the field that collided. Metadata is JSON, not JSONB: it
 * is stored and returned as sent, key order included, as SQLite does.
 */
/** Which migrations ran; created (if missing) by `migrate()` before it reads it. */
export const POSTGRES_SCHEMA_MIGRATIONS_TABLE =
  'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)';

export const POSTGRES_MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'clients, keys and agencies',
    sql: `
      CREATE TABLE clients (
        id TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        status BOOLEAN NOT NULL,
        domain TEXT COLLATE "C",
        email TEXT COLLATE "C",
        phone TEXT COLLATE "C",
        website TEXT COLLATE "C",
        timezone TEXT COLLATE "C" NOT NULL,
        global_name TEXT COLLATE "C",
        company_id TEXT COLLATE "C",
        agency_id TEXT COLLATE "C",
        api_metadata JSON NOT NULL,
        ghl_location_id TEXT COLLATE "C",
        proxy_key_hash TEXT COLLATE "C",
        proxy_key_last4 TEXT COLLATE "C",
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        CONSTRAINT clients_pkey PRIMARY KEY (id),
        CONSTRAINT clients_domain_key UNIQUE (domain),
        CONSTRAINT clients_global_name_key UNIQUE (global_name)
      );
      CREATE INDEX clients_newest_first ON clients (created_at DESC, id DESC);
      CREATE INDEX clients_by_agency ON clients (agency_id);
      CREATE INDEX clients_by_company ON clients (company_id);
      CREATE INDEX clients_by_ghl_location ON clients (ghl_location_id);

      CREATE TABLE client_keys (
        id TEXT COLLATE "C" NOT NULL,
        client_id TEXT COLLATE "C" NOT NULL,
        kind TEXT COLLATE "C" NOT NULL,
        key_hash TEXT COLLATE "C" NOT NULL,
        publishable_key TEXT COLLATE "C",
        last4 TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        last_used_at BIGINT,
        CONSTRAINT client_keys_pkey PRIMARY KEY (id),
        CONSTRAINT client_keys_client_id_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE,
        CONSTRAINT client_keys_kind_check CHECK (kind IN ('publishable', 'secret')),
        CONSTRAINT client_keys_key_hash_key UNIQUE (key_hash)
      );
      CREATE INDEX client_keys_by_client ON client_keys (client_id, kind, created_at DESC, id DESC);
      -- One current key per kind and client: rotation expires the old key in the same transaction.
      CREATE UNIQUE INDEX client_keys_current ON client_keys (client_id, kind) WHERE expires_at IS NULL;

      CREATE TABLE agencies (
        id TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        name_key TEXT COLLATE "C" NOT NULL,
        email TEXT COLLATE "C",
        phone TEXT COLLATE "C",
        website TEXT COLLATE "C",
        metadata JSON NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        CONSTRAINT agencies_pkey PRIMARY KEY (id),
        CONSTRAINT agencies_name_key_key UNIQUE (name_key)
      );
      CREATE INDEX agencies_newest_first ON agencies (created_at DESC, id DESC);
    `,
  },
  {
    version: 2,
    name: 'client ip storage and sdk settings; tags, snippets and hostnames',
    sql: `
      ALTER TABLE clients ADD COLUMN ip_storage TEXT COLLATE "C" NOT NULL DEFAULT 'truncated'
        CONSTRAINT clients_ip_storage_check CHECK (ip_storage IN ('truncated', 'hashed', 'none'));
      ALTER TABLE clients ADD COLUMN sdk_settings JSON NOT NULL DEFAULT '{}';

      CREATE TABLE client_tags (
        client_id TEXT COLLATE "C" NOT NULL,
        position INTEGER NOT NULL,
        tag_id TEXT COLLATE "C" NOT NULL,
        enabled BOOLEAN NOT NULL,
        params JSON NOT NULL,
        trigger_rules JSON NOT NULL,
        CONSTRAINT client_tags_pkey PRIMARY KEY (client_id, position),
        CONSTRAINT client_tags_client_id_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE
      );

      CREATE TABLE client_snippets (
        id TEXT COLLATE "C" NOT NULL,
        client_id TEXT COLLATE "C" NOT NULL,
        position INTEGER NOT NULL,
        code TEXT COLLATE "C" NOT NULL,
        description TEXT COLLATE "C" NOT NULL,
        enabled BOOLEAN NOT NULL,
        trigger_rules JSON NOT NULL,
        CONSTRAINT client_snippets_pkey PRIMARY KEY (id),
        CONSTRAINT client_snippets_client_id_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE,
        CONSTRAINT client_snippets_position_key UNIQUE (client_id, position)
      );

      -- A hostname belongs to one client at most: the primary key is the hostname itself.
      CREATE TABLE client_hostnames (
        hostname TEXT COLLATE "C" NOT NULL,
        client_id TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        CONSTRAINT client_hostnames_pkey PRIMARY KEY (hostname),
        CONSTRAINT client_hostnames_client_id_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE
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
        client_id TEXT COLLATE "C" NOT NULL,
        hostname TEXT COLLATE "C" NOT NULL,
        first_event_at BIGINT NOT NULL,
        CONSTRAINT hostname_first_events_pkey PRIMARY KEY (client_id, hostname),
        CONSTRAINT hostname_first_events_client_id_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE
      );
      -- localhost and IP addresses, for testing on one's own machine: every client may have them,
      -- so they are kept apart from the hostnames that belong to one client only.
      CREATE TABLE client_local_hosts (
        client_id TEXT COLLATE "C" NOT NULL,
        hostname TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        CONSTRAINT client_local_hosts_pkey PRIMARY KEY (client_id, hostname),
        CONSTRAINT client_local_hosts_client_id_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE
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
        id TEXT COLLATE "C" NOT NULL,
        client_id TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        name_key TEXT COLLATE "C" NOT NULL,
        steps JSON NOT NULL,
        window_seconds INTEGER NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        CONSTRAINT client_funnels_pkey PRIMARY KEY (id),
        CONSTRAINT client_funnels_client_id_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE,
        CONSTRAINT client_funnels_name_key UNIQUE (client_id, name_key)
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
        id TEXT COLLATE "C" NOT NULL,
        client_id TEXT COLLATE "C",
        slug TEXT COLLATE "C" NOT NULL,
        slug_key TEXT COLLATE "C" NOT NULL,
        destination_url TEXT COLLATE "C" NOT NULL,
        title TEXT COLLATE "C",
        tags JSON NOT NULL,
        metadata JSON NOT NULL,
        password_hash TEXT COLLATE "C",
        expires_at BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        CONSTRAINT links_pkey PRIMARY KEY (id),
        CONSTRAINT links_client_id_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE,
        CONSTRAINT links_slug_key_key UNIQUE (slug_key)
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
        id TEXT COLLATE "C" NOT NULL,
        url TEXT COLLATE "C" NOT NULL,
        events JSON NOT NULL,
        client_id TEXT COLLATE "C",
        description TEXT COLLATE "C",
        secret_sealed TEXT COLLATE "C" NOT NULL,
        enabled BOOLEAN NOT NULL,
        disabled_reason TEXT COLLATE "C",
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        failing_since BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        CONSTRAINT webhooks_pkey PRIMARY KEY (id),
        CONSTRAINT webhooks_client_id_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE
      );
      CREATE INDEX webhooks_client_id ON webhooks (client_id);
      -- One row per delivery to one webhook; a dispatcher leases due rows (lease_until, lease_owner).
      -- The payload is TEXT, not JSON: it is kept byte for byte as signed.
      CREATE TABLE webhook_deliveries (
        id TEXT COLLATE "C" NOT NULL,
        webhook_id TEXT COLLATE "C" NOT NULL,
        event TEXT COLLATE "C" NOT NULL,
        payload TEXT COLLATE "C" NOT NULL,
        status TEXT COLLATE "C" NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        lease_until BIGINT,
        lease_owner TEXT COLLATE "C",
        last_status INTEGER,
        last_error TEXT COLLATE "C",
        last_duration_ms INTEGER,
        total_duration_ms BIGINT NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL,
        finished_at BIGINT,
        CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id),
        CONSTRAINT webhook_deliveries_webhook_id_fkey FOREIGN KEY (webhook_id) REFERENCES webhooks (id) ON DELETE CASCADE
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
      -- One monitor per link; stopping sets active = false and keeps the row, so status and history stay readable.
      -- lease_until / lease_owner: the node running a check holds the monitor until it records the result.
      CREATE TABLE uptime_monitors (
        link_id TEXT COLLATE "C" NOT NULL,
        interval_seconds INTEGER NOT NULL,
        timeout_seconds INTEGER NOT NULL,
        active BOOLEAN NOT NULL,
        status TEXT COLLATE "C" NOT NULL,
        consecutive_failures INTEGER NOT NULL,
        last_checked_at BIGINT,
        last_response_ms INTEGER,
        last_status_code INTEGER,
        last_error TEXT COLLATE "C",
        next_check_at BIGINT NOT NULL,
        lease_until BIGINT,
        lease_owner TEXT COLLATE "C",
        started_at BIGINT NOT NULL,
        CONSTRAINT uptime_monitors_pkey PRIMARY KEY (link_id),
        CONSTRAINT uptime_monitors_link_id_fkey FOREIGN KEY (link_id) REFERENCES links (id) ON DELETE CASCADE,
        CONSTRAINT uptime_monitors_status_check CHECK (status IN ('up', 'down', 'unknown'))
      );
      CREATE INDEX uptime_monitors_due ON uptime_monitors (next_check_at) WHERE active;

      -- Bounded per link (the writer prunes the oldest): a history, not an archive.
      CREATE TABLE uptime_checks (
        id BIGINT GENERATED ALWAYS AS IDENTITY,
        link_id TEXT COLLATE "C" NOT NULL,
        checked_at BIGINT NOT NULL,
        ok BOOLEAN NOT NULL,
        status_code INTEGER,
        response_ms INTEGER,
        error TEXT COLLATE "C",
        CONSTRAINT uptime_checks_pkey PRIMARY KEY (id),
        CONSTRAINT uptime_checks_link_id_fkey FOREIGN KEY (link_id) REFERENCES uptime_monitors (link_id) ON DELETE CASCADE
      );
      CREATE INDEX uptime_checks_by_link ON uptime_checks (link_id, id DESC);
    `,
  },
  {
    version: 8,
    name: 'pub/sub subscriptions and their staged messages',
    sql: `
      -- A subscription to analytics.events: its cursor into the event engine's commit order (seq),
      -- its counters, and (push) the sender's state and lease. The push secret is sealed, never clear.
      CREATE TABLE pubsub_subscriptions (
        id TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        name_key TEXT COLLATE "C" NOT NULL,
        topic TEXT COLLATE "C" NOT NULL,
        type TEXT COLLATE "C" NOT NULL,
        push_endpoint TEXT COLLATE "C",
        push_secret_sealed TEXT COLLATE "C",
        ack_deadline_seconds INTEGER NOT NULL,
        max_delivery_attempts INTEGER NOT NULL,
        filter JSON NOT NULL,
        state TEXT COLLATE "C" NOT NULL,
        cursor_seq BIGINT NOT NULL,
        dropped_messages BIGINT NOT NULL DEFAULT 0,
        push_next_attempt_at BIGINT,
        push_failures INTEGER NOT NULL DEFAULT 0,
        push_last_status INTEGER,
        push_last_error TEXT COLLATE "C",
        push_last_attempt_at BIGINT,
        lease_owner TEXT COLLATE "C",
        lease_until BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        CONSTRAINT pubsub_subscriptions_pkey PRIMARY KEY (id),
        CONSTRAINT pubsub_subscriptions_name_key_key UNIQUE (name_key),
        CONSTRAINT pubsub_subscriptions_type_check CHECK (type IN ('pull', 'push')),
        CONSTRAINT pubsub_subscriptions_state_check CHECK (state IN ('active', 'paused'))
      );
      CREATE INDEX pubsub_subscriptions_newest_first ON pubsub_subscriptions (created_at DESC, id DESC);
      CREATE INDEX pubsub_subscriptions_push_due ON pubsub_subscriptions (push_next_attempt_at) WHERE type = 'push' AND state = 'active';

      -- The staged window of a subscription (at most a thousand not-dead rows each, see the feeder):
      -- leased, acknowledged (deleted) or dead-lettered. A hard-deleted client's messages go with it.
      -- The payload is TEXT, not JSON: it is delivered byte for byte as staged.
      CREATE TABLE pubsub_messages (
        subscription_id TEXT COLLATE "C" NOT NULL,
        message_id TEXT COLLATE "C" NOT NULL,
        seq BIGINT NOT NULL,
        client_id TEXT COLLATE "C" NOT NULL,
        publish_time BIGINT NOT NULL,
        payload TEXT COLLATE "C" NOT NULL,
        delivery_attempt INTEGER NOT NULL DEFAULT 0,
        ack_id TEXT COLLATE "C",
        lease_until BIGINT,
        dead_at BIGINT,
        last_error TEXT COLLATE "C",
        CONSTRAINT pubsub_messages_pkey PRIMARY KEY (subscription_id, message_id),
        CONSTRAINT pubsub_messages_subscription_id_fkey FOREIGN KEY (subscription_id) REFERENCES pubsub_subscriptions (id) ON DELETE CASCADE,
        CONSTRAINT pubsub_messages_client_id_fkey FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE
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
        id TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        key_hash TEXT COLLATE "C" NOT NULL,
        key_last4 TEXT COLLATE "C" NOT NULL,
        scopes JSON NOT NULL,
        client_ids JSON,
        expires_at BIGINT,
        revoked_at BIGINT,
        last_used_at BIGINT,
        created_at BIGINT NOT NULL,
        CONSTRAINT mcp_keys_pkey PRIMARY KEY (id),
        CONSTRAINT mcp_keys_key_hash_key UNIQUE (key_hash)
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
        judging TEXT COLLATE "C" NOT NULL,
        pattern TEXT COLLATE "C" NOT NULL,
        safe BOOLEAN NOT NULL,
        CONSTRAINT regex_verdicts_pkey PRIMARY KEY (judging, pattern)
      );
    `,
  },
];
