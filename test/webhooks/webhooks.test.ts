import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { DeliveryView, WebhookView, WebhookWithSecretView } from '../../src/webhooks/schemas.js';
import { SecretBox } from '../../src/webhooks/secretBox.js';
import type { LinkClickNotice } from '../../src/webhooks/webhookEvents.js';
import { startApi, type Envelope, type TestApi } from '../helpers/api.js';
import { STORE_KINDS } from '../helpers/stores.js';
import { Receiver, signatureValid } from './receiver.js';

const BASE = '/api/v1/links/webhooks';

/** Milliseconds instead of minutes: polling, retries, batching and disabling all happen within a test. */
const FAST = {
  outboundAllow: ['127.0.0.1/32'],
  webhooks: {
    dispatcher: {
      pollMs: 20,
      leaseMs: 2000,
      timeoutMs: 300,
      retry: { firstDelayMs: 30, maxDelayMs: 120, maxAttempts: 3, maxAgeMs: 60_000 },
      disable: { afterFailedDeliveries: 2, afterFailingMs: 60_000 },
      // Always near the top of the jitter range: the back-off is then visible in the arrival times.
      random: () => 0.99,
    },
    publisher: { flushMs: 40 },
  },
};

const click = (n: number, clientId: string | null): LinkClickNotice => ({
  link_id: `lnk_${String(n).padStart(12, '0')}`,
  slug: `s${n}`,
  client_id: clientId,
  clicked_at: new Date(Date.UTC(2026, 2, 1, 12, 0, 0, n)).toISOString(),
  referrer_host: null,
  country: 'DE',
  device_type: 'desktop',
  browser: 'Firefox',
  is_bot: false,
});

// The API and the dispatcher behave alike on both stores; what differs (the SQL of claims, leases
// and counters) runs on both in store.test.ts. SQLite here keeps the suite fast.
const kind = STORE_KINDS.find((k) => k.name === 'sqlite') as (typeof STORE_KINDS)[number];

describe('webhooks', () => {
  let api: TestApi;
  let receiver: Receiver;
  before(async () => {
    api = await startApi(kind, FAST);
    receiver = await new Receiver().start();
  });
  after(async () => {
    await receiver.stop();
    await api.close();
  });

  // Each test starts with a receiver that answers, and no earlier requests.
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.next.length = 0;
    receiver.behaviour = 'ok';
  });

  const create = async (body: Record<string, unknown>): Promise<WebhookWithSecretView> => {
    const res = await api.request<Envelope<WebhookWithSecretView>>('POST', BASE, { body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data;
  };
  const deliveries = async (id: string): Promise<DeliveryView[]> => (await api.request<Envelope<DeliveryView[]>>('GET', `${BASE}/${id}/deliveries?limit=100`)).body.data;

  it('creates a webhook answering its secret once; lists and reads never show it; it is stored sealed', async () => {
    const hook = await create({ url: receiver.url('/crud'), events: ['link.created', 'uptime.down'], description: 'CRM' });
    assert.match(hook.id, /^whk_[0-9A-Za-z]{12}$/);
    assert.match(hook.secret, /^whsec_[0-9A-Za-z]{32}$/);
    assert.equal(hook.enabled, true);
    assert.equal(hook.disabled_reason, null);
    assert.equal(hook.client_id, null);
    const listed = await api.request<Envelope<WebhookView[]>>('GET', BASE);
    assert.equal(listed.status, 200);
    assert.ok(listed.body.data.some((w) => w.id === hook.id));
    assert.ok(!JSON.stringify(listed.body).includes(hook.secret));
    const read = await api.request<Envelope<WebhookView>>('GET', `${BASE}/${hook.id}`);
    assert.equal(read.body.data.description, 'CRM');
    assert.ok(!('secret' in read.body.data));
    const row = await api.store.getWebhook(hook.id);
    assert.ok(row !== null && !row.secret_sealed.includes(hook.secret) && !row.secret_sealed.includes(hook.secret.slice(6)));
    assert.equal(new SecretBox('00'.repeat(32)).open(row.secret_sealed, hook.id), null, 'another admin key cannot open it');

    const rotated = await api.request<Envelope<WebhookWithSecretView>>('POST', `${BASE}/${hook.id}/rotate-secret`);
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.data.secret, hook.secret);

    const patched = await api.request<Envelope<WebhookView>>('PATCH', `${BASE}/${hook.id}`, { body: { events: ['uptime.up'], description: null } });
    assert.deepEqual(patched.body.data.events, ['uptime.up']);
    assert.equal(patched.body.data.description, null);
    assert.equal((await api.request('DELETE', `${BASE}/${hook.id}`)).status, 200);
    assert.equal((await api.request('GET', `${BASE}/${hook.id}`)).status, 404);
    assert.equal((await api.request('DELETE', `${BASE}/${hook.id}`)).status, 404);
  });

  it('refuses bad input with a 4xx and stores nothing', async () => {
    const before = (await api.request<Envelope<WebhookView[]>>('GET', BASE)).body.count;
    for (const [body, field] of [
      [{ url: 'ftp://example.com/', events: ['link.created'] }, 'url'],
      [{ url: 'https://user:pw@example.com/', events: ['link.created'] }, 'url'],
      [{ url: 'http://10.0.0.1/hook', events: ['link.created'] }, 'url'],
      [{ url: 'http://169.254.169.254/latest', events: ['link.created'] }, 'url'],
      [{ url: 'http://[::ffff:127.0.0.2]/', events: ['link.created'] }, 'url'],
      [{ url: 'not a url', events: ['link.created'] }, 'url'],
      [{ url: 'https://example.com/', events: ['link.deleted'] }, 'events'],
      [{ url: 'https://example.com/', events: [] }, 'events'],
      [{ url: 'https://example.com/', events: ['link.created', 'link.created'] }, 'events'],
      [{ url: 'https://example.com/', events: ['link.created'], client_id: 'no-such-client' }, 'client_id'],
    ] as const) {
      const res = await api.request('POST', BASE, { body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.ok(JSON.stringify(res.body.details ?? res.body.error).includes(field), `${JSON.stringify(body)} names ${field}: ${JSON.stringify(res.body)}`);
    }
    assert.equal((await api.request('POST', BASE, { body: { url: 'https://example.com/', events: ['link.created'], secret: 'x' } })).status, 400);
    assert.equal((await api.request<Envelope<WebhookView[]>>('GET', BASE)).body.count, before);
    const hook = await create({ url: 'https://example.com/', events: ['link.created'] });
    assert.equal((await api.request('PATCH', `${BASE}/${hook.id}`, { body: {} })).body.code, 'no_fields');
    assert.equal((await api.request('PATCH', `${BASE}/${hook.id}`, { body: { url: 'http://127.0.0.2/' } })).status, 400);
    assert.equal((await api.request('PATCH', `${BASE}/whk_none`, { body: { enabled: true } })).status, 404);
    assert.equal((await api.request('GET', `${BASE}/whk_none/deliveries`)).status, 404);
    assert.equal((await api.request('POST', `${BASE}/whk_none/test`)).status, 404);
    assert.equal((await api.request('GET', BASE, { anonymous: true })).status, 401);
    await api.request('DELETE', `${BASE}/${hook.id}`);
  });

  it('delivers published events, signed, to subscribed webhooks of the right scope, once each', async () => {
    const client = (await api.request('POST', '/api/v1/clients', { body: { id: `hooked-${kind.name}`, name: 'Hooked' } })).body.data.id as string;
    const all = await create({ url: receiver.url('/all'), events: ['link.created'] });
    const scoped = await create({ url: receiver.url('/scoped'), events: ['link.created'], client_id: client });
    const other = await create({ url: receiver.url('/other'), events: ['uptime.up'] });
    await api.app.webhookEvents.publish('link.created', { id: 'lnk_a', slug: 'a' }, client);
    await api.app.webhookEvents.publish('link.created', { id: 'lnk_b', slug: 'b' }, null);
    await receiver.waitFor(() => receiver.delivered().length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const byPath = (path: string) => receiver.received.filter((r) => r.url === path);
    assert.equal(byPath('/all').length, 2);
    assert.equal(byPath('/scoped').length, 1, 'a client’s webhook hears that client only');
    assert.equal(byPath('/other').length, 0, 'nor does one not subscribed');
    const got = byPath('/scoped')[0];
    assert.ok(got);
    const payload = JSON.parse(got.body) as { id: string; event: string; created_at: string; data: Record<string, unknown> };
    assert.match(payload.id, /^evt_[0-9A-Za-z]{24}$/);
    assert.equal(payload.event, 'link.created');
    assert.match(payload.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(payload.data, { id: 'lnk_a', slug: 'a' });
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['mythic-webhook-id'], scoped.id);
    assert.equal(got.headers['mythic-event'], 'link.created');
    assert.ok(signatureValid(scoped.secret, got.headers['mythic-signature'], got.body), 'the signature verifies with the secret');
    assert.ok(!signatureValid(all.secret, got.headers['mythic-signature'], got.body), 'and with no other');
    assert.ok(!signatureValid(scoped.secret, got.headers['mythic-signature'], `${got.body} `), 'nor for another body');
    const [logged] = await deliveries(scoped.id);
    assert.equal(logged?.status, 'delivered');
    assert.equal(logged?.attempts, 1);
    assert.equal(logged?.last_status, 204);
    assert.equal(logged?.next_attempt_at, null);
    assert.deepEqual(logged?.payload, payload);
    for (const hook of [all, scoped, other]) await api.request('DELETE', `${BASE}/${hook.id}`);
  });

  it('retries failures and timeouts with growing back-off until the receiver recovers; the log shows each attempt', async () => {
    const hook = await create({ url: receiver.url('/flaky'), events: ['uptime.down'] });
    receiver.next.push('fail', 'hang');
    await api.app.webhookEvents.publish('uptime.down', { link_id: 'lnk_x' }, null);
    await receiver.waitFor(() => receiver.delivered().length === 1, 5000);
    const times = receiver.received.map((r) => r.at);
    assert.equal(times.length, 3);
    // Waits of about 0.99 × 30 ms, then 0.99 × 60 ms after the 300 ms timeout.
    assert.ok((times[1] as number) - (times[0] as number) >= 25, `first back-off ${(times[1] as number) - (times[0] as number)} ms`);
    assert.ok((times[2] as number) - (times[1] as number) >= 300 + 55, `second back-off ${(times[2] as number) - (times[1] as number)} ms`);
    const bodies = new Set(receiver.received.map((r) => r.body));
    assert.equal(bodies.size, 1, 'every attempt sends the same payload');
    await receiver.waitFor(() => true);
    let log: DeliveryView[] = [];
    for (let i = 0; i < 50 && log[0]?.status !== 'delivered'; i += 1) {
      log = await deliveries(hook.id);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(log[0]?.status, 'delivered');
    assert.equal(log[0]?.attempts, 3);
    assert.ok((log[0]?.total_duration_ms ?? 0) >= 300);
    await api.request('DELETE', `${BASE}/${hook.id}`);
  });

  it('fails a delivery after its attempts, disables a webhook that keeps failing, and re-enables it by PATCH', async () => {
    const hook = await create({ url: receiver.url('/down'), events: ['uptime.up'] });
    receiver.behaviour = 'fail';
    await api.app.webhookEvents.publish('uptime.up', { n: 1 }, null);
    await api.app.webhookEvents.publish('uptime.up', { n: 2 }, null);
    let view: WebhookView | undefined;
    for (let i = 0; i < 200 && view?.enabled !== false; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      view = (await api.request<Envelope<WebhookView>>('GET', `${BASE}/${hook.id}`)).body.data;
    }
    assert.equal(view?.enabled, false);
    assert.match(view?.disabled_reason ?? '', /2 deliveries in a row failed.*HTTP 500/);
    const log = await deliveries(hook.id);
    assert.deepEqual(log.map((d) => [d.status, d.attempts, d.last_status]), [['failed', 3, 500], ['failed', 3, 500]]);
    assert.equal(receiver.received.length, 6);
    assert.match(log[0]?.last_error ?? '', /HTTP 500/);

    // Disabled: nothing more is queued for it, and a test is refused.
    await api.app.webhookEvents.publish('uptime.up', { n: 3 }, null);
    assert.equal((await deliveries(hook.id)).length, 2);
    assert.equal((await api.request('POST', `${BASE}/${hook.id}/test`)).status, 409);

    receiver.behaviour = 'ok';
    const enabled = await api.request<Envelope<WebhookView>>('PATCH', `${BASE}/${hook.id}`, { body: { enabled: true } });
    assert.equal(enabled.body.data.enabled, true);
    assert.equal(enabled.body.data.disabled_reason, null);
    const tested = await api.request<Envelope<DeliveryView>>('POST', `${BASE}/${hook.id}/test`);
    assert.equal(tested.status, 200);
    assert.equal(tested.body.data.status, 'delivered');
    assert.equal(tested.body.data.event, 'webhook.test');
    assert.equal(tested.body.data.last_status, 204);
    const paged = await api.request<Envelope<DeliveryView[]>>('GET', `${BASE}/${hook.id}/deliveries?limit=2`);
    assert.equal(paged.body.count, 3);
    assert.equal(paged.body.data[0]?.event, 'webhook.test', 'newest first');
    const rest = await api.request<Envelope<DeliveryView[]>>('GET', `${BASE}/${hook.id}/deliveries?limit=2&cursor=${paged.body.next_cursor}`);
    assert.equal(rest.body.data.length, 1);
    await api.request('DELETE', `${BASE}/${hook.id}`);
  });

  it('answers a test delivery that cannot get through with what went wrong, and keeps retrying it', async () => {
    const hook = await create({ url: receiver.url('/test-fail'), events: ['uptime.up'] });
    receiver.next.push('fail');
    const tested = await api.request<Envelope<DeliveryView>>('POST', `${BASE}/${hook.id}/test`);
    assert.equal(tested.body.data.status, 'pending');
    assert.equal(tested.body.data.attempts, 1);
    assert.equal(tested.body.data.last_status, 500);
    assert.ok(tested.body.data.next_attempt_at !== null);
    await receiver.waitFor(() => receiver.delivered().length === 1);
    await api.request('DELETE', `${BASE}/${hook.id}`);
  });

  it('disables a webhook whose secret the admin key no longer opens, until its secret is rotated', async () => {
    const hook = await create({ url: receiver.url('/rekeyed'), events: ['uptime.down'] });
    // As after an admin key change: the stored secret was sealed under another key.
    await api.store.updateWebhook(hook.id, { secret_sealed: new SecretBox('cd'.repeat(32)).seal(hook.secret, hook.id) }, Date.now());
    await api.app.webhookEvents.publish('uptime.down', { n: 1 }, null);
    let view: WebhookView | undefined;
    for (let i = 0; i < 100 && view?.enabled !== false; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      view = (await api.request<Envelope<WebhookView>>('GET', `${BASE}/${hook.id}`)).body.data;
    }
    assert.equal(view?.enabled, false);
    assert.match(view?.disabled_reason ?? '', /cannot be decrypted.*rotate/);
    assert.equal(receiver.received.length, 0, 'nothing unsigned or wrongly signed was sent');
    assert.equal((await deliveries(hook.id))[0]?.status, 'failed');
    const rotated = (await api.request<Envelope<WebhookWithSecretView>>('POST', `${BASE}/${hook.id}/rotate-secret`)).body.data;
    await api.request('PATCH', `${BASE}/${hook.id}`, { body: { enabled: true } });
    const tested = await api.request<Envelope<DeliveryView>>('POST', `${BASE}/${hook.id}/test`);
    assert.equal(tested.body.data.status, 'delivered');
    const got = receiver.received[0];
    assert.ok(got && signatureValid(rotated.secret, got.headers['mythic-signature'], got.body));
    await api.request('DELETE', `${BASE}/${hook.id}`);
  });

  it('batches clicks: up to 100 a delivery, to link.clicked subscribers of the clicks’ client', async () => {
    const every = await create({ url: receiver.url('/clicks'), events: ['link.clicked'] });
    const none = await create({ url: receiver.url('/no-clicks'), events: ['link.created'] });
    for (let n = 0; n < 230; n += 1) api.app.webhookEvents.clicked(click(n, n % 2 === 0 ? 'acme' : null));
    await receiver.waitFor(() => receiver.delivered().length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const batches = receiver.received.map((r) => JSON.parse(r.body) as { event: string; data: { clicks: LinkClickNotice[] } });
    assert.ok(receiver.received.every((r) => r.url === '/clicks'));
    assert.ok(batches.every((b) => b.event === 'link.clicked'));
    assert.deepEqual(batches.map((b) => b.data.clicks.length).sort((a, b) => b - a), [100, 100, 30]);
    const slugs = new Set(batches.flatMap((b) => b.data.clicks.map((c) => c.slug)));
    assert.equal(slugs.size, 230, 'every click notified once');
    for (const hook of [every, none]) await api.request('DELETE', `${BASE}/${hook.id}`);
  });
});
