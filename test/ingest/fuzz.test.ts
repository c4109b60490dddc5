import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { startApi, type TestApi } from '../helpers/api.js';
import { describeEachStoreAndEngine } from '../helpers/engines.js';

/*
 * Property: whatever arrives at the ingestion endpoints, the answer is a 200 or a documented 4xx in
 * the error envelope (never a 500), a 4xx stores nothing, and a 200 stores exactly what it counts.
 * Set MYTHIC_FUZZ_SEED to replay a run; the seed is reported as a diagnostic.
 */

const SEED = process.env.MYTHIC_FUZZ_SEED ? Number(process.env.MYTHIC_FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
const STATUS_OF_CODE: Record<string, number> = {
  invalid_json: 400,
  validation_error: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
};

/** Values of every JSON type, with text no store can hold and prototype-ish keys mixed in. */
const awkwardText = fc.oneof(fc.string(), fc.constantFrom('\u0000', 'a\uD800', '__proto__', 'constructor', '$direct', '', 'x'.repeat(300)));
const awkwardValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), awkwardText, fc.constant(null), fc.double());
const awkwardObject = fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', '$ip', '$session_id', 'alias', '$current_url', 'distinct_id', 'token')), awkwardValue, { maxKeys: 6 });

/** An event whose every field may be missing, of the wrong type, or fine. */
const event = fc.record(
  {
    event: fc.oneof(fc.constantFrom('$pageview', '$identify', '$create_alias'), awkwardValue),
    distinct_id: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.integer(), awkwardValue),
    timestamp: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.integer(), awkwardValue),
    uuid: fc.oneof(fc.uuid(), fc.string({ unit: 'binary', minLength: 1, maxLength: 210 }), fc.constantFrom('shopify-order-5012345678', 'a\u0007', 'x'.repeat(201), 'l\u2028s', ' '), awkwardValue),
    properties: fc.oneof(awkwardObject, awkwardValue),
    $session_id: awkwardValue,
    $device_id: awkwardValue,
    $anon_distinct_id: awkwardValue,
    $ip: awkwardValue,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(event, fc.record({ batch: fc.array(event, { maxLength: 5 }) }), fc.array(event, { maxLength: 5 }), awkwardValue);

describeEachStoreAndEngine('ingestion fuzz', (kind, engine) => {
  let api: TestApi;
  let pk: string;
  let sk: string;
  before(async () => {
    api = await startApi(kind, { ingest: { rateLimits: { perIp: { perSecond: 0 }, perKey: { perSecond: 0 } } } }, engine);
    const created = await api.request('POST', '/api/v1/clients', { body: { id: 'fuzzed', name: 'Fuzzed', domain: 'fuzz.test' } });
    pk = created.body.data.publishable_key as string;
    sk = created.body.data.secret_key as string;
  });
  after(async () => {
    await api.close();
  });

  const count = async () => {
    await api.settled();
    return (await api.events.recentEvents('fuzzed', { limit: 100_000 })).length;
  };

  async function sendAndCheck(url: string, payload: Buffer | string, headers: Record<string, string>): Promise<void> {
    const before = await count();
    const response = await api.app.inject({ method: 'POST', url, headers, payload });
    const answer = response.json() as { success: boolean; code?: string; data: { received: number } | null };
    api.contract.check('POST', url, response.statusCode, answer);
    if (response.statusCode === 200) {
      const data = answer.data as { received: number };
      // Repeated uuids are acknowledged without being stored again, so at most what it counts.
      assert.ok((await count()) - before <= data.received, 'a 200 stores no more than it counts');
      return;
    }
    assert.equal(STATUS_OF_CODE[answer.code ?? ''], response.statusCode, `${response.statusCode} ${answer.code}`);
    assert.equal(await count(), before, 'a refusal stores nothing');
  }

  it('answers any JSON body with 200 or a 4xx, storing all of it or nothing', async (t: TestContext) => {
    t.diagnostic(`seed ${SEED}`);
    await fc.assert(
      // Wrapped as PostHog's SDKs wrap bodies too: gzip with nothing saying so, a base64 form.
      fc.asyncProperty(body, fc.boolean(), fc.constantFrom('none', 'gzip', 'undeclared-gzip', 'base64-form'), async (value, secret, wrap) => {
        const text = JSON.stringify(value) ?? 'null';
        const headers: Record<string, string> = { 'content-type': 'application/json', origin: 'https://fuzz.test' };
        if (secret) headers.authorization = `Bearer ${sk}`;
        if (wrap === 'gzip') headers['content-encoding'] = 'gzip';
        let payload: string | Buffer = wrap === 'gzip' || wrap === 'undeclared-gzip' ? gzipSync(text) : text;
        let url = secret ? '/batch' : `/e?key=${pk}`;
        if (wrap === 'base64-form') {
          headers['content-type'] = 'application/x-www-form-urlencoded';
          payload = `data=${encodeURIComponent(Buffer.from(text).toString('base64'))}`;
          url += `${secret ? '?' : '&'}compression=base64`;
        }
        await sendAndCheck(url, payload, headers);
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it('answers arbitrary bytes with any content type and encoding with a 4xx or 200, never a 500', async (t: TestContext) => {
    t.diagnostic(`seed ${SEED}`);
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'text/plain; charset=utf-8',
          'application/octet-stream',
          'multipart/form-data',
          'application/x-www-form-urlencoded',
        ),
        fc.constantFrom(undefined, 'gzip', 'deflate', 'identity'),
        fc.constantFrom('', '&compression=base64', '&compression=gzip-js'),
        fc.boolean(),
        async (bytes, contentType, encoding, compression, asFormData) => {
          const headers: Record<string, string> = { 'content-type': contentType };
          if (encoding !== undefined) headers['content-encoding'] = encoding;
          // Also as a form's data field, where the base64 decoder meets them.
          const payload = asFormData ? `data=${encodeURIComponent(Buffer.from(bytes).toString('latin1'))}` : Buffer.from(bytes);
          await sendAndCheck(`/e?key=${pk}${compression}`, payload, headers);
        },
      ),
      { numRuns: 200, seed: SEED },
    );
  });
});
