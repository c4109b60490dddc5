import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { SnippetView } from '../src/snippets/schemas.js';
import { REGEX_JUDGING } from '../src/validation/safeRegex.js';
import { suiteApi, type Envelope, type TestApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

type Snippets = Envelope<SnippetView[]>;
type Item = SnippetView;

const ID = /^snp_[0-9a-f]{24}$/;
const CHAT = { code: '<script src="https://chat.example/w.js"></script>', description: 'Chat widget', enabled: true, trigger_rules: [] };
const PROMO = { code: '<div id="promo"></div><script>document.getElementById("promo").textContent = "10% off";</script>', description: '', enabled: false, trigger_rules: [{ path_prefix: '/sale' }] };

describeEachStore('snippets API', (kind) => {
  const suite = suiteApi(kind, 'snipped');
  const { newClient } = suite;
  let api: TestApi;
  before(() => {
    api = suite.api();
  });

  const put = (id: string, snippets: unknown) => api.request<Snippets>('PUT', `/api/v1/clients/${id}/snippets`, { body: { snippets } });
  const get = (id: string) => api.request<Snippets>('GET', `/api/v1/clients/${id}/snippets`);
  const withoutId = ({ id: _id, ...rest }: Item) => rest;

  it('stores the set in order, gives each snippet an id, and reads it back', async () => {
    const id = await newClient();
    assert.deepEqual((await get(id)).body.data, []);
    const res = await put(id, [CHAT, PROMO]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const stored = res.body.data;
    assert.deepEqual(stored.map(withoutId), [CHAT, PROMO]);
    for (const s of stored) assert.match(s.id, ID);
    assert.notEqual(stored[0]?.id, stored[1]?.id);
    assert.deepEqual((await get(id)).body, { success: true, data: stored, count: 2 });
    assert.equal(res.body.count, 2);
  });

  it('takes trigger rules as one object ({} for every page) and answers them in the form sent', async () => {
    const id = await newClient();
    const patterns: [string, string] = [`^https://[a-z]+\\.example/snip-${Date.now()}/`, `/products/\\d+/snip-${Date.now()}$`];
    const sent = [
      { ...CHAT, trigger_rules: {} },
      { ...PROMO, trigger_rules: { path_prefix: '/sale', exclude_url_contains: 'preview' } },
      { ...CHAT, trigger_rules: [{ url_contains: '/a' }] },
      // Regular expressions in both forms, judged before the request is validated.
      { ...CHAT, trigger_rules: { url_regex: patterns[0] } },
      { ...CHAT, trigger_rules: [{ path_prefix: '/b' }, { url_regex: patterns[1] }] },
    ];
    const res = await put(id, sent);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.data.map(withoutId), sent);
    assert.deepEqual((await get(id)).body.data.map(withoutId), sent);
    // Their verdicts are kept in the metadata store, for every node and later start.
    assert.deepEqual([...(await api.store.regexVerdicts(REGEX_JUDGING, patterns))].sort(), patterns.map((pattern) => [pattern, true]).sort());
  });

  it('defaults description to "", enabled to true and trigger_rules to every page', async () => {
    const id = await newClient();
    const res = await put(id, [{ code: '<b>hi</b>' }]);
    assert.deepEqual(withoutId(res.body.data[0] as Item), { code: '<b>hi</b>', description: '', enabled: true, trigger_rules: [] });
  });

  it('keeps ids that are sent back, across edits and reordering; new items get new ids', async () => {
    const id = await newClient();
    const [chat, promo] = (await put(id, [CHAT, PROMO])).body.data as [Item, Item];
    const edited = { ...promo, code: '<i>changed</i>', enabled: true };
    const res = await put(id, [edited, { code: '<u>new</u>' }, chat]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [first, added, third] = res.body.data as [Item, Item, Item];
    assert.deepEqual(first, edited, 'the edited snippet keeps its id');
    assert.deepEqual(third, chat, 'the moved snippet keeps its id');
    assert.match(added.id, ID);
    assert.ok(![chat.id, promo.id].includes(added.id));
    assert.deepEqual((await get(id)).body.data, [first, added, third]);
    // Leaving one out deletes it; its id cannot come back.
    await put(id, [chat]);
    const gone = await put(id, [chat, promo]);
    assert.equal(gone.status, 400);
    assert.deepEqual(gone.body.details?.map((d) => d.field), ['snippets.1.id']);
    assert.deepEqual((await get(id)).body.data, [chat]);
  });

  it('refuses an unknown id, another client’s id and an id used twice, and changes nothing', async () => {
    const id = await newClient();
    const other = await newClient();
    const [mine] = (await put(id, [CHAT])).body.data as [Item];
    const [theirs] = (await put(other, [PROMO])).body.data as [Item];
    const cases: [unknown[], string][] = [
      [[{ ...CHAT, id: `snp_${'0'.repeat(24)}` }], 'snippets.0.id'],
      [[mine, { ...PROMO, id: theirs.id }], 'snippets.1.id'],
      [[mine, { ...mine, code: '<p>dup</p>' }], 'snippets.1.id'],
      [[{ ...CHAT, id: 'snp_short' }], 'snippets.0.id'],
      [[{ ...CHAT, id: 42 }], 'snippets.0.id'],
    ];
    for (const [snippets, field] of cases) {
      const res = await put(id, snippets);
      assert.equal(res.status, 400, JSON.stringify(snippets));
      assert.equal(res.body.code, 'validation_error');
      assert.deepEqual(res.body.details?.map((d) => d.field), [field], JSON.stringify(res.body.details));
    }
    assert.deepEqual((await get(id)).body.data, [mine]);
    assert.deepEqual((await get(other)).body.data, [theirs]);
  });

  it('counts the 64 KiB limit of code in bytes of UTF-8, not characters', async () => {
    const id = await newClient();
    const exact = 'é'.repeat(32 * 1024);
    assert.equal(Buffer.byteLength(exact), 64 * 1024);
    const ok = await put(id, [{ code: exact }]);
    assert.equal(ok.status, 200, JSON.stringify(ok.body.details));
    assert.equal(ok.body.data[0]?.code, exact, 'stored and returned unchanged');
    const stored = (await get(id)).body.data;
    for (const code of [`${exact}a`, `${'a'.repeat(64 * 1024)}b`, '😀'.repeat(16 * 1024 + 1)]) {
      const res = await put(id, [CHAT, { code }]);
      assert.equal(res.status, 400, `${Buffer.byteLength(code)} bytes`);
      assert.equal(res.body.code, 'validation_error');
      assert.deepEqual(res.body.details?.map((d) => d.field), ['snippets.1.code']);
      assert.match(res.body.details?.[0]?.message ?? '', /65536 bytes/);
    }
    assert.deepEqual((await get(id)).body.data, stored);
  });

  it('refuses other malformed snippets with a detail naming the field', async () => {
    const id = await newClient();
    const [kept] = (await put(id, [CHAT])).body.data as [Item];
    const cases: [unknown, string, string][] = [
      [[{ code: '' }], 'snippets.0.code', 'validation_error'],
      [[{ description: 'no code' }], 'snippets.0.code', 'validation_error'],
      [[{ code: 1 }], 'snippets.0.code', 'validation_error'],
      [[{ ...CHAT, description: 'd'.repeat(256) }], 'snippets.0.description', 'validation_error'],
      [[{ ...CHAT, enabled: 1 }], 'snippets.0.enabled', 'validation_error'],
      [[{ ...CHAT, trigger_rules: [{ url_regex: '(.*)*x' }] }], 'snippets.0.trigger_rules.0.url_regex', 'validation_error'],
      [[{ ...CHAT, trigger_rules: [{ path_prefix: 'no-slash' }] }], 'snippets.0.trigger_rules.0.path_prefix', 'validation_error'],
      [[{ ...CHAT, trigger_rules: { path_prefix: 'no-slash' } }], 'snippets.0.trigger_rules.path_prefix', 'validation_error'],
      [[{ ...CHAT, trigger_rules: { url_contains: '/a', page: '/b' } }], 'snippets.0.trigger_rules.page', 'unknown_field'],
      [[{ ...CHAT, trigger_rules: { url_equals: false } }], 'snippets.0.trigger_rules.url_equals', 'validation_error'],
      [[{ ...CHAT, trigger_rules: 'every page' }], 'snippets.0.trigger_rules', 'validation_error'],
      [[{ ...CHAT, title: 'x' }], 'snippets.0.title', 'unknown_field'],
      [Array.from({ length: 51 }, () => ({ code: 'x' })), 'snippets', 'validation_error'],
      ['<script></script>', 'snippets', 'validation_error'],
    ];
    for (const [snippets, field, code] of cases) {
      const res = await put(id, snippets);
      assert.equal(res.status, 400, JSON.stringify(snippets).slice(0, 100));
      assert.equal(res.body.code, code);
      assert.ok(res.body.details?.some((d) => d.field === field), `details name ${field}: ${JSON.stringify(res.body.details)}`);
    }
    assert.deepEqual((await get(id)).body.data, [kept]);
  });

  it('accepts 50 snippets and a 255-character description', async () => {
    const id = await newClient();
    const res = await put(id, Array.from({ length: 50 }, (_, i) => ({ code: `<!-- ${i} -->`, description: i === 0 ? 'd'.repeat(255) : `#${i}` })));
    assert.equal(res.status, 200);
    assert.equal((await get(id)).body.data.length, 50);
    assert.equal(new Set(res.body.data.map((s) => s.id)).size, 50);
  });

  it('moves the client’s updated_at, and 404s an unknown client', async () => {
    const id = await newClient();
    const before = (await api.request('GET', `/api/v1/clients/${id}`)).body.data.updated_at;
    api.clock.advance(3_000);
    await put(id, [CHAT]);
    assert.equal(Date.parse((await api.request('GET', `/api/v1/clients/${id}`)).body.data.updated_at) - Date.parse(before), 3_000);
    for (const res of [await get('nope'), await put('nope', [CHAT])]) {
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'not_found');
    }
  });

  it('keeps one request’s set whole under concurrent replacements, ids included', async () => {
    const id = await newClient();
    const [base] = (await put(id, [CHAT])).body.data as [Item];
    const sets = Array.from({ length: 20 }, (_, i) => [
      { ...base, description: `round ${i}` },
      ...Array.from({ length: i % 4 }, (_, j) => ({ code: `<!-- ${i}.${j} -->` })),
    ]);
    const replies = await Promise.all(sets.map((snippets) => put(id, snippets)));
    assert.deepEqual(replies.map((r) => r.status), sets.map(() => 200));
    const stored = (await get(id)).body.data;
    const winner = replies.find((r) => JSON.stringify(r.body.data) === JSON.stringify(stored));
    assert.ok(winner, `the stored set is exactly one request's answer: ${JSON.stringify(stored)}`);
    assert.equal(stored[0]?.id, base.id);
  });

  it('removes the snippets with the client on hard delete', async () => {
    const id = await newClient();
    await put(id, [CHAT, PROMO]);
    await api.request('DELETE', `/api/v1/clients/${id}?hard=true`);
    assert.deepEqual(await api.store.listSnippets(id), []);
    assert.equal((await get(id)).status, 404);
  });
});
