import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import { SEED_CLIENT, startApi, type Envelope, type TestApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

const KEY = /^[0-9a-f]{32}$/;

describeEachStore('clients API', (kind) => {
  let api: TestApi;
  before(async () => {
    api = await startApi(kind);
  });
  after(async () => {
    assert.ok(api.contract.checked > 0, 'responses were checked against the OpenAPI document');
    await api.close();
  });

  let n = 0;
  /** A valid, unique client body for tests that need one more client. */
  const fresh = (extra: Record<string, unknown> = {}) => {
    n += 1;
    return { id: `client-${n}`, name: `Client ${n}`, ...extra };
  };

  it('creates the documented seed client exactly as written, with both keys in full', async () => {
    const res = await api.request('POST', '/api/v1/clients', { body: SEED_CLIENT });
    assert.equal(res.status, 201);
    assert.equal(res.headers.location, '/api/v1/clients/acme-retail');
    const client = res.body.data;
    assert.equal(res.body.success, true);
    // The proxy key too: in full in the answer to the request that set it, as the docs show.
    for (const [field, value] of Object.entries(SEED_CLIENT)) assert.deepEqual(client[field as keyof typeof client], value, field);
    assert.match(client.publishable_key ?? '', /^pk_[0-9a-f]{32}$/);
    assert.match(client.secret_key ?? '', /^sk_[0-9a-f]{32}$/);
    assert.notEqual(client.publishable_key?.slice(3), client.secret_key?.slice(3));
    const got = (await api.request('GET', '/api/v1/clients/acme-retail')).body.data;
    assert.equal(got.proxy_api_key, '…ring', 'the proxy key is a credential: shown masked after');
    assert.equal(client.created_at, '2026-03-01T12:00:00.000Z');
    assert.equal(client.updated_at, client.created_at);
  });

  it('shows the secret key masked everywhere after creation', async () => {
    const created = (await api.request('POST', '/api/v1/clients', { body: fresh() })).body.data;
    const masked = `sk_…${created.secret_key?.slice(-4)}`;
    const got = await api.request('GET', `/api/v1/clients/${created.id}`);
    assert.equal(got.body.data.secret_key, masked);
    assert.equal(got.body.data.publishable_key, created.publishable_key, 'publishable keys are public');
    const listed = await api.request<Envelope<Envelope['data'][]>>('GET', `/api/v1/clients?q=${created.id}`);
    assert.equal(listed.body.data[0]?.secret_key, masked);
    const patched = await api.request('PATCH', `/api/v1/clients/${created.id}`, { body: { name: 'Renamed' } });
    assert.equal(patched.body.data.secret_key, masked);
  });

  it('generates random keys of the documented form', async () => {
    const keys = new Set<string>();
    for (let i = 0; i < 5; i += 1) {
      const c = (await api.request('POST', '/api/v1/clients', { body: fresh() })).body.data;
      assert.match(c.publishable_key?.slice(3) ?? '', KEY);
      assert.match(c.secret_key?.slice(3) ?? '', KEY);
      keys.add(c.publishable_key as string).add(c.secret_key as string);
    }
    assert.equal(keys.size, 10);
  });

  it('applies defaults: status true, timezone UTC, empty metadata, null optional fields', async () => {
    const c = (await api.request('POST', '/api/v1/clients', { body: fresh() })).body.data;
    assert.equal(c.status, true);
    assert.equal(c.timezone, 'UTC');
    assert.deepEqual(c.api_metadata, {});
    for (const field of ['domain', 'email', 'phone', 'website', 'global_name', 'company_id', 'agency_id', 'ghl_location_id', 'proxy_api_key'] as const) {
      assert.equal(c[field], null, field);
    }
  });

  it('normalises what it stores: trimmed name, lowercase punycode domain, canonical timezone', async () => {
    const c = (
      await api.request('POST', '/api/v1/clients', {
        body: fresh({ name: '  Bücher Shop  ', domain: 'BÜCHER.Example.', timezone: 'europe/berlin' }),
      })
    ).body.data;
    assert.equal(c.name, 'Bücher Shop');
    assert.equal(c.domain, 'xn--bcher-kva.example');
    assert.equal(c.timezone, 'Europe/Berlin');
    const byUnicode = await api.request<Envelope<unknown[]>>('GET', `/api/v1/clients?domain=${encodeURIComponent('bücher.example')}`);
    assert.equal(byUnicode.body.count, 1, 'a domain filter in Unicode finds the punycode form');
  });

  it('refuses each invalid field with a detail naming it, and stores nothing', async () => {
    const before = (await api.request('GET', '/api/v1/clients')).body.count;
    const cases: [string, unknown][] = [
      ['id', 'has space'],
      ['id', ''],
      ['id', 'x'.repeat(256)],
      ['name', '   '],
      ['name', ''],
      ['name', 'n'.repeat(256)],
      ['email', 'not-an-email'],
      ['website', 'acme.com'],
      ['website', 'ftp://acme.com'],
      ['domain', 'https://acme.com'],
      ['domain', 'acme.com:8080'],
      ['domain', 'acme.com/shop'],
      ['domain', '10.0.0.1'],
      ['domain', '-bad-.com'],
      ['global_name', 'window'],
      ['global_name', 'class'],
      ['global_name', '1abc'],
      ['global_name', 'dataLayer'],
      ['global_name', 'has-dash'],
      ['timezone', 'Mars/Olympus_Mons'],
      ['timezone', '+01:00'],
      ['phone', 'call me'],
      ['phone', '1'.repeat(33)],
      ['api_metadata', [1, 2]],
      ['api_metadata', 'text'],
      ['api_metadata', { big: 'x'.repeat(16 * 1024) }],
      ['status', 'yes'],
      ['company_id', 7],
      ['agency_id', ''],
    ];
    for (const [field, value] of cases) {
      const body = field === 'id' || field === 'name' ? { ...fresh(), [field]: value } : fresh({ [field]: value });
      const res = await api.request('POST', '/api/v1/clients', { body });
      assert.equal(res.status, 400, `${field}=${JSON.stringify(value).slice(0, 40)} → ${res.status}`);
      assert.equal(res.body.code, 'validation_error');
      assert.equal(res.body.success, false);
      assert.equal(res.body.data, null);
      assert.ok(res.body.details?.some((d) => d.field === field), `details name ${field}: ${JSON.stringify(res.body.details)}`);
    }
    assert.equal((await api.request('GET', '/api/v1/clients')).body.count, before);
  });

  it('reports every failing field at once', async () => {
    const res = await api.request('POST', '/api/v1/clients', { body: { id: 'ok-id', name: 'Ok', email: 'bad', timezone: 'Nowhere/Zone', website: 'x' } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.details?.map((d) => d.field).sort(), ['email', 'timezone', 'website']);
  });

  it('requires id and name', async () => {
    const res = await api.request('POST', '/api/v1/clients', { body: {} });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.details?.map((d) => d.field).sort(), ['id', 'name']);
    assert.ok(res.body.details?.every((d) => d.message === 'is required'));
  });

  it('accepts the limits themselves: 255-character strings, 16 KiB metadata, 32-character phone', async () => {
    const metadata = { blob: 'x'.repeat(16 * 1024 - 12) };
    const res = await api.request('POST', '/api/v1/clients', {
      body: { id: 'i'.repeat(255), name: 'n'.repeat(255), company_id: 'c'.repeat(255), phone: `+${'1'.repeat(31)}`, api_metadata: metadata },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body.details));
    assert.deepEqual(res.body.data.api_metadata, metadata);
    // The longest id still addresses its client in a path.
    const url = `/api/v1/clients/${'i'.repeat(255)}`;
    assert.equal((await api.request('GET', url)).status, 200);
    assert.equal((await api.request('PATCH', url, { body: { name: `  ${'m'.repeat(255)}  ` } })).body.data.name, 'm'.repeat(255), 'the length counts after trimming');
    assert.equal((await api.request('PATCH', url, { body: { name: 'm'.repeat(256) } })).status, 400);
    assert.deepEqual((await api.request('DELETE', `${url}?hard=true`)).body, { success: true, deleted: 'i'.repeat(255), hard: true });
  });

  it('masks a short proxy key completely after the answer that set it', async () => {
    const res = await api.request('POST', '/api/v1/clients', { body: fresh({ proxy_api_key: 'abcd' }) });
    assert.equal(res.body.data.proxy_api_key, 'abcd');
    const got = await api.request('GET', `/api/v1/clients/${res.body.data.id}`);
    assert.equal(got.body.data.proxy_api_key, '…');
    assert.ok(!JSON.stringify(got.body).includes('abcd'));
  });

  it('shows the proxy key in full only in the create or PATCH answer that set it, masked everywhere else', async () => {
    const created = (await api.request('POST', '/api/v1/clients', { body: fresh({ proxy_api_key: 'proxy-key-one-0001' }) })).body.data;
    assert.equal(created.proxy_api_key, 'proxy-key-one-0001');
    const renamed = await api.request('PATCH', `/api/v1/clients/${created.id}`, { body: { name: 'Renamed' } });
    assert.equal(renamed.body.data.proxy_api_key, '…0001', 'a PATCH that does not set it shows it masked');
    const set = await api.request('PATCH', `/api/v1/clients/${created.id}`, { body: { proxy_api_key: 'proxy-key-two-0002' } });
    assert.equal(set.status, 200);
    assert.equal(set.body.data.proxy_api_key, 'proxy-key-two-0002');
    const readers = [
      (await api.request('GET', `/api/v1/clients/${created.id}`)).body.data,
      (await api.request<Envelope<Envelope['data'][]>>('GET', `/api/v1/clients?q=${created.id}`)).body.data[0],
    ];
    for (const read of readers) assert.equal(read?.proxy_api_key, '…0002');
    const rotated = await api.request('POST', `/api/v1/clients/${created.id}/keys/rotate`, { body: { key: 'secret' } });
    assert.ok(!JSON.stringify(rotated.body).includes('proxy-key-two'), 'a rotation answer does not show it');
    // Stored as a hash: the plain key is nowhere in the store.
    const row = await api.store.getClient(created.id);
    assert.ok(!JSON.stringify(row).includes('proxy-key-two'));
    assert.equal(row?.proxy_key_hash?.length, 64);
  });

  it('names unknown fields with unknown_field, including the keys a caller must not send', async () => {
    const res = await api.request('POST', '/api/v1/clients', { body: fresh({ colour: 'red', secret_key: 'sk_x' }) });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'unknown_field');
    assert.match(res.body.error ?? '', /colour/);
    assert.deepEqual(res.body.details?.map((d) => d.field).sort(), ['colour', 'secret_key']);
  });

  it('answers 409 naming the field for a duplicate id, global_name or domain (domain case-insensitive)', async () => {
    await api.request('POST', '/api/v1/clients', { body: { id: 'dup', name: 'Dup', domain: 'dup.example', global_name: 'dupGlobal' } });
    const cases: [Record<string, unknown>, string][] = [
      [{ id: 'dup', name: 'Again' }, 'id'],
      [{ id: 'dup-2', name: 'Again', domain: 'DUP.Example' }, 'domain'],
      [{ id: 'dup-3', name: 'Again', global_name: 'dupGlobal' }, 'global_name'],
      [{ id: 'dup', name: 'Again', domain: 'dup.example', global_name: 'dupGlobal' }, 'id'],
    ];
    for (const [body, field] of cases) {
      const res = await api.request('POST', '/api/v1/clients', { body });
      assert.equal(res.status, 409, JSON.stringify(body));
      assert.equal(res.body.code, 'conflict');
      assert.deepEqual(res.body.details?.map((d) => d.field), [field]);
      assert.match(res.body.error ?? '', new RegExp(field === 'global_name' ? 'global_name' : field, 'i'));
    }
    assert.equal((await api.request('GET', '/api/v1/clients/dup')).body.data.name, 'Dup');
  });

  it('keeps a soft-deleted client’s id, domain and global_name reserved', async () => {
    await api.request('POST', '/api/v1/clients', { body: { id: 'gone', name: 'Gone', domain: 'gone.example', global_name: 'goneGlobal' } });
    assert.equal((await api.request('DELETE', '/api/v1/clients/gone')).status, 200);
    for (const body of [
      { id: 'gone', name: 'X' },
      { id: 'gone-2', name: 'X', domain: 'gone.example' },
      { id: 'gone-3', name: 'X', global_name: 'goneGlobal' },
    ]) {
      assert.equal((await api.request('POST', '/api/v1/clients', { body })).status, 409);
    }
  });

  it('gets one client, and 404s an unknown id in the envelope', async () => {
    const got = await api.request('GET', '/api/v1/clients/acme-retail');
    assert.equal(got.status, 200);
    assert.equal(got.body.data.id, 'acme-retail');
    const missing = await api.request('GET', '/api/v1/clients/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'not_found');
    assert.match(missing.body.error ?? '', /nope/);
  });

  describeEachPatch();

  function describeEachPatch(): void {
    it('patches a subset, moves updated_at, and leaves the rest alone', async () => {
      const created = (await api.request('POST', '/api/v1/clients', { body: fresh({ email: 'a@example.com', phone: '123' }) })).body.data;
      api.clock.advance(5_000);
      const res = await api.request('PATCH', `/api/v1/clients/${created.id}`, { body: { email: 'b@example.com', name: ' New name ' } });
      assert.equal(res.status, 200);
      assert.equal(res.body.data.email, 'b@example.com');
      assert.equal(res.body.data.name, 'New name');
      assert.equal(res.body.data.phone, '123');
      assert.equal(res.body.data.created_at, created.created_at);
      assert.equal(Date.parse(res.body.data.updated_at) - Date.parse(created.updated_at), 5_000);
      assert.deepEqual((await api.request('GET', `/api/v1/clients/${created.id}`)).body.data, res.body.data);
    });

    it('clears optional fields with null and restores defaults for timezone and metadata', async () => {
      const created = (
        await api.request('POST', '/api/v1/clients', {
          body: fresh({ email: 'a@example.com', domain: 'clear.example', timezone: 'Asia/Tokyo', api_metadata: { a: 1 }, proxy_api_key: 'proxy-secret' }),
        })
      ).body.data;
      const res = await api.request('PATCH', `/api/v1/clients/${created.id}`, {
        body: { email: null, domain: null, timezone: null, api_metadata: null, proxy_api_key: null },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.data.email, null);
      assert.equal(res.body.data.domain, null);
      assert.equal(res.body.data.timezone, 'UTC');
      assert.deepEqual(res.body.data.api_metadata, {});
      assert.equal(res.body.data.proxy_api_key, null);
      // The cleared domain is free again.
      assert.equal((await api.request('POST', '/api/v1/clients', { body: fresh({ domain: 'clear.example' }) })).status, 201);
    });

    it('replaces api_metadata whole', async () => {
      const created = (await api.request('POST', '/api/v1/clients', { body: fresh({ api_metadata: { a: 1, b: { c: 2 } } }) })).body.data;
      const res = await api.request('PATCH', `/api/v1/clients/${created.id}`, { body: { api_metadata: { z: [1, 'two'], a: null } } });
      assert.deepEqual(res.body.data.api_metadata, { z: [1, 'two'], a: null });
      assert.deepEqual(Object.keys(res.body.data.api_metadata), ['z', 'a'], 'key order is kept');
    });

    it('answers no_fields for an empty patch, and refuses id, unknown fields and nulls on required fields', async () => {
      const created = (await api.request('POST', '/api/v1/clients', { body: fresh() })).body.data;
      const empty = await api.request('PATCH', `/api/v1/clients/${created.id}`, { body: {} });
      assert.equal(empty.status, 400);
      assert.equal(empty.body.code, 'no_fields');
      const id = await api.request('PATCH', `/api/v1/clients/${created.id}`, { body: { id: 'other' } });
      assert.equal(id.status, 400);
      assert.equal(id.body.code, 'unknown_field');
      for (const body of [{ name: null }, { status: null }, { name: '' }, { email: 'nope' }]) {
        const res = await api.request('PATCH', `/api/v1/clients/${created.id}`, { body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.code, 'validation_error');
      }
      assert.deepEqual((await api.request('GET', `/api/v1/clients/${created.id}`)).body.data, created.secret_key ? { ...created, secret_key: `sk_…${created.secret_key.slice(-4)}` } : created);
    });

    it('404s a patch of an unknown client and 409s a patch onto a taken domain', async () => {
      assert.equal((await api.request('PATCH', '/api/v1/clients/nope', { body: { name: 'x' } })).status, 404);
      const a = (await api.request('POST', '/api/v1/clients', { body: fresh({ domain: 'taken.example' }) })).body.data;
      const b = (await api.request('POST', '/api/v1/clients', { body: fresh() })).body.data;
      const res = await api.request('PATCH', `/api/v1/clients/${b.id}`, { body: { domain: 'Taken.Example' } });
      assert.equal(res.status, 409);
      assert.deepEqual(res.body.details?.map((d) => d.field), ['domain']);
      assert.equal((await api.request('GET', `/api/v1/clients/${a.id}`)).body.data.domain, 'taken.example');
      assert.equal((await api.request('GET', `/api/v1/clients/${b.id}`)).body.data.domain, null);
    });
  }

  it('soft-deletes by default with the exact documented response, and status:true revives', async () => {
    const created = (await api.request('POST', '/api/v1/clients', { body: fresh() })).body.data;
    const res = await api.request('DELETE', `/api/v1/clients/${created.id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { success: true, deleted: created.id, hard: false });
    const after = (await api.request('GET', `/api/v1/clients/${created.id}`)).body.data;
    assert.equal(after.status, false);
    assert.equal(after.publishable_key, created.publishable_key);
    const revived = await api.request('PATCH', `/api/v1/clients/${created.id}`, { body: { status: true } });
    assert.equal(revived.body.data.status, true);
  });

  it('hard-deletes the client and its keys with ?hard=true', async () => {
    const created = (await api.request('POST', '/api/v1/clients', { body: fresh({ domain: 'hard.example' }) })).body.data;
    const res = await api.request('DELETE', `/api/v1/clients/${created.id}?hard=true`);
    assert.deepEqual(res.body, { success: true, deleted: created.id, hard: true });
    assert.equal((await api.request('GET', `/api/v1/clients/${created.id}`)).status, 404);
    assert.equal(await api.store.findKeyByHash((await import('../src/keys/secrets.js')).sha256Hex(created.secret_key as string)), null);
    assert.equal((await api.store.listActiveKeys(created.id, api.clock.now)).length, 0);
    // Its values are free again.
    assert.equal((await api.request('POST', '/api/v1/clients', { body: { id: created.id, name: 'Back', domain: 'hard.example' } })).status, 201);
  });

  it('404s deleting an unknown client, soft or hard, and refuses a bad hard flag', async () => {
    assert.equal((await api.request('DELETE', '/api/v1/clients/nope')).status, 404);
    assert.equal((await api.request('DELETE', '/api/v1/clients/nope?hard=true')).status, 404);
    const bad = await api.request('DELETE', '/api/v1/clients/acme-retail?hard=maybe');
    assert.equal(bad.status, 400);
    assert.equal((await api.request('GET', '/api/v1/clients/acme-retail')).body.data.status, true);
  });
});

describeEachStore('clients listing', (kind) => {
  let api: TestApi;
  type List = Envelope<Envelope['data'][]>;
  before(async () => {
    api = await startApi(kind);
    // 12 clients over 3 agencies, one a minute apart; every third inactive.
    for (let i = 1; i <= 12; i += 1) {
      api.clock.advance(60_000);
      const body = {
        id: `shop-${String(i).padStart(2, '0')}`,
        name: i === 7 ? 'Fifty 50% Off_Sale' : `Shop ${i}`,
        domain: `shop${i}.example`,
        email: i === 4 ? 'Owner@Corner.example' : null,
        agency_id: `agency-${i % 3}`,
        company_id: i <= 6 ? 'cmp-low' : 'cmp-high',
        ghl_location_id: i === 5 ? 'loc-5' : null,
      };
      assert.equal((await api.request('POST', '/api/v1/clients', { body })).status, 201);
      if (i % 3 === 0) await api.request('DELETE', `/api/v1/clients/${body.id}`);
    }
  });
  after(async () => api.close());

  const ids = (res: { body: List }) => res.body.data.map((c) => c.id);

  it('lists newest first with count = total matches and a default limit of 50', async () => {
    const res = await api.request<List>('GET', '/api/v1/clients');
    assert.equal(res.body.count, 12);
    assert.equal(res.body.data.length, 12);
    assert.equal(ids(res)[0], 'shop-12');
    assert.equal(ids(res)[11], 'shop-01');
    assert.equal(res.body.next_cursor, null);
  });

  it('pages by offset and by cursor, with the same stable order', async () => {
    const all = ids(await api.request<List>('GET', '/api/v1/clients'));
    const byOffset: string[] = [];
    for (let offset = 0; offset < 12; offset += 5) {
      const page = await api.request<List>('GET', `/api/v1/clients?limit=5&offset=${offset}`);
      assert.equal(page.body.count, 12);
      byOffset.push(...ids(page));
    }
    assert.deepEqual(byOffset, all);
    const byCursor: string[] = [];
    let cursor: string | null | undefined = undefined;
    do {
      const url: string = `/api/v1/clients?limit=5${cursor ? `&cursor=${cursor}` : ''}`;
      const page: { body: List } = await api.request<List>('GET', url);
      byCursor.push(...ids(page));
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.deepEqual(byCursor, all);
  });

  it('filters by status, agency_id, company_id, ghl_location_id and domain', async () => {
    assert.equal((await api.request<List>('GET', '/api/v1/clients?status=false')).body.count, 4);
    assert.equal((await api.request<List>('GET', '/api/v1/clients?status=true')).body.count, 8);
    assert.deepEqual(ids(await api.request<List>('GET', '/api/v1/clients?agency_id=agency-0')), ['shop-12', 'shop-09', 'shop-06', 'shop-03']);
    assert.equal((await api.request<List>('GET', '/api/v1/clients?company_id=cmp-high&status=true')).body.count, 4);
    assert.deepEqual(ids(await api.request<List>('GET', '/api/v1/clients?ghl_location_id=loc-5')), ['shop-05']);
    assert.deepEqual(ids(await api.request<List>('GET', '/api/v1/clients?domain=SHOP11.example')), ['shop-11']);
  });

  it('searches id, name, domain and email case-insensitively with q, wildcards taken literally', async () => {
    assert.deepEqual(ids(await api.request<List>('GET', '/api/v1/clients?q=corner')), ['shop-04']);
    assert.deepEqual(ids(await api.request<List>('GET', '/api/v1/clients?q=SHOP-1')), ['shop-12', 'shop-11', 'shop-10']);
    assert.deepEqual(ids(await api.request<List>('GET', `/api/v1/clients?q=${encodeURIComponent('50%')}`)), ['shop-07']);
    assert.deepEqual(ids(await api.request<List>('GET', '/api/v1/clients?q=f_s')), ['shop-07']);
    assert.equal((await api.request<List>('GET', '/api/v1/clients?q=shop1.ex')).body.count, 1);
  });

  it('refuses bad paging and unknown filters', async () => {
    for (const query of ['limit=0', 'limit=501', 'limit=abc', 'offset=-1', 'cursor=garbage', 'offset=1&cursor=abc', 'status=perhaps', 'colour=red']) {
      const res = await api.request<List>('GET', `/api/v1/clients?${query}`);
      assert.equal(res.status, 400, query);
      assert.ok(['validation_error', 'unknown_field'].includes(res.body.code ?? ''), query);
    }
    assert.equal((await api.request<List>('GET', '/api/v1/clients?limit=500')).status, 200);
  });
});
