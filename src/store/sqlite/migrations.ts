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
];
