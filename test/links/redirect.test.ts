/**
 * The public redirect end to end, on the real app (SQLite and DuckDB: the redirect reads the
 * MetaStore through one lookup and writes clicks through the engine-neutral writer, so the store
 * x engine matrix adds nothing here; clicks on both engines are tested in clickEvent.test.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { deriveIpHashSecret } from '../../src/ingest/ip.js';
import { sha256Hex } from '../../src/keys/secrets.js';
import { linkIdOfClickId } from '../../src/links/clickEvent.js';
import { LINKS_PSEUDO_CLIENT, type LinkRow } from '../../src/links/linkRow.js';
import { parseLinksHost } from '../../src/links/linksHost.js';
import { hashLinkPassword } from '../../src/links/password.js';
import type { LinkClickNotice } from '../../src/webhooks/webhookEvents.js';
import { ADMIN, ADMIN_KEY, startApi, type Envelope, type TestApi } from '../helpers/api.js';
import { STORE_KINDS } from '../helpers/stores.js';
import { deliveredPayloads, FAST_WEBHOOKS, Receiver, subscribe } from '../webhooks/receiver.js';

const SQLITE = STORE_KINDS[0]!;
const SECRET = deriveIpHashSecret(sha256Hex(ADMIN_KEY));
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

let n = 0;
/** A link row as the links service stores it (inserted directly: the redirect only reads links). */
function linkRow(api: TestApi, slug: string, clientId: string | null, extra: Partial<LinkRow> = {}): LinkRow {
  n += 1;
  return {
    id: `lnk_${String(n).padStart(12, 'R')}`,
    client_id: clientId,
    slug,
    slug_key: slug.toLowerCase(),
    destination_url: `https://shop.example/${slug.toLowerCase()}`,
    title: null,
    tags: [],
    metadata: {},
    password_hash: null,
    expires_at: null,
    created_at: api.clock.now,
    updated_at: api.clock.now,
    ...extra,
  };
}

async function addLink(api: TestApi, slug: string, clientId: string | null, extra: Partial<LinkRow> = {}): Promise<LinkRow> {
  const row = linkRow(api, slug, clientId, extra);
  assert.equal(await api.store.insertLink(row), 'inserted');
  return row;
}

async function addClient(api: TestApi, id: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await api.request('POST', '/api/v1/clients', { body: { id, name: id, ...extra } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
}

/** The `_links` client row, as the links service creates it on first need. */
async function addLinksClient(api: TestApi): Promise<void> {
  if ((await api.store.getClient(LINKS_PSEUDO_CLIENT)) !== null) return;
  const { publishable_key: _pk, secret_key_last4: _sk, ...fields } = (await api.store.getClient('acme')) ?? assert.fail('acme exists');
  await api.store.insertClient({ ...fields, id: LINKS_PSEUDO_CLIENT, name: 'Links without a client', proxy_key_hash: null, proxy_key_last4: null }, []);
}

const get = (api: TestApi, url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET'): Promise<LightMyRequestResponse> =>
  api.app.inject({ method, url, headers: { 'user-agent': CHROME, ...headers } });

interface ClickRow {
  event: string;
  link_id: string | null;
  referrer_host: string | null;
  url: string | null;
  utm_source: string | null;
  is_bot: boolean;
  browser: string | null;
}

async function clicksOf(api: TestApi, clientId: string): Promise<ClickRow[]> {
  await api.settled();
  const res = await api.request<Envelope<ClickRow[]>>('GET', `/api/v1/clients/${clientId}/events?limit=500`);
  assert.equal(res.status, 200);
  return res.body.data.filter((e) => e.event === '$link_click');
}

function assertPage(res: LightMyRequestResponse, status: number, text: RegExp): void {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
  assert.equal(res.headers['cache-control'], 'private, no-store');
  assert.match(String(res.headers['x-robots-tag']), /noindex/);
  assert.match(res.body, text);
  assert.ok(!/<script|https?:\/\//i.test(res.body), 'no script, no external resource');
}

describe('the redirect', () => {
  let api: TestApi;
  before(async () => {
    api = await startApi(SQLITE);
    await addClient(api, 'acme');
  });
  after(() => api.close());

  it('answers 302 to the destination with the short URL’s parameters (the destination’s win) and a click id', async () => {
    const link = await addLink(api, 'Summer-Sale', 'acme', { destination_url: 'https://shop.example/sale?utm_source=newsletter&x=a%20b#top' });
    const res = await get(api, '/l/summer-SALE?utm_source=evil&utm_campaign=june&mlc=forged', { referer: 'https://www.twitter.com/some/post' });
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers['cache-control'], 'private, no-store');
    assert.equal(res.headers['referrer-policy'], undefined, 'the browser’s own policy decides what the destination learns');
    assert.equal(res.body, '');
    const location = String(res.headers.location);
    const match = /^https:\/\/shop\.example\/sale\?utm_source=newsletter&x=a%20b&utm_campaign=june&mlc=([^&#]+)#top$/.exec(location);
    assert.ok(match, location);
    assert.equal(linkIdOfClickId(match[1] as string, SECRET), link.id, 'the click id names the link');

    const [click, ...more] = await clicksOf(api, 'acme');
    assert.equal(more.length, 0);
    assert.equal(click?.link_id, link.id);
    assert.equal(click?.referrer_host, 'twitter.com');
    assert.equal(click?.browser, 'Chrome');
    assert.equal(click?.is_bot, false);
    assert.equal(click?.utm_source, 'evil', 'the click records the short URL as visited');
    assert.match(String(click?.url), /^http:\/\/localhost(:\d+)?\/l\/Summer-Sale\?/);
  });

  it('counts a click of a link of no client under _links', async () => {
    await addLinksClient(api);
    const link = await addLink(api, 'no-client', null);
    const res = await get(api, '/l/no-client');
    assert.equal(res.statusCode, 302);
    const clicks = await clicksOf(api, LINKS_PSEUDO_CLIENT);
    assert.deepEqual(
      clicks.map((c) => c.link_id),
      [link.id],
    );
  });

  it('answers HEAD like GET, without a body and without a click', async () => {
    await addClient(api, 'head-co');
    await addLink(api, 'head-only', 'head-co');
    const res = await get(api, '/l/head-only', {}, 'HEAD');
    assert.equal(res.statusCode, 302);
    assert.match(String(res.headers.location), /^https:\/\/shop\.example\/head-only\?mlc=/);
    assert.equal(res.body, '');
    assert.equal((await clicksOf(api, 'head-co')).length, 0);
  });

  it('answers an unknown slug 404 and an expired link 410: small pages, or the envelope to JSON callers', async () => {
    assertPage(await get(api, '/l/nothing-here'), 404, /Link not found/);
    await addLink(api, 'gone', 'acme', { expires_at: api.clock.now });
    assertPage(await get(api, '/l/gone'), 410, /expired/);
    for (const [url, status] of [
      ['/l/nothing-here', 404],
      ['/l/gone', 410],
    ] as const) {
      const res = await api.request('GET', url, { anonymous: true, headers: { accept: 'application/json' } });
      assert.equal(res.status, status);
      assert.equal(res.body.code, 'not_found');
      assert.equal(res.headers['cache-control'], 'private, no-store');
    }
    const head = await get(api, '/l/gone', {}, 'HEAD');
    assert.equal(head.statusCode, 410);
  });

  it('never redirects anywhere but a stored destination', async () => {
    await addLink(api, 'safe', 'acme', { destination_url: 'https://shop.example/safe' });
    for (const url of ['//evil.com', '/l//evil.com', '/l/%2F%2Fevil.com', '/l/%5C%5Cevil.com', '/l/safe%0d%0aLocation:%20https://evil.com', '/l/..%2F..%2Fapi', '/l/https:%2F%2Fevil.com', '/l/safe%2F..']) {
      const res = await get(api, url);
      assert.ok(res.statusCode === 404 || res.statusCode === 400, `${url} → ${res.statusCode}`);
      assert.equal(res.headers.location, undefined, url);
    }
    const res = await get(api, '/l/safe?next=%0d%0aSet-Cookie:%20a=1&redirect=https://evil.com&%0d%0a=x');
    assert.equal(res.statusCode, 302);
    const location = String(res.headers.location);
    assert.ok(!/[\r\n]/.test(location));
    assert.equal(new URL(location).origin, 'https://shop.example');
    assert.equal(new URL(location).pathname, '/safe');
    assert.equal(res.headers['set-cookie'], undefined);
  });

  it('still redirects and counts for a deactivated client; a hard-deleted client’s links are gone', async () => {
    await addClient(api, 'paused');
    const link = await addLink(api, 'paused-link', 'paused');
    assert.equal((await api.request('PATCH', '/api/v1/clients/paused', { body: { status: false } })).status, 200);
    assert.equal((await get(api, '/l/paused-link')).statusCode, 302);
    assert.deepEqual(
      (await clicksOf(api, 'paused')).map((c) => c.link_id),
      [link.id],
    );
    const deleted = await api.request('DELETE', '/api/v1/clients/paused?hard=true');
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assertPage(await get(api, '/l/paused-link'), 404, /Link not found/);
  });

  it('sees a change made on another node within the cache’s 5 s', async () => {
    const link = await addLink(api, 'moving', 'acme', { destination_url: 'https://shop.example/old' });
    assert.match(String((await get(api, '/l/moving', {}, 'HEAD')).headers.location), /\/old\?/);
    // Written to the store directly, as another node would: this node's admin API did not see it.
    await api.store.updateLink(link.id, { destination_url: 'https://shop.example/new' }, api.clock.now);
    assert.match(String((await get(api, '/l/moving', {}, 'HEAD')).headers.location), /\/old\?/, 'cached');
    api.clock.advance(5_000);
    assert.match(String((await get(api, '/l/moving', {}, 'HEAD')).headers.location), /\/new\?/);
    await api.store.deleteLink(link.id);
    api.clock.advance(5_000);
    assert.equal((await get(api, '/l/moving')).statusCode, 404);
  });
});

describe('password links', () => {
  let api: TestApi;
  let link: LinkRow;
  // The real webhooks module, delivering to a receiver on loopback: a click is announced as link.clicked.
  const receiver = new Receiver();
  before(async () => {
    await receiver.start();
    api = await startApi(SQLITE, { ...FAST_WEBHOOKS, redirect: { passwordRateLimit: { perSecond: 5 / 60, burst: 5 } } });
    await subscribe(api, receiver, ['link.clicked']);
    await addClient(api, 'acme');
    link = await addLink(api, 'secret-sale', 'acme', { password_hash: await hashLinkPassword('open sesame') });
  });
  after(async () => {
    await api.close();
    await receiver.stop();
  });

  const tokenOf = (html: string): string => /name="token" value="([^"]+)"/.exec(html)?.[1] ?? assert.fail('a token in the form');
  const post = (fields: Record<string, string>, headers: Record<string, string> = {}, ip = '203.0.113.7'): Promise<LightMyRequestResponse> =>
    api.app.inject({
      method: 'POST',
      url: '/l/secret-sale?utm_source=mail',
      remoteAddress: ip,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': CHROME, ...headers },
      payload: new URLSearchParams(fields).toString(),
    });

  it('answers a form, and redirects after the right password with a click', async () => {
    const form = await get(api, '/l/secret-sale?utm_source=mail');
    assertPage(form, 200, /<form method="post">/);
    // No form-action: Chromium would apply it to the 303 to the destination (test/e2e/passwordLink.test.ts).
    assert.doesNotMatch(String(form.headers['content-security-policy']), /form-action/);
    const res = await post({ password: 'open sesame', token: tokenOf(form.body) }, { origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers['cache-control'], 'private, no-store');
    assert.match(String(res.headers.location), /^https:\/\/shop\.example\/secret-sale\?utm_source=mail&mlc=/);
    assert.deepEqual(
      (await clicksOf(api, 'acme')).map((c) => c.link_id),
      [link.id],
    );
    await receiver.waitFor(() => receiver.delivered().length > 0);
    assert.deepEqual(deliveredPayloads(receiver).flatMap((delivery) => delivery.data.clicks as LinkClickNotice[]), [
      {
        link_id: link.id,
        slug: 'secret-sale',
        client_id: 'acme',
        clicked_at: new Date(api.clock.now).toISOString(),
        referrer_host: null,
        country: null,
        device_type: 'desktop',
        browser: 'Chrome',
        is_bot: false,
      },
    ]);
  });

  it('answers the form again (401) to a wrong password, and refuses cross-site posts and bad tokens (403)', async () => {
    const token = tokenOf((await get(api, '/l/secret-sale')).body);
    const wrong = await post({ password: 'open sesame!', token }, {}, '198.51.100.1');
    assertPage(wrong, 401, /Wrong password/);
    for (const [fields, headers] of [
      [{ password: 'open sesame' }, {}],
      [{ password: 'open sesame', token: `${token}x` }, {}],
      [{ password: 'open sesame', token }, { origin: 'https://evil.example' }],
      [{ password: 'open sesame', token }, { origin: 'null' }],
      [{ password: 'open sesame', token }, { 'sec-fetch-site': 'cross-site' }],
    ] as [Record<string, string>, Record<string, string>][]) {
      const res = await post(fields, headers, '198.51.100.2');
      assertPage(res, 403, /Form refused/);
      assert.equal(res.headers.location, undefined);
    }
    api.clock.advance(10 * 60_000 + 1_000);
    assertPage(await post({ password: 'open sesame', token }, {}, '198.51.100.2'), 403, /Form refused/);
    const json = await api.app.inject({ method: 'POST', url: '/l/secret-sale', headers: { 'content-type': 'application/json' }, payload: '{"password":"open sesame"}' });
    assert.equal(json.statusCode, 415);
  });

  it('limits tries per address and link: the sixth in a minute is 429, whatever the password', async () => {
    const token = tokenOf((await get(api, '/l/secret-sale')).body);
    for (let i = 0; i < 5; i += 1) assert.equal((await post({ password: `guess ${i}`, token }, {}, '192.0.2.50')).statusCode, 401);
    const limited = await post({ password: 'open sesame', token }, {}, '192.0.2.50');
    assertPage(limited, 429, /Too many tries/);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal((await post({ password: 'open sesame', token }, {}, '192.0.2.51')).statusCode, 303, 'another address is not limited');
    api.clock.advance(12_000);
    assert.equal((await post({ password: 'open sesame', token }, {}, '192.0.2.50')).statusCode, 303, 'a token comes back after 12 s');
  });

  it('limits tries per link across addresses, and password checks running at once (503)', async () => {
    const limited = await startApi(SQLITE, { redirect: { passwordLinkRateLimit: { perSecond: 3 / 60, burst: 3 }, passwordChecksAtOnce: 2 } });
    try {
      await addClient(limited, 'acme');
      const hash = await hashLinkPassword('open sesame');
      await addLink(limited, 'vault', 'acme', { password_hash: hash });
      await addLink(limited, 'crowd', 'acme', { password_hash: hash });
      const postTo = async (slug: string, password: string, ip: string): Promise<LightMyRequestResponse> => {
        const token = tokenOf((await get(limited, `/l/${slug}`)).body);
        return limited.app.inject({
          method: 'POST',
          url: `/l/${slug}`,
          remoteAddress: ip,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': CHROME },
          payload: new URLSearchParams({ password, token }).toString(),
        });
      };
      // Three addresses, one wrong try each: the link's three tries a minute are used up, for everybody.
      for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) assert.equal((await postTo('vault', 'guess', ip)).statusCode, 401);
      const blocked = await postTo('vault', 'open sesame', '192.0.2.4');
      assertPage(blocked, 429, /in the last minute/);
      assert.equal(blocked.headers['retry-after'], '20');
      assert.equal((await postTo('crowd', 'open sesame', '192.0.2.4')).statusCode, 303, 'another link is not limited');
      limited.clock.advance(20_000);
      assert.equal((await postTo('vault', 'open sesame', '192.0.2.4')).statusCode, 303, 'a try comes back after 20 s');

      // Six posts at once, each a 16 MiB scrypt: two are checked, the others told to come back.
      const tokens = await Promise.all(Array.from({ length: 6 }, async () => tokenOf((await get(limited, '/l/crowd')).body)));
      const answers = await Promise.all(
        tokens.map((token, i) =>
          limited.app.inject({
            method: 'POST',
            url: '/l/crowd',
            remoteAddress: `198.51.100.${i + 10}`,
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': CHROME },
            payload: new URLSearchParams({ password: 'wrong', token }).toString(),
          }),
        ),
      );
      const busy = answers.filter((res) => res.statusCode === 503);
      assert.deepEqual(answers.map((res) => res.statusCode).filter((status) => status !== 503), [401, 401]);
      assertPage(busy[0] ?? assert.fail('a busy answer'), 503, /Busy/);
      assert.ok(busy.every((res) => res.headers['retry-after'] === '1'));
    } finally {
      await limited.close();
    }
  });

  it('compares the password hash and the form token in constant time', () => {
    for (const file of ['src/links/password.ts', 'src/links/passwordFormToken.ts']) {
      assert.match(readFileSync(file, 'utf8'), /timingSafeEqual\(/, file);
    }
  });
});

describe('the links host', () => {
  let api: TestApi;
  let link: LinkRow;
  before(async () => {
    api = await startApi(SQLITE, { linksHost: parseLinksHost('go.example.com') ?? undefined });
    await addClient(api, 'acme');
    link = await addLink(api, 'Launch', 'acme');
  });
  after(() => api.close());

  const on = (host: string, url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
    api.app.inject({ method: 'GET', url, headers: { host, 'user-agent': CHROME, ...headers } });

  it('redirects /<slug> there, and /l/<slug> on the main address', async () => {
    const res = await on('go.example.com', '/launch?utm_source=qr');
    assert.equal(res.statusCode, 302);
    assert.match(String(res.headers.location), /^https:\/\/shop\.example\/launch\?utm_source=qr&mlc=/);
    assert.equal((await on('GO.EXAMPLE.COM:443', '/LAUNCH')).statusCode, 302);
    assert.equal((await on('analytics.example.com', '/l/launch')).statusCode, 302);
    const clicks = await clicksOf(api, 'acme');
    assert.ok(clicks.some((c) => c.url === 'https://go.example.com/Launch?utm_source=qr' && c.link_id === link.id), JSON.stringify(clicks));
  });

  it('answers only the redirect, its index page and /healthz there', async () => {
    assertPage(await on('go.example.com', '/'), 200, /Short links/);
    assert.equal((await on('go.example.com', '/healthz')).statusCode, 200);
    for (const url of ['/api/v1/clients', '/api/v1/openapi.json', '/assets/index.js', '/s/pk_0123.js', '/l/launch', '//evil.com', '/nope']) {
      const res = await on('go.example.com', url, ADMIN);
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.headers.location, undefined, url);
    }
    assert.equal((await on('analytics.example.com', '/api/v1/clients', ADMIN)).statusCode, 200, 'the API answers on the main address');
    const dashboard = await on('analytics.example.com', '/');
    assert.ok(!dashboard.body.includes('Short links'), 'the main address serves the dashboard at /');
  });

  it('serves a password link’s form there and takes its post at the same address', async () => {
    await addLink(api, 'Locked', 'acme', { password_hash: await hashLinkPassword('pw') });
    const form = await on('go.example.com', '/locked?utm_source=qr');
    assert.equal(form.statusCode, 200);
    const token = /name="token" value="([^"]+)"/.exec(form.body)?.[1] ?? assert.fail('a token');
    const res = await api.app.inject({
      method: 'POST',
      url: '/locked?utm_source=qr',
      headers: { host: 'go.example.com', origin: 'https://go.example.com', 'content-type': 'application/x-www-form-urlencoded', 'user-agent': CHROME },
      payload: new URLSearchParams({ password: 'pw', token }).toString(),
    });
    assert.equal(res.statusCode, 303, res.body);
    assert.match(String(res.headers.location), /^https:\/\/shop\.example\/locked\?utm_source=qr&mlc=/);
  });

  it('gives a spoofed or look-alike Host nothing of the links host', async () => {
    for (const host of ['go.example.com.evil.com', 'evil-go.example.com', 'go.example.co']) {
      assert.equal((await on(host, '/launch')).statusCode, 404, host);
      assert.equal((await on(host, '/api/v1/clients', ADMIN)).statusCode, 200, `${host} is the main address`);
    }
  });
});
