import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PostgresMetaStore } from '../../src/store/postgres/postgresMetaStore.js';
import { createOutbound } from '../../src/outbound/nodeOutbound.js';
import { DEFAULT_DISPATCHER_OPTIONS, WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { SecretBox } from '../../src/webhooks/secretBox.js';
import type { DeliveryRow, WebhookRow } from '../../src/webhooks/webhookRows.js';
import { Receiver } from './receiver.js';
import { describeEachStore, STORE_KINDS, storeOfSuite, type StoreKind } from '../helpers/stores.js';
import { clientFields } from '../helpers/rows.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

const webhook = (id: string, extra: Partial<WebhookRow> = {}): WebhookRow => ({
  id,
  url: 'https://hooks.example.com/in',
  events: ['link.created', 'uptime.down'],
  client_id: null,
  description: null,
  secret_sealed: 'v1:sealed',
  enabled: true,
  disabled_reason: null,
  consecutive_failures: 0,
  failing_since: null,
  created_at: T0,
  updated_at: T0,
  ...extra,
});

const delivery = (id: string, webhookId: string, extra: Partial<DeliveryRow> = {}): DeliveryRow => ({
  id,
  webhook_id: webhookId,
  event: 'link.created',
  payload: `{"id":"evt_${id}","n":1.0}`,
  status: 'pending',
  attempts: 0,
  next_attempt_at: T0,
  lease_until: null,
  lease_owner: null,
  last_status: null,
  last_error: null,
  last_duration_ms: null,
  total_duration_ms: 0,
  created_at: T0,
  finished_at: null,
  ...extra,
});

describeEachStore('webhook store', (kind) => {
  const suite = storeOfSuite(kind);

  it('keeps webhooks: insert, read, list newest first, change, scope to an existing client only, delete with deliveries', async () => {
    assert.equal(await suite.store.insertWebhook(webhook('whk_a')), 'inserted');
    assert.equal(await suite.store.insertWebhook(webhook('whk_b', { created_at: T0 + 1, client_id: 'nobody' })), 'no_client');
    await suite.store.insertClient(clientFields('acme', { name: 'Acme', created_at: T0, updated_at: T0 }), []);
    assert.equal(await suite.store.insertWebhook(webhook('whk_b', { created_at: T0 + 1, client_id: 'acme', description: 'CRM' })), 'inserted');
    assert.deepEqual(await suite.store.getWebhook('whk_a'), webhook('whk_a'));
    const listed = await suite.store.listWebhooks({ limit: 1 });
    assert.equal(listed.total, 2);
    assert.deepEqual(listed.rows.map((w) => w.id), ['whk_b']);
    const next = await suite.store.listWebhooks({ limit: 5, after: { created_at: T0 + 1, id: 'whk_b' } });
    assert.deepEqual(next.rows.map((w) => w.id), ['whk_a']);
    const changed = await suite.store.updateWebhook('whk_a', { enabled: false, disabled_reason: 'why', events: ['uptime.up'] }, T0 + 5);
    assert.equal(changed?.enabled, false);
    assert.deepEqual(changed?.events, ['uptime.up']);
    assert.equal(changed?.updated_at, T0 + 5);
    assert.deepEqual((await suite.store.listEnabledWebhooks()).map((w) => w.id), ['whk_b']);
    assert.equal(await suite.store.updateWebhook('whk_none', { enabled: true }, T0), null);
    await suite.store.insertDeliveries([delivery('d1', 'whk_b')]);
    await suite.store.deleteClient('acme');
    assert.equal(await suite.store.getWebhook('whk_b'), null, 'a client’s webhooks go with it');
    assert.equal(await suite.store.getDelivery('d1'), null, 'and their deliveries');
    assert.equal(await suite.store.deleteWebhook('whk_a'), true);
    assert.equal(await suite.store.deleteWebhook('whk_a'), false);
  });

  it('counts failures atomically', async () => {
    await suite.store.insertWebhook(webhook('whk_c'));
    assert.equal((await suite.store.noteWebhookOutcome('whk_c', 'attempt_failed', T0 + 10))?.failing_since, T0 + 10);
    const failed = await suite.store.noteWebhookOutcome('whk_c', 'delivery_failed', T0 + 20);
    assert.equal(failed?.failing_since, T0 + 10);
    assert.equal(failed?.consecutive_failures, 1);
    await Promise.all([1, 2, 3].map(() => suite.store.noteWebhookOutcome('whk_c', 'delivery_failed', T0 + 30)));
    assert.equal((await suite.store.getWebhook('whk_c'))?.consecutive_failures, 4);
    const ok = await suite.store.noteWebhookOutcome('whk_c', 'delivered', T0 + 40);
    assert.equal(ok?.consecutive_failures, 0);
    assert.equal(ok?.failing_since, null);
    assert.equal(await suite.store.noteWebhookOutcome('whk_none', 'delivered', T0), null);
  });

  it('queues deliveries, claims due ones under a lease, finishes only with the lease, lists newest first, prunes', async () => {
    await suite.store.insertWebhook(webhook('whk_d'));
    await suite.store.insertWebhook(webhook('whk_off', { enabled: false }));
    await suite.store.insertDeliveries([
      delivery('d_due1', 'whk_d', { next_attempt_at: T0 - 5 }),
      delivery('d_due2', 'whk_d', { created_at: T0 + 1 }),
      delivery('d_later', 'whk_d', { next_attempt_at: T0 + 60_000, created_at: T0 + 2 }),
      delivery('d_off', 'whk_off'),
      delivery('d_gone', 'whk_deleted'),
    ]);
    assert.equal(await suite.store.getDelivery('d_gone'), null, 'a delivery of no webhook is dropped');
    assert.equal((await suite.store.getDelivery('d_due1'))?.payload, '{"id":"evt_d_due1","n":1.0}', 'the payload byte for byte');
    const claimed = await suite.store.claimDueDeliveries(T0, T0 + 1000, 'A', 10);
    assert.deepEqual(claimed.map((d) => d.id), ['d_due1', 'd_due2'], 'due, of enabled webhooks, oldest due first');
    assert.equal(claimed[0]?.lease_owner, 'A');
    assert.deepEqual(await suite.store.claimDueDeliveries(T0 + 500, T0 + 1500, 'B', 10), [], 'leased rows are not claimed again');
    const expired = await suite.store.claimDueDeliveries(T0 + 1000, T0 + 2000, 'B', 1);
    assert.deepEqual(expired.map((d) => d.id), ['d_due1'], 'a lease that ran out is claimed again, up to the limit');
    const outcome = { status: 'delivered' as const, attempts: 1, next_attempt_at: T0, last_status: 200, last_error: null, last_duration_ms: 12, finished_at: T0 + 1000 };
    assert.equal(await suite.store.finishDelivery('d_due1', 'A', outcome), false, 'A lost the lease');
    assert.equal(await suite.store.finishDelivery('d_due1', 'B', outcome), true);
    const done = await suite.store.getDelivery('d_due1');
    assert.equal(done?.status, 'delivered');
    assert.equal(done?.lease_owner, null);
    assert.equal(done?.total_duration_ms, 12);
    const retry = { status: 'pending' as const, attempts: 1, next_attempt_at: T0 + 5000, last_status: 500, last_error: 'HTTP 500', last_duration_ms: 3, finished_at: null };
    assert.equal(await suite.store.finishDelivery('d_due2', 'A', retry), true);
    assert.deepEqual(await suite.store.claimDueDeliveries(T0 + 4000, T0 + 9000, 'A', 10), []);
    assert.deepEqual((await suite.store.claimDueDeliveries(T0 + 5000, T0 + 9000, 'A', 10)).map((d) => d.id), ['d_due2']);
    const page = await suite.store.listDeliveries('whk_d', { limit: 2 });
    assert.equal(page.total, 3);
    assert.deepEqual(page.rows.map((d) => d.id), ['d_later', 'd_due2']);
    assert.equal(await suite.store.pruneDeliveries(T0 + 999), 0);
    assert.equal(await suite.store.pruneDeliveries(T0 + 1001), 1);
    assert.equal(await suite.store.getDelivery('d_due1'), null);
  });

  it('never hands one delivery to two claimers racing', { skip: kind.name !== 'postgres' ? 'one process owns SQLite' : false }, async () => {
    await suite.store.insertWebhook(webhook('whk_race'));
    const rows = Array.from({ length: 60 }, (_, i) => delivery(`r${String(i).padStart(2, '0')}`, 'whk_race'));
    await suite.store.insertDeliveries(rows);
    // A second pool on the same schema: two "nodes".
    const other = new PostgresMetaStore(suite.location.databaseUrl as string);
    try {
      const claims = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? suite.store : other).claimDueDeliveries(T0, T0 + 60_000, `n${i}`, 7)),
      );
      const ids = claims.flat().map((d) => d.id).filter((id) => id.startsWith('r'));
      assert.equal(new Set(ids).size, ids.length, 'no row claimed twice');
      assert.equal(ids.length, 60);
    } finally {
      await other.close();
    }
  });
});

describeEachStore('two dispatchers on one store', (kind) => {
  it('deliver every queued delivery exactly once between them (while no lease runs out)', { skip: kind.name !== 'postgres' ? 'one process owns SQLite' : false }, async () => {
    const opened = await kind.open();
    const receiver = await new Receiver().start();
    const other = new PostgresMetaStore(opened.location.databaseUrl as string);
    const box = new SecretBox('ab'.repeat(32));
    const quiet = { warn: () => {}, error: (fields: Record<string, unknown>) => assert.fail(String(fields.err)) };
    const options = { ...DEFAULT_DISPATCHER_OPTIONS, pollMs: 5, concurrency: 4 };
    const outbound = createOutbound({ allow: ['127.0.0.1/32'] });
    const dispatchers = [opened.store, other].map((store) => new WebhookDispatcher(store, outbound, box, quiet, options));
    try {
      await opened.store.insertWebhook(webhook('whk_two', { url: receiver.url(), secret_sealed: box.seal('whsec_x', 'whk_two') }));
      const rows = Array.from({ length: 40 }, (_, i) => delivery(`two_${i}`, 'whk_two', { next_attempt_at: Date.now() }));
      await opened.store.insertDeliveries(rows);
      for (const dispatcher of dispatchers) dispatcher.start();
      await receiver.waitFor(() => receiver.received.length >= 40);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const ids = receiver.received.map((r) => String(r.headers['mythic-delivery-id']));
      assert.equal(ids.length, 40);
      assert.equal(new Set(ids).size, 40, 'no delivery sent twice');
    } finally {
      await Promise.all(dispatchers.map((d) => d.stop()));
      await other.close();
      await receiver.stop();
      await opened.dispose();
    }
  });
});

describe('dispatcher back-off and disabling by time', () => {
  it('schedules retries with capped, jittered back-off and disables a webhook failing for the whole window', async () => {
    const opened = await (STORE_KINDS.find((k) => k.name === 'sqlite') as StoreKind).open();
    const receiver = await new Receiver().start();
    receiver.behaviour = 'fail';
    const box = new SecretBox('ab'.repeat(32));
    let now = T0;
    let draw = 0.5;
    const dispatcher = new WebhookDispatcher(opened.store, createOutbound({ allow: ['127.0.0.1/32'] }), box, { warn: () => {}, error: () => {} }, {
      ...DEFAULT_DISPATCHER_OPTIONS,
      pollMs: 60_000,
      now: () => now,
      random: () => draw,
      retry: { firstDelayMs: 1000, maxDelayMs: 3000, maxAttempts: 10, maxAgeMs: 100_000 },
      disable: { afterFailedDeliveries: 100, afterFailingMs: 20_000 },
    });
    const attempt = async (): Promise<DeliveryRow> => {
      const before = receiver.received.length;
      dispatcher.start();
      await receiver.waitFor(() => receiver.received.length > before);
      await dispatcher.stop();
      return (await opened.store.getDelivery('bo')) as DeliveryRow;
    };
    try {
      await opened.store.insertWebhook(webhook('whk_bo', { url: receiver.url(), secret_sealed: box.seal('whsec_y', 'whk_bo') }));
      await opened.store.insertDeliveries([delivery('bo', 'whk_bo')]);
      const waits: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        const row = await attempt();
        assert.equal(row.status, 'pending');
        waits.push(row.next_attempt_at - now);
        now = row.next_attempt_at;
      }
      // Half of 1 s, 2 s, then the 3 s cap, twice.
      assert.deepEqual(waits, [500, 1000, 1500, 1500]);
      draw = 0;
      now = T0 + 20_000;
      const last = await attempt();
      assert.equal(last.attempts, 5);
      const hook = await opened.store.getWebhook('whk_bo');
      assert.equal(hook?.enabled, false);
      assert.match(hook?.disabled_reason ?? '', /every attempt failed since 2026-03-01T12:00:00.000Z/);
    } finally {
      await dispatcher.stop();
      await receiver.stop();
      await opened.dispose();
    }
  });
});
