import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createOutbound } from '../../src/outbound/nodeOutbound.js';
import type { MetaStore } from '../../src/store/metaStore.js';
import { PostgresMetaStore } from '../../src/store/postgres/postgresMetaStore.js';
import { UptimeScheduler, type UptimeSchedulerOptions } from '../../src/uptime/scheduler.js';
import type { UptimeStatusView } from '../../src/uptime/schemas.js';
import type { WebhookEvents } from '../../src/webhooks/webhookEvents.js';
import { startApi, type Envelope } from '../helpers/api.js';
import { POSTGRES_SKIP_REASON, POSTGRES_URL, STORE_KINDS, type OpenedStore } from '../helpers/stores.js';
import { clientFields, linkRow } from '../helpers/rows.js';
import { Receiver } from '../webhooks/receiver.js';

const LOOPBACK = ['127.0.0.1/32', '::1/128'];
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/** A real HTTP server on loopback whose answers the test sets: /code answers `code`, /hang never answers. */
class Target {
  code = 200;
  readonly hits = new Map<string, number>();
  private readonly server = createServer((request, response) => this.answer(request, response));
  origin = '';

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const path = request.url ?? '/';
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
    if (path === '/hang') return;
    if (path === '/redirect') return void response.writeHead(302, { location: '/count/redirected' }).end();
    if (path === '/loop') return void response.writeHead(302, { location: '/loop' }).end();
    if (path === '/code') return void response.writeHead(this.code).end();
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Records what the scheduler tells the webhooks module (whose own tests deliver it). */
class RecordedEvents implements Pick<WebhookEvents, 'publish'> {
  readonly calls: { event: string; data: Record<string, unknown>; clientId: string | null }[] = [];
  async publish(event: string, data: Record<string, unknown>, clientId: string | null): Promise<void> {
    this.calls.push({ event, data, clientId });
  }
}

function scheduler(store: MetaStore, clock: { now: number }, events: RecordedEvents, options: Partial<UptimeSchedulerOptions> = {}, allow = LOOPBACK): UptimeScheduler {
  return new UptimeScheduler(
    {
      store,
      outbound: createOutbound({ allow }),
      webhooks: events,
      clock: () => clock.now,
      log: (message, error) => assert.fail(`${message}: ${String(error)}`),
      random: () => 0.5,
    },
    options,
  );
}

describe('uptime scheduler', () => {
  let opened: OpenedStore;
  let store: MetaStore;
  let target: Target;
  before(async () => {
    opened = await STORE_KINDS[0]!.open();
    store = opened.store;
    await store.insertClient(clientFields('sched'), []);
    target = await new Target().listen();
  });
  after(async () => {
    await target.close();
    await opened.dispose();
  });

  it('turns a link down after 3 failures in a row (uptime.down once), up on the next success (uptime.up), keeping a bounded history', async () => {
    const clock = { now: T0 };
    const events = new RecordedEvents();
    const checks = scheduler(store, clock, events, { historyKept: 4 });
    await store.insertLink(linkRow('lnk_flaky', 'sched', `${target.origin}/code`));
    await store.startMonitor('lnk_flaky', { interval_seconds: 60, timeout_seconds: 2 }, clock.now);
    const step = async (code: number): Promise<void> => {
      target.code = code;
      assert.equal(await checks.runDue(), 1);
      clock.now += 60_000;
    };

    await step(200);
    let monitor = await store.getMonitor('lnk_flaky');
    assert.equal(monitor?.status, 'up');
    assert.equal(monitor?.last_status_code, 200);
    assert.equal(monitor?.next_check_at, T0 + 60_000, 'one interval after the claim (jitter pinned to 0)');
    clock.now -= 1;
    assert.equal(await checks.runDue(), 0, 'not due again before its interval');
    clock.now += 1;

    await step(503);
    await step(500);
    monitor = await store.getMonitor('lnk_flaky');
    assert.equal(monitor?.status, 'up', 'two failures are not down yet');
    assert.equal(monitor?.consecutive_failures, 2);
    assert.equal(events.calls.length, 0);
    await step(503);
    await step(503);
    monitor = await store.getMonitor('lnk_flaky');
    assert.equal(monitor?.status, 'down');
    assert.equal(monitor?.consecutive_failures, 4);
    assert.equal(monitor?.last_error, 'HTTP 503');
    assert.deepEqual(events.calls.map((c) => c.event), ['uptime.down'], 'down is told once');
    assert.equal(events.calls[0]?.clientId, 'sched');
    assert.deepEqual(
      { ...events.calls[0]?.data, response_time_ms: 0 },
      {
        link_id: 'lnk_flaky',
        slug: 'lnk_flaky',
        client_id: 'sched',
        destination_url: `${target.origin}/code`,
        status: 'down',
        checked_at: new Date(T0 + 180_000).toISOString(),
        consecutive_failures: 3,
        status_code: 503,
        response_time_ms: 0,
        error: 'HTTP 503',
      },
    );

    await step(204);
    monitor = await store.getMonitor('lnk_flaky');
    assert.equal(monitor?.status, 'up');
    assert.equal(monitor?.consecutive_failures, 0);
    assert.deepEqual(events.calls.map((c) => c.event), ['uptime.down', 'uptime.up']);
    const history = await store.listChecks('lnk_flaky', 100);
    assert.deepEqual(history.map((c) => c.status_code), [204, 503, 503, 500], 'the newest 4 only, newest first');
    await store.stopMonitor('lnk_flaky');
  });

  it('spreads the next check by up to ±10% of the interval', async () => {
    for (const [random, expected] of [[0, 54_000], [0.75, 63_000]] as const) {
      const id = `lnk_jitter${random}`;
      await store.insertLink(linkRow(id, null, `${target.origin}/ok`));
      await store.startMonitor(id, { interval_seconds: 60, timeout_seconds: 2 }, T0 + 10_000_000);
      const checks = new UptimeScheduler(
        { store, outbound: createOutbound({ allow: LOOPBACK }), webhooks: new RecordedEvents(), clock: () => T0 + 10_000_000, log: () => {}, random: () => random },
        {},
      );
      await checks.runDue();
      assert.equal((await store.getMonitor(id))?.next_check_at, T0 + 10_000_000 + expected);
      await store.stopMonitor(id);
    }
  });

  it('fails a check that hangs past its timeout, runs at most `concurrency` checks, and never claims a monitor whose check is still running', async () => {
    const clock = { now: T0 + 20_000_000 };
    for (const id of ['lnk_hang1', 'lnk_hang2', 'lnk_hang3']) {
      await store.insertLink(linkRow(id, null, `${target.origin}/hang`));
      await store.startMonitor(id, { interval_seconds: 60, timeout_seconds: 1 }, clock.now);
    }
    const nodeA = scheduler(store, clock, new RecordedEvents(), { concurrency: 2 });
    const nodeB = scheduler(store, clock, new RecordedEvents(), { concurrency: 4 });
    const started = Date.now();
    const first = await nodeA.tick();
    assert.equal(first.length, 2, 'two slots');
    clock.now += 100_000; // past the interval (60 s), within the lease (120 s)
    assert.deepEqual(await nodeA.tick(), [], 'no free slot while both hang');
    const second = await nodeB.tick();
    assert.equal(second.length, 1, 'the other node gets the third monitor only: the two running ones are leased');
    await Promise.all([...first, ...second]);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900 && elapsed < 4_000, `the timeout ended the checks (${elapsed} ms)`);
    for (const id of ['lnk_hang1', 'lnk_hang2', 'lnk_hang3']) {
      const monitor = await store.getMonitor(id);
      assert.equal(monitor?.consecutive_failures, 1);
      assert.equal(monitor?.last_status_code, null);
      assert.match(monitor?.last_error ?? '', /within|time/i);
      assert.equal(monitor?.lease_owner, null);
      await store.stopMonitor(id);
    }
    assert.equal(target.hits.get('/hang'), 3, 'one request per monitor, none piled up');
  });

  it('closing stops claiming and waits for running checks to be stored, a hanging one no longer than the grace', async () => {
    const clock = { now: T0 + 40_000_000 };
    await store.insertLink(linkRow('lnk_closefast', null, `${target.origin}/count/close`));
    await store.insertLink(linkRow('lnk_closehang', null, `${target.origin}/hang`));
    for (const id of ['lnk_closefast', 'lnk_closehang']) await store.startMonitor(id, { interval_seconds: 60, timeout_seconds: 1 }, clock.now);
    const checks = scheduler(store, clock, new RecordedEvents(), { closeGraceMs: 300 });
    const running = await checks.tick();
    assert.equal(running.length, 2);
    const closing = Date.now();
    await checks.close();
    const waited = Date.now() - closing;
    assert.ok(waited >= 250 && waited < 900, `closing waited for the grace only (${waited} ms)`);
    assert.equal((await store.getMonitor('lnk_closefast'))?.last_status_code, 200, 'the quick check was stored before close returned');
    clock.now += 600_000;
    assert.deepEqual(await checks.tick(), [], 'a closed scheduler claims nothing');
    await Promise.all(running);
    for (const id of ['lnk_closefast', 'lnk_closehang']) await store.stopMonitor(id);
  });

  it('follows up to 5 redirects; a redirect loop and a private address are failures with their reason, not crashes', async () => {
    const clock = { now: T0 + 30_000_000 };
    const cases = [
      ['lnk_redirect', '/redirect', LOOPBACK],
      ['lnk_loop', '/loop', LOOPBACK],
      ['lnk_private', '/ok', []],
    ] as const;
    for (const [id, path, allow] of cases) {
      await store.insertLink(linkRow(id, null, `${target.origin}${path}`));
      await store.startMonitor(id, { interval_seconds: 60, timeout_seconds: 2 }, clock.now);
      assert.equal(await scheduler(store, clock, new RecordedEvents(), { concurrency: 1 }, [...allow]).runDue(), 1);
      await store.stopMonitor(id);
    }
    const [redirected, looped, refused] = await Promise.all(cases.map(([id]) => store.getMonitor(id)));
    assert.equal(redirected?.status, 'up');
    assert.equal(redirected?.last_status_code, 200);
    assert.equal(target.hits.get('/count/redirected'), 1);
    assert.equal(looped?.last_status_code, null);
    assert.match(looped?.last_error ?? '', /^refused \(too_many_redirects\)/);
    assert.equal(target.hits.get('/loop'), 6, 'the first request and 5 redirects');
    assert.match(refused?.last_error ?? '', /^refused \(private_address\)/);
  });

  it('runs from the app once it is ready, and the webhooks module delivers uptime.down and uptime.up, signed', async () => {
    const api = await startApi(STORE_KINDS[0]!, {
      uptime: { tickMs: 20 },
      outboundAllow: LOOPBACK,
      webhooks: { dispatcher: { pollMs: 20 }, publisher: { flushMs: 20 } },
    });
    const receiver = await new Receiver().start();
    try {
      const hook = await api.request<Envelope<{ id: string; secret: string }>>('POST', '/api/v1/links/webhooks', {
        body: { url: receiver.url(), events: ['uptime.down', 'uptime.up'] },
      });
      assert.equal(hook.status, 201, JSON.stringify(hook.body));
      await api.store.insertLink(linkRow('lnk_fromapp', null, `${target.origin}/code`));
      target.code = 200;
      assert.equal((await api.request('POST', '/api/v1/links/lnk_fromapp/uptime/start', { body: { interval: 60, timeout: 5 } })).status, 200);
      const status = async (): Promise<UptimeStatusView> =>
        (await api.request<Envelope<UptimeStatusView>>('GET', '/api/v1/links/lnk_fromapp/uptime/status')).body.data;
      const checked = async (count: number): Promise<UptimeStatusView> => {
        for (let i = 0; i < 250; i += 1) {
          const now = await status();
          if (now.history.length >= count) return now;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        throw new Error(`no check ${count} within 5 s`);
      };
      const first = await checked(1);
      assert.equal(first.status, 'up');
      assert.equal(first.last_checked, '2026-03-01T12:00:00.000Z', 'the first check runs within a tick of the start');
      assert.equal(typeof first.response_time_ms, 'number');
      assert.deepEqual(first.history.map((c) => [c.ok, c.status_code, c.error]), [[true, 200, null]]);

      target.code = 503;
      for (let n = 2; n <= 4; n += 1) {
        api.clock.advance(67_000); // past the interval and its jitter (±10%)
        await checked(n);
      }
      assert.equal((await status()).status, 'down');
      target.code = 200;
      api.clock.advance(67_000); // past the interval and its jitter (±10%)
      assert.equal((await checked(5)).status, 'up');
      await receiver.waitFor(() => receiver.delivered().length >= 2);
      const delivered = receiver.delivered().map((r) => JSON.parse(r.body) as { event: string; data: { link_id: string; status: string } });
      assert.deepEqual(delivered.map((d) => [d.event, d.data.link_id, d.data.status]), [
        ['uptime.down', 'lnk_fromapp', 'down'],
        ['uptime.up', 'lnk_fromapp', 'up'],
      ]);
      assert.match(String(receiver.delivered()[0]?.headers['mythic-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);
    } finally {
      await api.close();
      await receiver.stop();
    }
  });
});

describe('uptime scheduler on several nodes', { skip: POSTGRES_URL === undefined ? POSTGRES_SKIP_REASON : false }, () => {
  it('runs each due check once when two nodes share one PostgreSQL MetaStore', async () => {
    const opened = await STORE_KINDS[1]!.open();
    const second = new PostgresMetaStore(opened.location.databaseUrl as string);
    const target = await new Target().listen();
    try {
      const clock = { now: T0 };
      const ids = Array.from({ length: 12 }, (_, i) => `lnk_node${String(i).padStart(2, '0')}`);
      for (const id of ids) {
        await opened.store.insertLink(linkRow(id, null, `${target.origin}/count/${id}`));
        await opened.store.startMonitor(id, { interval_seconds: 60, timeout_seconds: 2 }, clock.now);
      }
      const nodes = [scheduler(opened.store, clock, new RecordedEvents(), { concurrency: 12 }), scheduler(second, clock, new RecordedEvents(), { concurrency: 12 })];
      for (let round = 1; round <= 3; round += 1) {
        const ran = await Promise.all(nodes.map((node) => node.runDue()));
        assert.equal(ran[0]! + ran[1]!, 12, `round ${round}: every monitor checked (${ran.join(' + ')})`);
        for (const id of ids) assert.equal(target.hits.get(`/count/${id}`), round, `${id} checked once in round ${round}`);
        clock.now += 60_000;
      }
      assert.equal((await opened.store.listChecks('lnk_node00', 10)).length, 3);
    } finally {
      await target.close();
      await second.close();
      await opened.dispose();
    }
  });
});

describe('uptime refusals as a client reads them', () => {
  it('shows the link’s client why a check was refused, never the address its host resolved to', async () => {
    // The real outbound guard; only DNS is replaced, answering an internal address (nothing is contacted).
    const api = await startApi(STORE_KINDS[0]!, { uptime: { tickMs: 20 }, outbound: createOutbound({ resolve: async () => ['10.1.2.3'] }) });
    try {
      const created = await api.request('POST', '/api/v1/clients', { body: { id: 'prober', name: 'Prober' } });
      const key = (created.body.data as unknown as { secret_key: string }).secret_key;
      const asClient = { anonymous: true, headers: { authorization: `Bearer ${key}` } };
      await api.store.insertLink(linkRow('lnk_probeinternal', 'prober', 'http://intranet.example/admin'));
      assert.equal((await api.request('POST', '/api/v1/links/lnk_probeinternal/uptime/start', { ...asClient, body: { interval: 60 } })).status, 200);
      let seen: UptimeStatusView | undefined;
      for (let i = 0; i < 250 && (seen?.history.length ?? 0) === 0; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen = (await api.request<Envelope<UptimeStatusView>>('GET', '/api/v1/links/lnk_probeinternal/uptime/status', asClient)).body.data;
      }
      assert.match(seen?.last_error ?? '', /^refused \(private_address\): The destination's address is not public/);
      assert.doesNotMatch(JSON.stringify(seen), /10\.1\.2\.3/);
    } finally {
      await api.close();
    }
  });
});
