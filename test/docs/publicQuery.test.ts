// The documentation's "Public query" request, sent verbatim (only the client id and the pk are the
// docs' placeholders): ISO date-times in from/to beside `period: "24h"`, a `country` dimension and
// filter. It was a 400; it must be the documented 200 with the documented shape.
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { QueryResultView } from '../../src/query/schemas.js';
import { suiteApi, type Envelope } from '../helpers/api.js';
import { describeEachStore } from '../helpers/stores.js';
import { insert, view } from '../query/support.js';

/** The request body exactly as the docs print it (`acme-retail` is their client id). */
const DOCS_BODY = `{ "client_id": "acme-retail", "metric": "page_views", "dimensions": ["day", "country"],
  "filters": { "url_contains": "/products", "country": "US" },
  "period": "24h", "from": "2024-12-25T10:00:00Z", "to": "2024-12-25T10:00:00Z", "limit": 42 }`;

describeEachStore('docs: Public query', (kind) => {
  const { api } = suiteApi(kind, 'docs-public-query');
  let pk: string;

  before(async () => {
    const created = await api().request('POST', '/api/v1/clients', { body: { id: 'acme-retail', name: 'Acme Retail' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    pk = created.body.data.publishable_key as string;
    // Events inside a real range, so the same request with one has something to count, stored
    // with the countries ingestion would have looked up (test/ingest/geoIngest.test.ts ingests them).
    await insert(api(), 'acme-retail', [
      view('2024-12-25T09:00:00Z', '/products/1', 'v1', 's1', { country: 'US' }),
      view('2024-12-25T11:00:00Z', '/products/2', 'v2', 's2', { country: 'US' }),
      view('2024-12-25T11:30:00Z', '/products/3', 'v3', 's3', { country: 'DE' }),
      view('2024-12-25T12:00:00Z', '/about', 'v4', 's4', { country: 'US' }),
    ]);
  });

  const send = (body: string) =>
    api().request<Envelope<QueryResultView>>('POST', '/api/v1/public/query', {
      anonymous: true,
      headers: { 'x-publishable-key': pk, 'content-type': 'application/json' },
      raw: body,
    });

  it('answers the documented request, an empty range, with 200 and no rows', async () => {
    const res = await send(DOCS_BODY);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.success, true);
    assert.deepEqual(res.body.data, {
      columns: ['day', 'country', 'page_views'],
      rows: [],
      total: 0,
      period: { from: '2024-12-25T10:00:00.000Z', to: '2024-12-25T10:00:00.000Z', timezone: 'UTC' },
    });
  });

  it('counts the same request over a real range, by day and country, filtered as asked', async () => {
    api().clock.advance(1000);
    const res = await send(DOCS_BODY.replace('"to": "2024-12-25T10:00:00Z"', '"to": "2024-12-26T00:00:00Z"'));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.data.rows, [['2024-12-25', 'US', 1]]);
    assert.deepEqual(res.body.data.period, { from: '2024-12-25T10:00:00.000Z', to: '2024-12-26T00:00:00.000Z', timezone: 'UTC' });
  });
});
