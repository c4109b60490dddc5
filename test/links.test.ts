import assert from 'node:assert/strict';
import fc from 'fast-check';
import { after, before, describe, it } from 'node:test';
import { LINKS_PSEUDO_CLIENT } from '../src/links/linkRow.js';
import { verifyLinkPassword } from '../src/links/password.js';
import type { LinkView } from '../src/links/schemas.js';
import { linkClickCounts } from '../src/links/clickCounts.js';
import { LinksService } from '../src/links/service.js';
import { KeysService } from '../src/keys/service.js';
import { startApi, type Envelope, type RequestOptions, type TestApi } from './helpers/api.js';
import { describeEachStore, STORE_KINDS, type StoreKind } from './helpers/stores.js';
import { deliveredPayloads, FAST_WEBHOOKS, Receiver, subscribe } from './webhooks/receiver.js';
import { badClient, broken, expectRefusal, FUZZ_CLIENT, incomplete, report, RUNS, SEED, show, snapshot, TAKEN, validCreate, validPatch } from './links/malformedLinks.js';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

type One = Envelope<LinkView>;
type Many = Envelope<LinkView[]>;

/** The docs' example request of POST /api/v1/links, verbatim. */
const DOCS_BODY = {
  destination_url: 'https://acme-retail.com/summer-sale',
  slug: 'summer-sale',
  title: 'Summer Sale Campaign',
  client_id: 'acme-retail',
  tags: ['campaign', 'summer-2024'],
  password: 'example_string',
  expires_at: '2024-12-25T10:00:00Z',
  metadata: {},
};

describeEachStore('links API', (kind) => {
  let api: TestApi;
  // The real webhooks module delivers link.created to a receiver on loopback.
  const receiver = new Receiver();
  /** The link.created delivery of this link, once it arrived. */
  async function createdNotice(linkId: string): Promise<Record<string, unknown>> {
    const find = () => deliveredPayloads(receiver).find((delivery) => delivery.event === 'link.created' && delivery.data.id === linkId);
    await receiver.waitFor(() => find() !== undefined);
    return find()?.data ?? {};
  }
  /** Clicks through the public redirect, as browsers (or a bot) make them; stored before it resolves. */
  async function click(slug: string, userAgent = CHROME): Promise<void> {
    const res = await api.app.inject({ method: 'GET', url: `/l/${slug}`, remoteAddress: '203.0.113.9', headers: { 'user-agent': userAgent } });
    assert.equal(res.statusCode, 302);
    await api.app.eventsSettled();
  }
  let n = 0;

  before(async () => {
    await receiver.start();
    api = await startApi(kind, FAST_WEBHOOKS);
    await subscribe(api, receiver, ['link.created']);
  });
  after(async () => {
    assert.ok(api.contract.checked > 0);
    await api.close();
    await receiver.stop();
  });

  async function newClient(id?: string): Promise<{ id: string; secret_key: string }> {
    n += 1;
    const res = await api.request('POST', '/api/v1/clients', { body: { id: id ?? `linked-${n}`, name: `Linked ${n}` } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data as unknown as { id: string; secret_key: string };
  }
  const as = (key: string | undefined): RequestOptions => (key === undefined ? {} : { anonymous: true, headers: { authorization: `Bearer ${key}` } });
  const create = (body: unknown) => api.request<One>('POST', '/api/v1/links', { body });
  const createFor = (client: string, body: unknown, key?: string) => api.request<One>('POST', `/api/v1/clients/${client}/links`, { ...as(key), body });
  const clientLink = (client: string, id: string) => `/api/v1/clients/${client}/links/${id}`;
  const allLinks = async () => (await api.store.listLinks({}, { limit: 500 })).rows;

  it('takes the docs’ example request verbatim: 201, the link with has_password true, a Location, link.created', async () => {
    await newClient('acme-retail');
    const res = await create(DOCS_BODY);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const link = res.body.data;
    assert.match(link.id, /^lnk_[0-9A-Za-z]{12}$/);
    assert.deepEqual(link, {
      id: link.id,
      destination_url: 'https://acme-retail.com/summer-sale',
      short_url: 'http://localhost:80/l/summer-sale',
      slug: 'summer-sale',
      title: 'Summer Sale Campaign',
      client_id: 'acme-retail',
      clicks: 0,
      bot_clicks: 0,
      tags: ['campaign', 'summer-2024'],
      has_password: true,
      expires_at: '2024-12-25T10:00:00.000Z',
      metadata: {},
      created_at: '2026-03-01T12:00:00.000Z',
      updated_at: '2026-03-01T12:00:00.000Z',
    });
    assert.equal(res.headers.location, `/api/v1/links/${link.id}`);
    assert.ok(!JSON.stringify(res.body).includes('example_string'), 'the password is never returned');
    const stored = await api.store.getLink(link.id);
    const hash = stored?.password_hash ?? '';
    assert.ok(hash.startsWith('scrypt$') && !hash.includes('example_string'));
    assert.equal(await verifyLinkPassword('example_string', hash), true);
    assert.equal(await verifyLinkPassword('Example_string', hash), false);
    assert.deepEqual(await createdNotice(link.id), link, 'link.created carries the link as answered');
    const got = await api.request<One>('GET', `/api/v1/links/${link.id}`);
    assert.deepEqual(got.body.data, link);
  });

  it('POST /clients/{id}/links with the documented body; a generated slug when omitted; 404 for an unknown client', async () => {
    const { id } = await newClient();
    const res = await createFor(id, { destination_url: 'https://example.com/a', slug: 'docs-client-link', title: 'Spring', metadata: { campaign: 'spring' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.data.client_id, id);
    assert.deepEqual(res.body.data.metadata, { campaign: 'spring' });
    assert.equal(res.body.data.has_password, false);
    assert.equal(res.headers.location, clientLink(id, res.body.data.id));
    const generated = await createFor(id, { destination_url: 'https://example.com/b' });
    assert.equal(generated.status, 201);
    assert.match(generated.body.data.slug, /^[23456789abcdefghjkmnpqrstuvwxyz]{7}$/);
    assert.equal(generated.body.data.short_url, `http://localhost:80/l/${generated.body.data.slug}`);
    assert.equal(generated.body.data.title, null);
    assert.equal((await createFor(id, { destination_url: 'https://example.com/c', client_id: id })).status, 201, 'client_id may repeat the path');
    const normalized = await createFor(id, { destination_url: 'HTTPS://Shop.Example.COM?q=ä' });
    assert.equal(normalized.body.data.destination_url, 'https://shop.example.com/?q=%C3%A4', 'kept as the URL standard writes it, ASCII for the Location header');
    const before = await allLinks();
    const unknown = await createFor('nobody-here', { destination_url: 'https://example.com/' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'not_found');
    assert.equal((await create({ destination_url: 'https://example.com/', client_id: 'nobody-here' })).status, 404);
    assert.equal((await createFor(id, { destination_url: 'https://example.com/', client_id: 'acme-retail' })).status, 400, 'another client in the body');
    assert.deepEqual(await allLinks(), before, 'nothing stored');
  });

  it('refuses bad input with a 400 naming the field, and stores nothing', async () => {
    const { id } = await newClient();
    const linksBefore = await allLinks();
    const clientsBefore = (await api.request('GET', '/api/v1/clients?limit=500')).body.count;
    const bad: [unknown, string][] = [
      [{ destination_url: 'javascript:alert(1)' }, 'destination_url'],
      [{ destination_url: 'data:text/html,<script>alert(1)</script>' }, 'destination_url'],
      [{ destination_url: '/relative/path' }, 'destination_url'],
      [{ destination_url: '//evil.example/' }, 'destination_url'],
      [{ destination_url: 'http:///evil.example' }, 'destination_url'],
      [{ destination_url: 'https:\\\\evil.example' }, 'destination_url'],
      [{ destination_url: 'https://\\evil.example/' }, 'destination_url'],
      [{ destination_url: 'ftp://example.com/file' }, 'destination_url'],
      [{ destination_url: 'https://user:secret@example.com/' }, 'destination_url'],
      [{ destination_url: 'https://example.com/a b' }, 'destination_url'],
      [{ destination_url: 'https://example.com/\r\nSet-Cookie: x=1' }, 'destination_url'],
      [{ destination_url: `https://example.com/${'a'.repeat(2030)}` }, 'destination_url'],
      [{ destination_url: 'https://example.com/', slug: 'api' }, 'slug'],
      [{ destination_url: 'https://example.com/', slug: 'Admin' }, 'slug'],
      [{ destination_url: 'https://example.com/', slug: 'well-known' }, 'slug'],
      [{ destination_url: 'https://example.com/', slug: '-starts-with-dash' }, 'slug'],
      [{ destination_url: 'https://example.com/', slug: 'has/slash' }, 'slug'],
      [{ destination_url: 'https://example.com/', slug: 'a'.repeat(65) }, 'slug'],
      [{ destination_url: 'https://example.com/', slug: '' }, 'slug'],
      [{ destination_url: 'https://example.com/', expires_at: 'tomorrow' }, 'expires_at'],
      [{ destination_url: 'https://example.com/', tags: ['ok', ''] }, 'tags'],
      [{ destination_url: 'https://example.com/', password: 'p'.repeat(257) }, 'password'],
      [{ destination_url: 'https://example.com/', metadata: [] }, 'metadata'],
      [{ destination_url: 'https://example.com/', client_id: LINKS_PSEUDO_CLIENT }, 'client_id'],
    ];
    for (const [body, field] of bad) {
      const res = await create(body);
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(res.body)}`);
      assert.ok(res.body.details?.some((d) => d.field.startsWith(field)), `${field} named: ${JSON.stringify(res.body.details)}`);
      assert.ok(!JSON.stringify(res.body).includes('pppppppp'), 'a refused password is not echoed');
    }
    assert.equal((await create({ destination_url: 'https://example.com/', colour: 'red' })).body.code, 'unknown_field');
    assert.equal((await createFor(id, { destination_url: 'https://example.com/', slug: 'login' })).status, 400);
    assert.equal((await createFor(LINKS_PSEUDO_CLIENT, { destination_url: 'https://example.com/' })).status, 400);
    assert.deepEqual(await allLinks(), linksBefore, 'no link stored');
    assert.equal((await api.request('GET', '/api/v1/clients?limit=500')).body.count, clientsBefore, 'no client made');
  });

  it('a slug taken in another case is a 409 naming slug, on create and on PATCH', async () => {
    const { id } = await newClient();
    const taken = await createFor(id, { destination_url: 'https://example.com/', slug: 'SUMMER-Sale' });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.code, 'conflict');
    assert.deepEqual(taken.body.details?.map((d) => d.field), ['slug']);
    const mine = await createFor(id, { destination_url: 'https://example.com/', slug: 'autumn' });
    const patched = await api.request<One>('PATCH', clientLink(id, mine.body.data.id), { body: { slug: 'Summer-sale' } });
    assert.equal(patched.status, 409);
    assert.equal((await api.store.getLink(mine.body.data.id))?.slug, 'autumn', 'unchanged');
    const recased = await api.request<One>('PATCH', clientLink(id, mine.body.data.id), { body: { slug: 'Autumn' } });
    assert.equal(recased.status, 200, 'its own slug in another case is no conflict');
    assert.equal(recased.body.data.short_url, 'http://localhost:80/l/Autumn');
  });

  it('PATCH changes only what is sent; password null removes it; null title and expiry clear them; 400 no_fields; 404', async () => {
    const { id } = await newClient();
    const made = (await createFor(id, { destination_url: 'https://example.com/x', slug: 'patch-me', title: 'T', password: 'pw', expires_at: '2030-01-01T00:00:00Z', tags: ['a', 'a', 'b'] })).body.data;
    assert.deepEqual(made.tags, ['a', 'b'], 'duplicate tags dropped');
    api.clock.advance(60_000);
    const moved = await api.request<One>('PATCH', `/api/v1/links/${made.id}`, { body: { destination_url: 'https://example.com/y', slug: 'patched', metadata: { v: 2 } } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.deepEqual(moved.body.data, {
      ...made,
      destination_url: 'https://example.com/y',
      slug: 'patched',
      short_url: 'http://localhost:80/l/patched',
      metadata: { v: 2 },
      updated_at: '2026-03-01T12:01:00.000Z',
    });
    assert.equal(await api.store.findLinkBySlug('patch-me'), null, 'the old slug is free again');
    const cleared = await api.request<One>('PATCH', clientLink(id, made.id), { body: { password: null, title: null, expires_at: null, tags: [] } });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.data.has_password, false);
    assert.equal(cleared.body.data.title, null);
    assert.equal(cleared.body.data.expires_at, null);
    assert.deepEqual(cleared.body.data.tags, []);
    assert.equal((await api.store.getLink(made.id))?.password_hash, null);
    const past = await api.request<One>('PATCH', clientLink(id, made.id), { body: { password: 'new one', expires_at: '2024-12-25T10:00:00Z' } });
    assert.equal(past.body.data.has_password, true);
    assert.equal(past.body.data.expires_at, '2024-12-25T10:00:00.000Z', 'an expiry in the past is taken');
    assert.equal((await api.request('PATCH', clientLink(id, made.id), { body: {} })).body.code, 'no_fields');
    assert.equal((await api.request('PATCH', clientLink(id, made.id), { body: { client_id: 'other' } })).body.code, 'unknown_field');
    assert.equal((await api.request('PATCH', clientLink(id, made.id), { body: { slug: 'static' } })).status, 400);
    assert.equal((await api.request('PATCH', clientLink(id, made.id), { body: { destination_url: 'javascript:x' } })).status, 400);
    assert.equal((await api.request('PATCH', '/api/v1/links/lnk_000000000000', { body: { title: 'x' } })).status, 404);
    assert.deepEqual((await api.store.getLink(made.id))?.slug, 'patched', 'refused changes left it as it was');
  });

  it('lists newest first with client, _links, tag and search filters, offset and cursor paging; clicks from the engine, one call per page', async () => {
    const { id } = await newClient();
    const made: LinkView[] = [];
    for (let i = 0; i < 5; i++) {
      api.clock.advance(1_000);
      made.push((await createFor(id, { destination_url: `https://shop.example/p/${i}`, title: i === 2 ? 'Black Friday' : null, tags: i % 2 === 0 ? ['even'] : ['odd'] })).body.data);
    }
    await click(made[4]!.slug);
    await click(made[4]!.slug);
    await click(made[4]!.slug, 'Googlebot/2.1 (+http://www.google.com/bot.html)');
    const listed = await api.request<Many>('GET', `/api/v1/clients/${id}/links?limit=2`);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.count, 5);
    assert.deepEqual(listed.body.data.map((l) => l.id), [made[4]!.id, made[3]!.id]);
    assert.deepEqual(listed.body.data.map((l) => [l.clicks, l.bot_clicks]), [[2, 1], [0, 0]], 'clicks from the engine, bots apart');
    const next = await api.request<Many>('GET', `/api/v1/clients/${id}/links?limit=2&cursor=${listed.body.next_cursor}`);
    assert.deepEqual(next.body.data.map((l) => l.id), [made[2]!.id, made[1]!.id]);
    const offset = await api.request<Many>('GET', `/api/v1/clients/${id}/links?limit=2&offset=4`);
    assert.deepEqual([offset.body.data.map((l) => l.id), offset.body.next_cursor], [[made[0]!.id], null]);
    const even = await api.request<Many>('GET', `/api/v1/links?client_id=${id}&tag=even`);
    assert.deepEqual(even.body.data.map((l) => l.id), [made[4]!.id, made[2]!.id, made[0]!.id]);
    const found = await api.request<Many>('GET', `/api/v1/clients/${id}/links?q=black%20FRIDAY`);
    assert.deepEqual(found.body.data.map((l) => l.id), [made[2]!.id]);
    const byUrl = await api.request<Many>('GET', '/api/v1/links?q=shop.example/p/3');
    assert.deepEqual(byUrl.body.data.map((l) => l.id), [made[3]!.id]);
    assert.equal((await api.request<Many>('GET', `/api/v1/clients/${id}/links?client_id=x`)).status, 400, 'the client comes from the path');
    assert.equal((await api.request<Many>('GET', '/api/v1/clients/nobody-here/links')).status, 404);
    assert.equal((await api.request<Many>('GET', '/api/v1/links?limit=0')).status, 400);

    const free = await create({ destination_url: 'https://example.com/free' });
    assert.equal(free.status, 201);
    assert.equal(free.body.data.client_id, null);
    await click(free.body.data.slug);
    const none = await api.request<Many>('GET', `/api/v1/links?client_id=${LINKS_PSEUDO_CLIENT}`);
    assert.deepEqual(none.body.data.map((l) => l.id), [free.body.data.id], '_links stands for the links of no client');
    assert.equal(none.body.data[0]?.clicks, 1, 'their clicks are counted under _links');
    assert.deepEqual((await api.request<Many>('GET', `/api/v1/clients/${LINKS_PSEUDO_CLIENT}/links`)).body.data.map((l) => l.id), [free.body.data.id]);
  });

  it('a link of no client creates the _links client once, which the clients API refuses to callers', async () => {
    const pseudo = await api.store.getClient(LINKS_PSEUDO_CLIENT);
    assert.equal(pseudo?.name, 'Links without a client');
    assert.equal(pseudo?.timezone, 'UTC');
    assert.equal(pseudo?.publishable_key, null, 'it has no keys');
    const free = (await api.store.listLinks({ client_id: null }, { limit: 1 })).rows[0];
    assert.equal((await createdNotice(free?.id ?? ''))?.client_id, null, 'link.created of a link of no client');
    const refused = await api.request('POST', '/api/v1/clients', { body: { id: LINKS_PSEUDO_CLIENT, name: 'Mine' } });
    assert.equal(refused.status, 400);
    assert.match(String(refused.body.error), /reserved/);
    assert.equal((await api.request('PATCH', `/api/v1/clients/${LINKS_PSEUDO_CLIENT}`, { body: { name: 'x' } })).status, 400);
    assert.equal((await api.request('DELETE', `/api/v1/clients/${LINKS_PSEUDO_CLIENT}?hard=true`)).status, 400);
    assert.equal((await api.request('POST', `/api/v1/clients/${LINKS_PSEUDO_CLIENT}/keys/rotate`, { body: {} })).status, 400);
    assert.equal((await api.store.getClient(LINKS_PSEUDO_CLIENT))?.name, 'Links without a client');
  });

  it('racing services both create their link of no client (the _links row is made once)', async () => {
    await api.store.deleteClient(LINKS_PSEUDO_CLIENT);
    const deps = { store: api.store, keys: new KeysService(api.store, api.clock.read), clock: api.clock.read, clickCounts: linkClickCounts(api.events, api.clock.read), webhooks: api.app.webhookEvents, reportError: () => undefined, reportWarning: () => undefined };
    const [a, b] = [new LinksService(deps), new LinksService(deps)];
    const made = await Promise.all([a, b, a, b].map((s, i) => s.create({ destination_url: `https://example.com/race/${i}` }, 'https://go.test')));
    assert.ok(made.every((l) => l.client_id === null));
    assert.notEqual(await api.store.getClient(LINKS_PSEUDO_CLIENT), null);
  });

  it('DELETE removes the link (404 after); deleting the client removes its links', async () => {
    const { id } = await newClient();
    const one = (await createFor(id, { destination_url: 'https://example.com/', slug: 'short-lived' })).body.data;
    const two = (await createFor(id, { destination_url: 'https://example.com/' })).body.data;
    const deleted = await api.request('DELETE', `/api/v1/links/${one.id}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body, { success: true, deleted: one.id });
    assert.equal((await api.request('GET', `/api/v1/links/${one.id}`)).status, 404);
    assert.equal((await api.request('DELETE', `/api/v1/links/${one.id}`)).status, 404);
    assert.equal(await api.store.findLinkBySlug('short-lived'), null);
    assert.equal((await api.request('DELETE', `/api/v1/clients/${id}?hard=true`)).status, 200);
    assert.equal(await api.store.getLink(two.id), null);
  });

  it(`refuses ${RUNS} malformed creates and ${RUNS} malformed changes, and changes nothing (property)`, async (t) => {
    assert.equal((await createFor(FUZZ_CLIENT, { destination_url: 'https://example.com/', slug: TAKEN })).status, 404, 'no such client yet');
    await newClient(FUZZ_CLIENT);
    assert.equal((await createFor(FUZZ_CLIENT, { destination_url: 'https://example.com/', slug: TAKEN })).status, 201);
    const target = (await createFor(FUZZ_CLIENT, { destination_url: 'https://example.com/t', password: 'pw', tags: ['x'] })).body.data.id;
    // Without the _links client, a refused link of no client must not make it either.
    await api.store.deleteClient(LINKS_PSEUDO_CLIENT);
    const stored = await snapshot(api);
    api.clock.advance(60_000);
    const creates = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 10, arbitrary: broken(validCreate, [badClient]) }, { weight: 1, arbitrary: incomplete }), fc.boolean(), async (body, admin) => {
        const url = admin ? '/api/v1/links' : `/api/v1/clients/${FUZZ_CLIENT}/links`;
        expectRefusal(await api.request('POST', url, { body }), creates, () => `${url} ${show(body)}`);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    report(t, 'POST links', creates);
    // Whether the random bodies hit the taken slug depends on the seed (about one run in ten they
    // did not, and this failed); this one does, for certain, in another case (slugs are unique
    // whatever their case).
    const taken = await createFor(FUZZ_CLIENT, { destination_url: 'https://example.com/', slug: TAKEN.toUpperCase() });
    assert.equal(taken.status, 409, JSON.stringify(taken.body));
    const changes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 12, arbitrary: broken(validPatch) }, { weight: 1, arbitrary: fc.constant({}) }), fc.boolean(), async (body, admin) => {
        const url = admin ? `/api/v1/links/${target}` : clientLink(FUZZ_CLIENT, target);
        expectRefusal(await api.request('PATCH', url, { body }), changes, () => `${url} ${show(body)}`);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    report(t, 'PATCH link', changes);
    assert.equal(await snapshot(api), stored);
  });

  it('a client’s sk_ reaches only its own links: 403 on another client’s path, 404 for another client’s link id, 401 on /links', async () => {
    const mine = await newClient();
    const theirs = await newClient();
    const sk = mine.secret_key;
    const own = await createFor(mine.id, { destination_url: 'https://mine.example/', slug: 'mine-only' }, sk);
    assert.equal(own.status, 201, JSON.stringify(own.body));
    const foreign = (await createFor(theirs.id, { destination_url: 'https://theirs.example/secret-campaign', title: 'Their secret' })).body.data;
    assert.equal((await api.request<Many>('GET', `/api/v1/clients/${mine.id}/links`, as(sk))).body.count, 1);
    assert.equal((await api.request<One>('GET', clientLink(mine.id, own.body.data.id), as(sk))).status, 200);
    assert.equal((await api.request<One>('PATCH', clientLink(mine.id, own.body.data.id), { ...as(sk), body: { title: 'Mine' } })).status, 200);

    for (const [method, url, body] of [
      ['GET', `/api/v1/clients/${theirs.id}/links`, undefined],
      ['POST', `/api/v1/clients/${theirs.id}/links`, { destination_url: 'https://x.example/' }],
      ['GET', clientLink(theirs.id, foreign.id), undefined],
      ['DELETE', clientLink(theirs.id, foreign.id), undefined],
    ] as const) {
      const res = await api.request(method, url, { ...as(sk), ...(body ? { body } : {}) });
      assert.equal(res.status, 403, `${method} ${url}`);
    }
    for (const [method, body] of [['GET', undefined], ['PATCH', { title: 'pwned' }], ['DELETE', undefined]] as const) {
      const res = await api.request(method, clientLink(mine.id, foreign.id), { ...as(sk), ...(body ? { body } : {}) });
      assert.equal(res.status, 404, `${method} of another client's link under my path`);
      assert.ok(!JSON.stringify(res.body).includes('secret-campaign') && !JSON.stringify(res.body).includes('Their secret'));
    }
    assert.equal((await api.request('GET', clientLink(mine.id, foreign.id))).status, 404, 'the admin key too finds it only under its client');
    assert.deepEqual((await api.store.getLink(foreign.id))?.title, 'Their secret', 'untouched');
    assert.equal((await api.request('GET', '/api/v1/links', as(sk))).status, 401);
    assert.equal((await api.request('POST', '/api/v1/links', { ...as(sk), body: { destination_url: 'https://x.example/' } })).status, 401);
    assert.equal((await api.request('DELETE', `/api/v1/links/${foreign.id}`, as(sk))).status, 401);
    assert.equal((await api.request('DELETE', clientLink(mine.id, own.body.data.id), as(sk))).status, 200);
  });
});

describe('links API with a links host', () => {
  let api: TestApi;
  before(async () => {
    api = await startApi(STORE_KINDS[0] as StoreKind, { linksHost: 'go.mythic-analytics.com', publicUrl: 'https://mythic.example' });
  });
  after(async () => api.close());

  it('short URLs sit at the links host’s root, over https, as the docs’ answer shows', async () => {
    await api.request('POST', '/api/v1/clients', { body: { id: 'acme-retail', name: 'Acme Retail' } });
    const res = await api.request<One>('POST', '/api/v1/links', { body: DOCS_BODY });
    assert.equal(res.status, 201);
    assert.equal(res.body.data.short_url, 'https://go.mythic-analytics.com/summer-sale');
    const listed = await api.request<Many>('GET', '/api/v1/clients/acme-retail/links');
    assert.equal(listed.body.data[0]?.short_url, 'https://go.mythic-analytics.com/summer-sale');
  });
});

describe('links while the event engine does not answer', () => {
  let api: TestApi;
  before(async () => {
    api = await startApi(STORE_KINDS[0] as StoreKind);
  });
  after(() => api.close());

  it('answers a committed change, a link and a list with clicks null, never a 5xx', async () => {
    const created = await api.request<Envelope<LinkView>>('POST', '/api/v1/links', { body: { destination_url: 'https://example.com/engine-down' } });
    assert.equal(created.status, 201);
    // The real engine, closed: every report it is asked for now fails.
    await api.events.close();
    const patched = await api.request<Envelope<LinkView>>('PATCH', `/api/v1/links/${created.body.data.id}`, { body: { title: 'Renamed' } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual([patched.body.data.title, patched.body.data.clicks, patched.body.data.bot_clicks], ['Renamed', null, null]);
    assert.equal((await api.store.getLink(created.body.data.id))?.title, 'Renamed');
    const one = await api.request<Envelope<LinkView>>('GET', `/api/v1/links/${created.body.data.id}`);
    assert.deepEqual([one.status, one.body.data.clicks], [200, null]);
    const list = await api.request<Envelope<LinkView[]>>('GET', '/api/v1/links');
    assert.deepEqual([list.status, list.body.data.map((link) => link.clicks)], [200, [null]]);
  });
});
