import type { IdentityLink, StoredEvent } from '../events/eventStore.js';
import { enrich, identityLinks } from '../ingest/enrich.js';
import { acceptEvents, DEFAULT_LIMITS } from '../ingest/events.js';
import type { Locator } from '../ingest/geo/geoLookup.js';
import type { IpStorage } from '../store/metaStore.js';
import type { DemoSession } from './traffic.js';

export interface DemoClient {
  id: string;
  ipStorage: IpStorage;
  /** Only used when the client keeps keyed hashes of addresses. */
  ipHashSecret: Buffer;
  /** The location database the server would look visitors up in. */
  geo: Locator;
}

/** The rows a server would store for demo sessions. */
export interface DemoRows {
  events: StoredEvent[];
  links: IdentityLink[];
}

/** What a browser's batch usually waits before it is sent and accepted. */
const DELIVERY_DELAY_MS = 700;

/**
 * Runs demo sessions through ingestion's own validation and enrichment, as a secret-key
 * `POST /batch` would (the only caller allowed to backfill timestamps and set the visitor's
 * address and browser), so browser, OS, device type, bot flag, page and campaign columns are
 * exactly what real ingestion would store.
 */
export function ingestDemoSessions(sessions: DemoSession[], client: DemoClient, now: number): DemoRows {
  const rows: DemoRows = { events: [], links: [] };
  for (const session of sessions) {
    const unpacked = { items: session.events, labels: session.events.map((_, i) => `batch[${i}]`), apiKey: undefined };
    const accepted = acceptEvents(unpacked, { trusted: true, now, limits: DEFAULT_LIMITS });
    for (const event of accepted) {
      rows.events.push(
        enrich(event, {
          clientId: client.id,
          receivedAt: event.timestamp + DELIVERY_DELAY_MS,
          ip: null,
          userAgent: null,
          ipStorage: client.ipStorage,
          ipHashSecret: client.ipHashSecret,
          geo: client.geo,
        }),
      );
    }
    rows.links.push(...identityLinks(accepted, client.id));
  }
  return rows;
}
