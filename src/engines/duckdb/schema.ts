import type { StoredEvent } from '../../events/eventStore.js';
import { personKeySql } from './personKey.js';
import { CREATE_RESOLVED_PERSONS } from './resolvedPersons.js';
import { CREATE_DAY_COUNTS } from './dayCounts.js';
import { CREATE_DAY_ROLLUP } from './dayRollup.js';

/**
 * Columns of `events` created with the table, in table order, with the type their values have in
 * JavaScript: times are DOUBLE epoch milliseconds (exact for any real date), which the appender
 * writes as TIMESTAMPTZ (appendEvents.ts).
 */
const FIRST_EVENT_COLUMNS = [
  ['client_id', 'VARCHAR'],
  ['uuid', 'VARCHAR'],
  ['event', 'VARCHAR'],
  ['distinct_id', 'VARCHAR'],
  ['timestamp', 'DOUBLE'],
  ['received_at', 'DOUBLE'],
  ['session_id', 'VARCHAR'],
  ['device_id', 'VARCHAR'],
  ['anon_distinct_id', 'VARCHAR'],
  ['properties', 'VARCHAR'],
  ['url', 'VARCHAR'],
  ['host', 'VARCHAR'],
  ['path', 'VARCHAR'],
  ['referrer', 'VARCHAR'],
  ['referrer_host', 'VARCHAR'],
  ['utm_source', 'VARCHAR'],
  ['utm_medium', 'VARCHAR'],
  ['utm_campaign', 'VARCHAR'],
  ['utm_term', 'VARCHAR'],
  ['utm_content', 'VARCHAR'],
  ['browser', 'VARCHAR'],
  ['browser_version', 'VARCHAR'],
  ['os', 'VARCHAR'],
  ['device_type', 'VARCHAR'],
  ['is_bot', 'BOOLEAN'],
  ['ip', 'VARCHAR'],
  ['country', 'VARCHAR'],
  ['user_agent', 'VARCHAR'],
] as const satisfies readonly (readonly [keyof StoredEvent, string])[];

/** Columns added by later migrations: the table holds them after `seq`, in this order. */
export const LATER_EVENT_COLUMNS = [
  ['region', 'VARCHAR'],
  ['city', 'VARCHAR'],
  ['link_id', 'VARCHAR'],
] as const satisfies readonly (readonly [keyof StoredEvent, string])[];

/** Every StoredEvent column of `events` (not `seq`). */
export const EVENT_COLUMNS = [...FIRST_EVENT_COLUMNS, ...LATER_EVENT_COLUMNS];

/**
 * The table's columns in its own order, as the appender must fill them: `seq` sits between the
 * first and the later ones, and `person_key` (derived from distinct_id, see personKey.ts) is last.
 */
export const APPENDER_COLUMNS = [...FIRST_EVENT_COLUMNS, ['seq', 'BIGINT'] as const, ...LATER_EVENT_COLUMNS, ['person_key', 'UBIGINT'] as const];

const TIME_COLUMNS = new Set<string>(['timestamp', 'received_at']);

/** Numbered, append-only, like the MetaStore's. */
export const DUCKDB_MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'events and identity links',
    sql: `
      CREATE TABLE events (
        client_id VARCHAR NOT NULL,
        uuid UUID NOT NULL,
        event VARCHAR NOT NULL,
        distinct_id VARCHAR NOT NULL,
        "timestamp" TIMESTAMPTZ NOT NULL,
        received_at TIMESTAMPTZ NOT NULL,
        session_id VARCHAR,
        device_id VARCHAR,
        anon_distinct_id VARCHAR,
        properties JSON NOT NULL,
        url VARCHAR,
        host VARCHAR,
        path VARCHAR,
        referrer VARCHAR,
        referrer_host VARCHAR,
        utm_source VARCHAR,
        utm_medium VARCHAR,
        utm_campaign VARCHAR,
        utm_term VARCHAR,
        utm_content VARCHAR,
        browser VARCHAR,
        browser_version VARCHAR,
        os VARCHAR,
        device_type VARCHAR,
        is_bot BOOLEAN NOT NULL,
        ip VARCHAR,
        country VARCHAR,
        user_agent VARCHAR
      );
      -- One row per stored (client_id, uuid), keyed by their hash (see eventKey): the primary key
      -- that stores a retried event once. Kept apart from the events table because a primary key
      -- there costs every insert several milliseconds more, however few the rows.
      CREATE TABLE event_keys (
        key UUID PRIMARY KEY
      );
      CREATE TABLE identities (
        client_id VARCHAR NOT NULL,
        distinct_id VARCHAR NOT NULL,
        person_id VARCHAR NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        -- The first link of a distinct_id wins: a later $identify cannot re-home it.
        PRIMARY KEY (client_id, distinct_id)
      );
    `,
  },
  {
    version: 2,
    name: 'event uuids of any printable text',
    // Integrators send their own ids (`shopify-order-5012345678`). A stored UUID becomes its
    // canonical lowercase text, which is what eventKey() hashed when it was stored: event_keys
    // stays as it is, so every stored event still deduplicates its retries.
    sql: `ALTER TABLE events ALTER COLUMN uuid SET DATA TYPE VARCHAR;`,
  },
  {
    version: 3,
    name: 'commit order of events',
    // received_at is stamped when a request arrives, and requests commit out of that order: a
    // live view polling by received_at skipped events. seq follows the commit order. Events
    // stored before it are numbered in received order, before every later one.
    sql: `
      ALTER TABLE events ADD COLUMN seq BIGINT;
      UPDATE events SET seq = numbered.n
        FROM (SELECT rowid AS id, row_number() OVER (ORDER BY received_at, uuid) AS n FROM events) numbered
        WHERE events.rowid = numbered.id;
    `,
  },
  {
    version: 4,
    name: 'highest seq ever handed out',
    // Deleting a client's events can remove the newest ones, and the next seq was max(seq) + 1 at
    // open: numbers went back after a restart, and a poller holding an old cursor skipped events.
    // One row, raised in the same transaction as any delete of events, so seq never repeats.
    sql: `
      CREATE TABLE seq_high_water (seq BIGINT NOT NULL);
      INSERT INTO seq_high_water SELECT coalesce(max(seq), 0) FROM events;
    `,
  },
  {
    version: 5,
    name: 'region and city of the visitor',
    // Looked up at ingestion from a City database (MYTHIC_GEOIP_DB); events stored before have none.
    sql: `
      ALTER TABLE events ADD COLUMN region VARCHAR;
      ALTER TABLE events ADD COLUMN city VARCHAR;
    `,
  },
  {
    version: 6,
    name: 'the short link of an event',
    // Clicks of short links, and site events attributed to one; events stored before came through none.
    sql: `ALTER TABLE events ADD COLUMN link_id VARCHAR;`,
  },
  {
    version: 7,
    name: 'a 64-bit person key',
    // Visitors are counted on it (personKey.ts): distinct 64-bit integers, not strings. Filled for
    // the events stored before.
    sql: `
      ALTER TABLE events ADD COLUMN person_key UBIGINT;
      UPDATE events SET person_key = ${personKeySql('distinct_id')};
    `,
  },
  {
    version: 8,
    name: 'every event has a person key',
    // So that no writer can leave a row out of the visitor counts. A step of its own: DuckDB
    // refuses the constraint in the transaction that filled the column.
    sql: `ALTER TABLE events ALTER COLUMN person_key SET NOT NULL;`,
  },
  {
    version: 9,
    name: 'identity links resolved at write time',
    // Reports join the person each linked id resolves to instead of following chains of links per
    // query (resolvedPersons.ts). Filled for the links stored before.
    sql: CREATE_RESOLVED_PERSONS,
  },
  {
    version: 10,
    name: 'day rollups and day counts',
    // Whole local days a report reads from a rollup instead of every event (dayRollup.ts), and
    // their visitors by day (dayCounts.ts); empty until reports roll their finished days.
    sql: CREATE_DAY_ROLLUP + CREATE_DAY_COUNTS,
  },
];

/** Run inside a transaction that deletes events, before it does: remembers the highest seq stored. */
export const RAISE_SEQ_HIGH_WATER = 'UPDATE seq_high_water SET seq = greatest(seq, (SELECT coalesce(max(seq), 0) FROM events))';

/** The highest seq ever handed out: stored events, or deleted ones recorded in seq_high_water. */
export const HIGHEST_SEQ = 'SELECT greatest((SELECT coalesce(max(seq), 0) FROM events), (SELECT coalesce(max(seq), 0) FROM seq_high_water))::DOUBLE';

/** The event keys of one client's stored events, computed as eventKey() computes them. */
export const EVENT_KEYS_OF_CLIENT = `SELECT (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-' || substr(h, 17, 4) || '-' || substr(h, 21, 12))::UUID
  FROM (SELECT sha256(client_id || chr(0) || uuid) AS h FROM events WHERE client_id = $1)`;

/** `events` columns converted back to what CommittedEvent carries. */
export const EVENT_COLUMNS_AS_STORED = EVENT_COLUMNS.map(([name]) =>
  TIME_COLUMNS.has(name) ? `epoch_ms("${name}")::DOUBLE AS "${name}"` : `"${name}"`,
).join(', ') + ', seq::DOUBLE AS seq';
