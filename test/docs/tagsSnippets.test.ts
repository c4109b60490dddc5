import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RemoteConfig } from '../../src/loader/remoteConfig.js';
import { matchesRules as serverMatches } from '../../src/loader/triggerRules.js';
import { matchesRules as loaderMatches } from '../../sdk/src/shared/rules.js';
import { servedContract, type ContractChecker } from '../helpers/contract.js';
import { startServer, stopAllServers, type RunningServer } from '../helpers/server.js';

/*
 * The "Replace tags" and "Replace snippets" examples of the Mythic Analytics API reference
 * (../shared/reference/mythic-docs-examples.md), sent byte for byte to a real server process with
 * the admin key as the only placeholder filled in. Integrators wrote code against exactly these
 * requests and answers.
 */

const ADMIN_KEY = 'mk_docs_0123456789abcdef0123456789abcdef';
const CLIENT = 'acme-retail';

const REPLACE_TAGS = `{ "tags": [ { "tag_id": "f47ac10b-58cc-4372-a567-0e02b2c3d479", "enabled": true,
    "params": { "measurement_id": "G-XXXXXXXXXX" },
    "trigger_rules": { "url_contains": "/checkout" } } ] }`;
const TAGS_ANSWER_DATA = [
  { tag_id: 'f47ac10b-58cc-4372-a567-0e02b2c3d479', enabled: true, params: { measurement_id: 'G-XXXXXXXXXX' }, trigger_rules: { url_contains: '/checkout' } },
];

const REPLACE_SNIPPETS = String.raw`{ "snippets": [ { "code": "<script src=\"https://widgets.mythic-analytics.com/checkout.js\"></script>",
    "description": "Checkout widget", "enabled": true, "trigger_rules": {} } ] }`;
const SNIPPET = { code: '<script src="https://widgets.mythic-analytics.com/checkout.js"></script>', description: 'Checkout widget', enabled: true, trigger_rules: {} };

interface Answer {
  status: number;
  body: { success: boolean; data: Record<string, unknown>[]; count: number };
  text: string;
}

describe('the documented "Replace tags" and "Replace snippets" requests, verbatim, against a server process', () => {
  let server: RunningServer;
  let contract: ContractChecker;
  let dataDir: string;
  let publishableKey: string;

  async function call(method: string, path: string, body?: string): Promise<Answer> {
    const response = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    const parsed = JSON.parse(text) as Answer['body'];
    contract.check(method, path, response.status, parsed);
    return { status: response.status, body: parsed, text };
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mythic-docs-tags-'));
    [server, contract] = await Promise.all([startServer({ dataDir, adminKey: ADMIN_KEY }), servedContract()]);
    const created = await call('POST', '/api/v1/clients', JSON.stringify({ id: CLIENT, name: 'Acme Retail', domain: 'acme-retail.example' }));
    assert.equal(created.status, 201, created.text);
    publishableKey = (created.body.data as unknown as { publishable_key: string }).publishable_key;
  });
  after(async () => {
    await stopAllServers();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('"Replace tags": 200, data the plain array of tags as stored, GA4 named by the docs’ UUID', async () => {
    const res = await call('PUT', `/api/v1/clients/${CLIENT}/tags`, REPLACE_TAGS);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { success: true, data: TAGS_ANSWER_DATA, count: 1 });
    // Read back: the same shape, the rules in the object form they were sent in.
    assert.deepEqual((await call('GET', `/api/v1/clients/${CLIENT}/tags`)).body, { success: true, data: TAGS_ANSWER_DATA, count: 1 });
  });

  it('"Replace snippets": 200, data the plain array of snippets, each with its id', async () => {
    const res = await call('PUT', `/api/v1/clients/${CLIENT}/snippets`, REPLACE_SNIPPETS);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.success, true);
    assert.equal(res.body.count, 1);
    assert.ok(Array.isArray(res.body.data));
    const [stored] = res.body.data;
    assert.match(String(stored?.id), /^snp_[0-9a-f]{24}$/);
    assert.deepEqual({ ...stored, id: undefined }, { ...SNIPPET, id: undefined });
    assert.deepEqual((await call('GET', `/api/v1/clients/${CLIENT}/snippets`)).body, res.body);
  });

  it('then serves the GA4 tag only on pages whose URL contains /checkout, and the snippet on every page', async () => {
    const response = await fetch(`${server.baseUrl}/s/${publishableKey}.js`);
    assert.equal(response.status, 200);
    const match = /var MYTHIC_CONFIG=(.*?);var MYTHIC_CORE=/.exec(await response.text());
    assert.ok(match, 'the loader carries its config');
    const config = JSON.parse(match[1] as string) as RemoteConfig;
    assert.deepEqual(config.tags.map((t) => [t.tag_id, t.rules, t.src]), [['ga4', { url_contains: '/checkout' }, 'https://www.googletagmanager.com/gtag/js?id=G-XXXXXXXXXX']]);
    assert.deepEqual(config.snippets.map((s) => [s.rules, s.code]), [[{}, SNIPPET.code]]);

    const pages: [string, boolean][] = [
      ['https://acme-retail.example/checkout', true],
      ['https://acme-retail.example/checkout/payment?step=2', true],
      ['https://acme-retail.example/cart?next=/checkout', true],
      ['https://acme-retail.example/', false],
      ['https://acme-retail.example/products/42', false],
      ['https://acme-retail.example/Checkout', false],
    ];
    const [tag] = config.tags;
    const [snippet] = config.snippets;
    assert.ok(tag && snippet);
    for (const [href, tagFires] of pages) {
      const { pathname } = new URL(href);
      // The server's decision and the browser loader's own copy of it.
      assert.equal(serverMatches(tag.rules, href), tagFires, `server, tag on ${href}`);
      assert.equal(loaderMatches(tag.rules, href, pathname), tagFires, `loader, tag on ${href}`);
      assert.equal(serverMatches(snippet.rules, href), true, `server, snippet on ${href}`);
      assert.equal(loaderMatches(snippet.rules, href, pathname), true, `loader, snippet on ${href}`);
    }
  });
});
