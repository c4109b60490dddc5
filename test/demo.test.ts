import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { IdentityLink, StoredEvent } from '../src/events/eventStore.js';
import type { ClientChanges, ClientRow } from '../src/store/metaStore.js';
import { DuckDbEventStore } from '../src/engines/duckdb/duckdbEventStore.js';
import { DEMO_FUNNELS } from '../src/demo/demoFunnels.js';
import { DUCKDB_FILE } from '../src/engines/openEventStore.js';
import { SQLITE_FILE } from '../src/store/openMetaStore.js';
import { PostgresMetaStore } from '../src/store/postgres/postgresMetaStore.js';
import { SqliteMetaStore } from '../src/store/sqlite/sqliteMetaStore.js';
import { runCli, startServer, stopAllServers, type Exit } from './helpers/server.js';
import { freshPostgresSchema, POSTGRES_SKIP_REASON, POSTGRES_URL } from './helpers/stores.js';

const ADMIN_KEY = 'mk_demo_test_0f1e2d3c4b5a69788796a5b4c3d2e1f0';
/** Small, so each CLI run takes seconds: two weeks of a quiet shop. */
const SMALL = ['--days', '14', '--sessions-per-day', '40'];
const DAY_MS = 86_400_000;

const root = mkdtempSync(join(tmpdir(), 'mythic-demo-test-'));
after(async () => {
  await stopAllServers();
  rmSync(root, { recursive: true, force: true });
});

const output = (exit: Exit): string => `--- stdout ---\n${exit.stdout}\n--- stderr ---\n${exit.stderr}`;
const printedCount = (stdout: string, what: RegExp): number => Number((what.exec(stdout)?.[1] ?? 'NaN').replace(/,/g, ''));

interface Stored {
  events: StoredEvent[];
  links: IdentityLink[];
}

/** What the CLI wrote, read back through the real EventStore once the CLI has exited. */
async function storedDemo(dataDir: string): Promise<Stored> {
  const store = await DuckDbEventStore.open(join(dataDir, DUCKDB_FILE));
  try {
    return { events: await store.recentEvents('demo', { limit: 10_000_000 }), links: await store.identityLinks('demo') };
  } finally {
    await store.close();
  }
}

describe('mythic seed-demo', () => {
  const dataDir = join(root, 'data');
  let first: Exit;
  let firstStored: Stored;
  let startedAt: number;
  let firstFunnelIds: string[] = [];

  it('creates the demo client, writes traffic and prints the keys, the dashboard URL and how to start', async () => {
    startedAt = Date.now();
    first = await runCli('seed-demo', { dataDir, args: SMALL });
    assert.equal(first.code, 0, output(first));
    assert.match(first.stdout, /Created the demo client 'demo'/);
    assert.match(first.stdout, /publishable key: pk_[0-9a-f]{32}\n/);
    assert.match(first.stdout, /secret key: +sk_[0-9a-f]{32} /);
    assert.match(first.stdout, /Dashboard: +http:\/\/127\.0\.0\.1:0\//);
    assert.match(first.stdout, /Start the server: +npm start -- --data-dir /);
    assert.ok(first.stdout.includes(`(sign in with the secret key above, or with the admin key in ${join(dataDir, 'admin.key')})`), first.stdout);

    const meta = new SqliteMetaStore(join(dataDir, SQLITE_FILE));
    try {
      const client = await meta.getClient('demo');
      assert.ok(client, 'the demo client is in the MetaStore');
      assert.equal(client.domain, 'demo.example.com');
      assert.equal(client.timezone, 'Europe/Berlin');
      assert.equal(client.status, true);
      assert.deepEqual(client.api_metadata, { mythic_demo: true }, 'marked as the client seed-demo made');
      assert.ok(first.stdout.includes(client.publishable_key ?? 'no key'), 'the printed publishable key is the stored one');
      assert.match(first.stdout, new RegExp(`sk_[0-9a-f]{28}${client.secret_key_last4} `), 'the printed secret is the stored one');
      const funnels = await meta.listFunnels('demo');
      assert.deepEqual(funnels.map((f) => f.name), ['Purchase', 'Shop to checkout'], 'the funnel picker has saved funnels to offer');
      firstFunnelIds = funnels.map((f) => f.id);
    } finally {
      await meta.close();
    }

    firstStored = await storedDemo(dataDir);
    const { events, links } = firstStored;
    assert.equal(events.length, printedCount(first.stdout, /Wrote ([\d,]+) events/), 'the printed count is what was stored');
    assert.ok(events.length > 1000, `a dashboard's worth of events (${events.length})`);
    assert.equal(new Set(events.map((e) => e.uuid)).size, events.length, 'every event is stored once');
    assert.equal(links.length, printedCount(first.stdout, /\(([\d,]+) identified visitors\)/));
    // Every step of the demo's saved funnels is something the traffic does.
    for (const step of DEMO_FUNNELS.flatMap((f) => f.steps)) {
      const found = 'event' in step ? events.some((e) => e.event === step.event) : events.some((e) => e.event === '$pageview' && e.path === step.path);
      assert.ok(found, `the traffic has ${JSON.stringify(step)}`);
    }
  });

  it('spreads the traffic over the requested days, up to now, in the client\'s local daytime', () => {
    const { events } = firstStored;
    const times = events.map((e) => e.timestamp);
    assert.ok(Math.max(...times) <= Date.now(), 'nothing in the future');
    assert.ok(Math.min(...times) >= startedAt - 15 * DAY_MS, 'nothing before the first of the 14 local days');
    const days = new Set(times.map((t) => new Date(t).toISOString().slice(0, 10)));
    assert.ok(days.size >= 13, `traffic on every day (${days.size} days)`);
    const berlinHour = (t: number): number => Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: 'numeric', hourCycle: 'h23' }).format(t));
    const hours = times.map(berlinHour);
    const night = hours.filter((h) => h >= 2 && h < 5).length;
    const afternoon = hours.filter((h) => h >= 12 && h < 15).length;
    assert.ok(afternoon > night * 5, `diurnal: ${afternoon} events 12–15 h against ${night} at 2–5 h`);
  });

  it('looks like real traffic after real enrichment: browsers, devices, bots, sources, campaigns, sessions', () => {
    const { events } = firstStored;
    const distinct = (pick: (e: StoredEvent) => string | null): Set<string | null> => new Set(events.map(pick));
    for (const type of ['desktop', 'mobile', 'tablet', 'bot']) assert.ok(distinct((e) => e.device_type).has(type), `device type ${type}`);
    for (const browser of ['Chrome', 'Safari', 'Firefox', 'Microsoft Edge']) assert.ok(distinct((e) => e.browser).has(browser), `browser ${browser}`);
    for (const os of ['Windows', 'macOS', 'iOS', 'Android']) assert.ok(distinct((e) => e.os).has(os), `os ${os}`);
    const bots = events.filter((e) => e.is_bot);
    assert.ok(bots.length > 0 && bots.length < events.length * 0.1, `a few bot events (${bots.length})`);
    assert.ok(bots.every((e) => e.device_type === 'bot'));
    for (const host of ['google.com', 't.co', 'l.facebook.com']) assert.ok(distinct((e) => e.referrer_host).has(host), `referrer ${host}`);
    assert.ok(events.some((e) => e.event === '$pageview' && e.referrer === null), 'direct visits');
    assert.ok(distinct((e) => e.utm_campaign).has('winter_sale'));
    assert.ok(events.some((e) => e.utm_source === 'newsletter' && e.utm_medium === 'email'));
    assert.ok(events.every((e) => e.host === 'demo.example.com' && e.url?.startsWith('https://demo.example.com/')));
    assert.ok(events.every((e) => e.ip === null || /\.0$/.test(e.ip)), 'addresses kept as the client says (truncated)');

    const pagesPerSession = new Map<string, number>();
    for (const e of events) if (e.event === '$pageview') pagesPerSession.set(e.session_id as string, (pagesPerSession.get(e.session_id as string) ?? 0) + 1);
    const multi = [...pagesPerSession.values()].filter((n) => n >= 3).length;
    const single = [...pagesPerSession.values()].filter((n) => n === 1).length;
    assert.ok(multi > 0 && single > 0, `sessions with one and with several page views (${single} / ${multi})`);
    const spans = new Map<string | null, { first: number; last: number }>();
    for (const e of events) {
      const span = spans.get(e.session_id) ?? { first: e.timestamp, last: e.timestamp };
      spans.set(e.session_id, { first: Math.min(span.first, e.timestamp), last: Math.max(span.last, e.timestamp) });
    }
    const durations = [...spans.values()].map((s) => s.last - s.first);
    assert.ok(durations.some((d) => d > 60_000) && durations.every((d) => d < 4 * 3600_000), 'sessions last seconds to minutes, not days');
  });

  it('includes the Segment purchase funnel in order, and identified visitors linked to their earlier anonymous id', () => {
    const { events, links } = firstStored;
    const count = (name: string): number => events.filter((e) => e.event === name).length;
    const funnel = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'].map(count);
    assert.ok(funnel.every((n) => n > 0), `every funnel step happens: ${funnel.join(' → ')}`);
    assert.ok(funnel.every((n, i) => i === 0 || n < (funnel[i - 1] as number)), `each step narrower: ${funnel.join(' → ')}`);
    const order = events.find((e) => e.event === 'Order Completed') as StoredEvent;
    const props = JSON.parse(order.properties) as { order_id?: string; revenue?: number; products?: unknown[] };
    assert.match(props.order_id ?? '', /^ORD-\d+$/);
    assert.ok((props.revenue ?? 0) > 0 && (props.products?.length ?? 0) > 0);

    const identifies = events.filter((e) => e.event === '$identify');
    assert.ok(identifies.length > 0);
    assert.equal(links.length, identifies.length, 'each $identify of an anonymous visitor links it');
    for (const link of links) {
      const identify = identifies.find((e) => e.anon_distinct_id === link.distinct_id);
      assert.equal(identify?.distinct_id, link.person_id);
      assert.ok(events.some((e) => e.distinct_id === link.distinct_id && e.event === '$pageview'), 'the anonymous id browsed before');
    }
  });

  it('run again: reuses the client and its keys, and replaces the traffic instead of adding a copy', async () => {
    const again = await runCli('seed-demo', { dataDir, args: SMALL });
    assert.equal(again.code, 0, output(again));
    assert.match(again.stdout, /Reused the demo client 'demo'/);
    const pk = /publishable key: (pk_[0-9a-f]{32})/.exec(first.stdout)?.[1] as string;
    assert.ok(again.stdout.includes(pk), 'the same publishable key');
    const secret = /secret key: +(sk_[0-9a-f]{32})/.exec(first.stdout)?.[1] as string;
    assert.ok(!again.stdout.includes(secret), 'the secret is not shown again');
    assert.ok(again.stdout.includes(`sk_…${secret.slice(-4)}`), 'the secret is shown masked');

    const meta = new SqliteMetaStore(join(dataDir, SQLITE_FILE));
    try {
      const listed = await meta.listClients({}, { limit: 100, offset: 0 });
      assert.deepEqual(listed.rows.map((c) => c.id), ['demo'], 'still one client');
      assert.deepEqual((await meta.listFunnels('demo')).map((f) => f.id), firstFunnelIds, 'the same saved funnels, none twice');
    } finally {
      await meta.close();
    }
    const stored = await storedDemo(dataDir);
    assert.equal(stored.events.length, printedCount(again.stdout, /Wrote ([\d,]+) events/));
    assert.equal(new Set(stored.events.map((e) => e.uuid)).size, stored.events.length);
    // Same seed, same amount of traffic; only a session cut off by "now" may differ.
    assert.ok(Math.abs(stored.events.length - firstStored.events.length) <= 30, `${stored.events.length} vs ${firstStored.events.length}`);
    assert.equal(stored.links.length, printedCount(again.stdout, /\(([\d,]+) identified visitors\)/));
  });

  it('refuses to run while a server holds the data dir, and changes nothing', async () => {
    const before = await storedDemo(dataDir);
    const server = await startServer({ dataDir, adminKey: ADMIN_KEY });
    try {
      const refused = await runCli('seed-demo', { dataDir, args: SMALL });
      assert.equal(refused.code, 1, output(refused));
      assert.match(refused.stderr, /^mythic: the data dir .* is in use by another mythic process/);
      assert.equal(refused.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
    } finally {
      server.kill('SIGTERM');
      await server.waitForExit();
    }
    const afterwards = await storedDemo(dataDir);
    assert.deepEqual(afterwards.events.map((e) => e.uuid).sort(), before.events.map((e) => e.uuid).sort());
  });

  it('reports a bad demo option as one line and exit code 2, before touching the data dir', async () => {
    const fresh = join(root, 'untouched');
    for (const args of [['--days', '0'], ['--days'], ['--sessions-per-day', 'many'], ['--seed=-1'], ['--frobnicate', '1']]) {
      const exit = await runCli('seed-demo', { dataDir: fresh, args });
      assert.equal(exit.code, 2, `${args.join(' ')}\n${output(exit)}`);
      assert.equal(exit.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${exit.stderr}`);
      assert.match(exit.stderr, /^mythic: /);
    }
    const exit = await runCli('seed-demo', { dataDir: fresh, args: ['--days', '0'] });
    assert.match(exit.stderr, /--days must be a whole number from 1 to 731/);
    assert.equal(existsSync(fresh), false, 'nothing was created');
  });
});

describe('mythic seed-demo and a client \'demo\' it did not create', () => {
  const dataDir = join(root, 'customer-named-demo');
  const uuids = async (): Promise<string[]> => (await storedDemo(dataDir)).events.map((e) => e.uuid).sort();
  /** Changes the stored client as an operator would through the API. */
  async function changeClient(changes: ClientChanges): Promise<ClientRow> {
    const meta = new SqliteMetaStore(join(dataDir, SQLITE_FILE));
    try {
      return (await meta.updateClient('demo', changes, Date.now())) as ClientRow;
    } finally {
      await meta.close();
    }
  }

  it('refuses, in one line and exit code 1, to replace the events of a client \'demo\' without its mark, and changes nothing', async () => {
    const seeded = await runCli('seed-demo', { dataDir, args: ['--days', '2', '--sessions-per-day', '10'] });
    assert.equal(seeded.code, 0, output(seeded));
    // Now it is a customer's client that happens to be called `demo`, with data of its own.
    const customer = await changeClient({ name: 'A real customer', api_metadata: { plan: 'gold' } });
    const before = await uuids();
    assert.ok(before.length > 0);

    const refused = await runCli('seed-demo', { dataDir, args: SMALL });
    assert.equal(refused.code, 1, output(refused));
    assert.equal(refused.stderr.trim().split('\n').length, 1, `one line: ${refused.stderr}`);
    assert.match(refused.stderr, /^mythic: a client with id 'demo' exists and was not created by seed-demo; .*--force/);
    assert.doesNotMatch(refused.stdout, /Wrote|Created|Reused/);
    assert.deepEqual(await uuids(), before, 'the customer\'s events are untouched');
    const meta = new SqliteMetaStore(join(dataDir, SQLITE_FILE));
    try {
      assert.deepEqual(await meta.getClient('demo'), customer, 'the client is untouched');
    } finally {
      await meta.close();
    }
  });

  it('replaces them with --force', async () => {
    const before = await uuids();
    const forced = await runCli('seed-demo', { dataDir, args: ['--force', '--days', '2', '--sessions-per-day', '10', '--seed', '7'] });
    assert.equal(forced.code, 0, output(forced));
    assert.match(forced.stdout, /Reused the demo client 'demo' \(A real customer,/);
    const after = await uuids();
    assert.equal(after.length, printedCount(forced.stdout, /Wrote ([\d,]+) events/));
    assert.ok(!after.some((uuid) => before.includes(uuid)), 'the earlier events were replaced');
  });

  it('warns in one line when the demo client it reuses is deactivated', async () => {
    await changeClient({ api_metadata: { mythic_demo: true }, status: false });
    const again = await runCli('seed-demo', { dataDir, args: ['--days', '2', '--sessions-per-day', '10'] });
    assert.equal(again.code, 0, output(again));
    assert.match(again.stdout, /Reused the demo client 'demo'/);
    assert.equal(again.stderr.trim().split('\n').length, 1, `one line: ${again.stderr}`);
    assert.match(again.stderr, /^mythic: warning: the client 'demo' is deactivated/);

    await changeClient({ status: true });
    const active = await runCli('seed-demo', { dataDir, args: ['--days', '2', '--sessions-per-day', '10'] });
    assert.equal(active.code, 0, output(active));
    assert.equal(active.stderr, '', 'no warning for an active client');
  });
});

describe('mythic seed-demo with PostgreSQL as the MetaStore', { skip: POSTGRES_URL === undefined ? POSTGRES_SKIP_REASON : false }, () => {
  it('creates the client in PostgreSQL once and the events in the data dir, and reuses the client on a rerun', async () => {
    const schema = await freshPostgresSchema(POSTGRES_URL as string);
    const dataDir = join(root, 'with-postgres');
    try {
      const first = await runCli('seed-demo', { dataDir, databaseUrl: schema.url, args: ['--days', '3', '--sessions-per-day', '20'] });
      assert.equal(first.code, 0, output(first));
      assert.match(first.stdout, /Created the demo client 'demo'/);
      assert.match(first.stdout, /meta store: postgres at /);
      const again = await runCli('seed-demo', { dataDir, databaseUrl: schema.url, args: ['--days', '3', '--sessions-per-day', '20'] });
      assert.equal(again.code, 0, output(again));
      assert.match(again.stdout, /Reused the demo client 'demo'/);
      const meta = new PostgresMetaStore(schema.url);
      try {
        const client = await meta.getClient('demo');
        assert.equal(client?.timezone, 'Europe/Berlin');
        assert.ok(again.stdout.includes(client?.publishable_key ?? 'no key'));
      } finally {
        await meta.close();
      }
      const stored = await storedDemo(dataDir);
      assert.equal(stored.events.length, printedCount(again.stdout, /Wrote ([\d,]+) events/));
      assert.ok(stored.events.length > 0);
    } finally {
      await schema.drop();
    }
  });
});

describe('demo traffic generator', () => {
  it('is deterministic for a seed and a moment, and another seed gives other traffic', async () => {
    const { demoTraffic } = await import('../src/demo/traffic.js');
    const options = { host: 'demo.example.com', timezone: 'America/Los_Angeles', days: 3, sessionsPerDay: 30, seed: 7, now: Date.UTC(2026, 2, 9, 18) };
    const once = [...demoTraffic(options)];
    assert.ok(once.length > 30);
    assert.deepEqual([...demoTraffic(options)], once);
    const other = [...demoTraffic({ ...options, seed: 8 })];
    assert.notDeepEqual(other.map((s) => s.events[0]?.uuid), once.map((s) => s.events[0]?.uuid));
    const last = Math.max(...once.flatMap((s) => s.events.map((e) => Date.parse(String(e.timestamp)))));
    assert.ok(last <= options.now, 'nothing after "now"');
  });
});
