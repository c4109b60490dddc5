import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { LinkRow } from '../../src/links/linkRow.js';
import { UniqueViolation } from '../../src/store/metaStore.js';
import { clientFields, linkRow } from '../helpers/rows.js';
import { describeEachStore, storeOfSuite } from '../helpers/stores.js';

function link(id: string, slug: string, clientId: string | null, at: number, extra: Partial<LinkRow> = {}): LinkRow {
  return linkRow(id, clientId, `https://example.com/${slug}`, { slug, created_at: at, updated_at: at, ...extra });
}

describeEachStore('links store', (kind) => {
  const suite = storeOfSuite(kind);
  before(async () => {
    await suite.store.insertClient(clientFields('acme'), []);
    await suite.store.insertClient(clientFields('other'), []);
  });

  it('inserts and reads back every field, by id and by slug key; no_client for an unknown client', async () => {
    const row = link('lnk_a', 'Summer-Sale', 'acme', 1_000, {
      title: 'Summer',
      tags: ['campaign', 'summer-2024'],
      metadata: { b: 1, a: { nested: [1, 'x'] } },
      password_hash: 'scrypt$…',
      expires_at: 2_000,
    });
    assert.equal(await suite.store.insertLink(row), 'inserted');
    assert.deepEqual(await suite.store.getLink('lnk_a'), row);
    assert.deepEqual(await suite.store.findLinkBySlug('summer-sale'), row);
    assert.equal(await suite.store.findLinkBySlug('Summer-Sale'), null, 'the store looks up the key as given');
    assert.equal(await suite.store.getLink('lnk_nope'), null);
    assert.equal(await suite.store.insertLink(link('lnk_x', 'x', 'ghost', 1)), 'no_client');
    assert.equal(await suite.store.getLink('lnk_x'), null);
    const free = link('lnk_free', 'free', null, 1_500);
    assert.equal(await suite.store.insertLink(free), 'inserted');
    assert.deepEqual(await suite.store.getLink('lnk_free'), free);
  });

  it('a taken slug key (any case) is UniqueViolation(slug), on insert and on update', async () => {
    await assert.rejects(suite.store.insertLink(link('lnk_b', 'SUMMER-sale', 'other', 1)), (e: unknown) => e instanceof UniqueViolation && e.field === 'slug');
    await assert.rejects(suite.store.insertLink(link('lnk_a', 'fresh', 'acme', 1)), (e: unknown) => e instanceof UniqueViolation && e.field === 'id');
    assert.equal(await suite.store.insertLink(link('lnk_c', 'winter', 'acme', 3_000)), 'inserted');
    await assert.rejects(suite.store.updateLink('lnk_c', { slug: 'summer-SALE', slug_key: 'summer-sale' }, 4_000), (e: unknown) => e instanceof UniqueViolation && e.field === 'slug');
    assert.equal((await suite.store.getLink('lnk_c'))?.slug, 'winter', 'nothing changed');
  });

  it('updates the given fields only, clears with null; null for an unknown link', async () => {
    const updated = await suite.store.updateLink('lnk_c', { title: 'Winter', tags: ['x'], password_hash: 'h', metadata: { k: 'v' } }, 5_000);
    assert.deepEqual(updated, { ...link('lnk_c', 'winter', 'acme', 3_000), title: 'Winter', tags: ['x'], password_hash: 'h', metadata: { k: 'v' }, updated_at: 5_000 });
    const cleared = await suite.store.updateLink('lnk_c', { password_hash: null, title: null, slug: 'Winter2', slug_key: 'winter2' }, 6_000);
    assert.equal(cleared?.password_hash, null);
    assert.equal(cleared?.title, null);
    assert.equal(cleared?.slug, 'Winter2');
    assert.deepEqual(await suite.store.findLinkBySlug('winter2'), cleared);
    assert.equal(await suite.store.findLinkBySlug('winter'), null);
    assert.equal(await suite.store.updateLink('lnk_nope', { title: 'x' }, 1), null);
  });

  it('lists newest first with filters (client, no client, tag, search) and both kinds of paging', async () => {
    for (let i = 0; i < 5; i++) {
      await suite.store.insertLink(link(`lnk_p${i}`, `page-${i}`, 'other', 10_000 + i, { tags: i % 2 === 0 ? ['even', 'all'] : ['all'], title: i === 3 ? 'Black 50% Friday' : null }));
    }
    const all = await suite.store.listLinks({}, { limit: 100 });
    assert.equal(all.total, 8);
    assert.deepEqual(all.rows.map((r) => r.id), ['lnk_p4', 'lnk_p3', 'lnk_p2', 'lnk_p1', 'lnk_p0', 'lnk_c', 'lnk_free', 'lnk_a']);
    assert.deepEqual((await suite.store.listLinks({ client_id: 'acme' }, { limit: 10 })).rows.map((r) => r.id), ['lnk_c', 'lnk_a']);
    assert.deepEqual((await suite.store.listLinks({ client_id: null }, { limit: 10 })).rows.map((r) => r.id), ['lnk_free']);
    assert.deepEqual((await suite.store.listLinks({ client_id: 'other', tag: 'even' }, { limit: 10 })).rows.map((r) => r.id), ['lnk_p4', 'lnk_p2', 'lnk_p0']);
    assert.deepEqual((await suite.store.listLinks({ tag: 'eve' }, { limit: 10 })).total, 0, 'tags match exactly');
    assert.deepEqual((await suite.store.listLinks({ q: '50%' }, { limit: 10 })).rows.map((r) => r.id), ['lnk_p3'], 'title, wildcards literal');
    assert.deepEqual((await suite.store.listLinks({ q: 'SUMMER' }, { limit: 10 })).rows.map((r) => r.id), ['lnk_a'], 'slug or destination, any case');
    assert.deepEqual((await suite.store.listLinks({ q: 'example.com/page-1' }, { limit: 10 })).rows.map((r) => r.id), ['lnk_p1']);
    const first = await suite.store.listLinks({ tag: 'all' }, { limit: 2, offset: 1 });
    assert.deepEqual([first.total, first.rows.map((r) => r.id)], [5, ['lnk_p3', 'lnk_p2']]);
    const keyset = await suite.store.listLinks({ tag: 'all' }, { limit: 2, after: { created_at: 10_002, id: 'lnk_p2' } });
    assert.deepEqual(keyset.rows.map((r) => r.id), ['lnk_p1', 'lnk_p0']);
  });

  it('deletes one link; deleting the client deletes its links', async () => {
    assert.equal(await suite.store.deleteLink('lnk_p0'), true);
    assert.equal(await suite.store.deleteLink('lnk_p0'), false);
    assert.equal(await suite.store.deleteClient('other'), true);
    assert.equal((await suite.store.listLinks({ client_id: 'other' }, { limit: 10 })).total, 0);
    assert.equal(await suite.store.findLinkBySlug('page-1'), null);
    assert.notEqual(await suite.store.getLink('lnk_free'), null, 'a link of no client stays');
  });
});
