import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { presentClient } from '../clients/present.js';
import type { ClientView } from '../clients/schemas.js';
import { ClientsService } from '../clients/service.js';
import type { Config } from '../config.js';
import type { EventStore } from '../events/eventStore.js';
import { openEventStore } from '../engines/openEventStore.js';
import { ADMIN_KEY_FILE } from '../keys/adminKey.js';
import { systemClock } from '../shared/clock.js';
import type { MetaStore } from '../store/metaStore.js';
import { describeMetaStore, openMetaStore } from '../store/openMetaStore.js';
import { saveDemoFunnels } from './demoFunnels.js';
import { DEMO_MARK, isMarkedDemo, UnmarkedDemoClient } from './demoMark.js';
import { ingestDemoSessions } from './ingestDemo.js';
import { openConfiguredGeoLookup } from '../ingest/geo/configuredGeoLookup.js';
import type { DemoOptions } from './options.js';
import { demoTraffic, type DemoSession } from './traffic.js';

export const DEMO_CLIENT = {
  id: 'demo',
  name: 'Demo Coffee Shop',
  domain: 'demo.example.com',
  website: 'https://demo.example.com',
  timezone: 'Europe/Berlin',
  api_metadata: DEMO_MARK,
} as const;

/** Events per EventStore transaction: large enough to go through DuckDB's bulk path, small enough to bound memory. */
const EVENTS_PER_APPEND = 5000;

export interface SeedOutcome {
  client: ClientView;
  /** False when the demo client already existed (its secret key is then shown masked). */
  created: boolean;
  events: number;
  sessions: number;
  identityLinks: number;
  from: number;
  to: number;
  /** Which event engine holds them, and where (the store's description). */
  eventStore: string;
}

/**
 * Creates the demo client (or reuses the one it created before) and replaces its events with fresh
 * synthetic traffic ending now. Running it again gives the same client and keys and the same amount
 * of traffic, never a second copy. The EventStore is opened first: DuckDB locks its file, so this fails at
 * once, before touching the MetaStore, while a server holds the data dir. An existing client `demo`
 * without seed-demo's mark is refused (UnmarkedDemoClient) unless options.force is set.
 */
export async function seedDemo(config: Config, options: DemoOptions, now: number = Date.now()): Promise<SeedOutcome> {
  let events: EventStore | undefined;
  let store: MetaStore | undefined;
  try {
    // Opened first of all: a bad MYTHIC_GEOIP_DB fails before any store is touched.
    const geo = openConfiguredGeoLookup(config);
    const eventStore = await openEventStore(config);
    events = eventStore;
    store = await openMetaStore(config);
    await store.migrate();
    const existing = await store.getClient(DEMO_CLIENT.id);
    // Checked before anything is written: a real customer may have the id `demo`.
    if (existing !== null && !isMarkedDemo(existing) && !options.force) throw new UnmarkedDemoClient(DEMO_CLIENT.id);
    const client = existing === null ? await new ClientsService(store, systemClock).create({ ...DEMO_CLIENT }) : presentClient(existing);
    const row = existing ?? (await store.getClient(DEMO_CLIENT.id));
    if (row === null) throw new Error('the demo client vanished while it was being seeded');
    await saveDemoFunnels(store, DEMO_CLIENT.id, systemClock);

    await eventStore.deleteClient(DEMO_CLIENT.id);
    // The server keys its address hashes with a secret derived from the admin key, which this
    // command does not read; synthetic addresses need no stable hash, so any secret will do.
    const target = { id: DEMO_CLIENT.id, ipStorage: row.ip_storage, ipHashSecret: randomBytes(32), geo };
    const outcome: SeedOutcome = { client, created: existing === null, events: 0, sessions: 0, identityLinks: 0, from: Infinity, to: -Infinity, eventStore: eventStore.description };
    let pending: DemoSession[] = [];
    let pendingEvents = 0;
    const flush = async (): Promise<void> => {
      const rows = ingestDemoSessions(pending, target, now);
      await eventStore.append(rows.events, rows.links);
      for (const event of rows.events) {
        if (event.timestamp < outcome.from) outcome.from = event.timestamp;
        if (event.timestamp > outcome.to) outcome.to = event.timestamp;
      }
      outcome.events += rows.events.length;
      outcome.identityLinks += rows.links.length;
      pending = [];
      pendingEvents = 0;
    };
    const host = row.domain ?? DEMO_CLIENT.domain;
    for (const session of demoTraffic({ host, timezone: row.timezone, ...options, now })) {
      pending.push(session);
      pendingEvents += session.events.length;
      outcome.sessions += 1;
      if (pendingEvents >= EVENTS_PER_APPEND) await flush();
    }
    if (pending.length > 0) await flush();
    return outcome;
  } finally {
    await events?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
  }
}

/** What the operator reads afterwards: the keys, where to look, how to start. */
export function describeSeed(outcome: SeedOutcome, config: Config, defaultDataDir: string): string {
  const { client } = outcome;
  const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  const start = config.dataDir === defaultDataDir ? 'npm start' : `npm start -- --data-dir ${config.dataDir}`;
  // The server prints a generated key only once; after that the file is where to find it.
  const adminKey = config.adminKey === undefined ? `the admin key in ${join(config.dataDir, ADMIN_KEY_FILE)}` : 'the admin key you configured';
  const secret = outcome.created
    ? `    secret key:      ${client.secret_key}   (shown only now: keep it)\n`
    : `    secret key:      ${client.secret_key}   (shown in full only when the client was created; rotate it with\n` +
      `                     POST /api/v1/clients/${client.id}/keys/rotate or in the dashboard to get a new one)\n`;
  return (
    `${outcome.created ? 'Created' : 'Reused'} the demo client '${client.id}' (${client.name}, ${client.domain}, ${client.timezone}).\n` +
    `Wrote ${outcome.events.toLocaleString('en-US')} events in ${outcome.sessions.toLocaleString('en-US')} sessions ` +
    `(${outcome.identityLinks.toLocaleString('en-US')} identified visitors)${outcome.events > 0 ? `, ${day(outcome.from)} to ${day(outcome.to)}` : ''}, ` +
    `replacing the client's earlier events.\n` +
    `  meta store: ${describeMetaStore(config)}; events: ${outcome.eventStore}\n\n` +
    `    publishable key: ${client.publishable_key}\n` +
    secret +
    `\nStart the server:  ${start}\n` +
    `Dashboard:         ${base}/  (sign in with the secret key above, or with ${adminKey})\n` +
    `Query the API:     curl -X POST ${base}/api/v1/query -H "Authorization: Bearer <secret key>" -H "content-type: application/json" \\\n` +
    `                     -d '{"client_id":"${client.id}","metrics":["unique_visitors","page_views"],"dimensions":["day"],"period":"30d"}'\n`
  );
}
