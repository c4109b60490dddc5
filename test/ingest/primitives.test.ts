import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/http/apiError.js';
import { decodeBody, RawBody } from '../../src/ingest/body.js';
import { LruCache } from '../../src/ingest/lruCache.js';
import { TokenBuckets } from '../../src/ingest/rateLimit.js';

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

describe('TokenBuckets', () => {
  it('allows a burst of twice the rate, then refills at the rate', () => {
    const buckets = new TokenBuckets({ perSecond: 2 });
    const results = Array.from({ length: 5 }, () => buckets.take('a', 0));
    assert.deepEqual(results, [0, 0, 0, 0, 1]);
    assert.equal(buckets.take('b', 0), 0, 'keys are independent');
    assert.equal(buckets.take('a', 499), 1);
    assert.equal(buckets.take('a', 500), 0, 'one token back after half a second');
    assert.equal(buckets.take('a', 500), 1);
  });

  it('reports whole seconds to wait, at least one', () => {
    const slow = new TokenBuckets({ perSecond: 0.1, burst: 1 });
    assert.equal(slow.take('a', 0), 0);
    assert.equal(slow.take('a', 0), 10);
    assert.equal(slow.take('a', 5000), 5);
  });

  it('is off at rate 0, and survives a clock that steps back', () => {
    const off = new TokenBuckets({ perSecond: 0 });
    for (let i = 0; i < 1000; i += 1) assert.equal(off.take('a', 0), 0);
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1 });
    assert.equal(buckets.take('a', 10_000), 0);
    assert.equal(buckets.take('a', 0), 1);
  });

  it('forgets the least recently seen keys beyond its capacity', () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1 }, 2);
    buckets.take('a', 0);
    buckets.take('b', 0);
    buckets.take('c', 0);
    assert.equal(buckets.take('b', 0), 1, 'b is remembered');
    assert.equal(buckets.take('a', 0), 0, 'a was forgotten: a fresh bucket');
  });
});

describe('LruCache', () => {
  it('keeps at most its capacity, dropping the least recently used', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.get('a'), 1);
    cache.set('c', 3);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
  });
});

describe('decodeBody', () => {
  const options = { gzip: false, base64: false, form: false, maxBytes: 1024 };

  it('parses JSON, and gzip when asked', async () => {
    assert.deepEqual(await decodeBody(new RawBody(Buffer.from('{"a":1}')), options), { a: 1 });
    assert.deepEqual(await decodeBody(new RawBody(gzipSync('[1,2]')), { ...options, gzip: true }), [1, 2]);
    assert.deepEqual(await decodeBody(new RawBody(Buffer.from('\uFEFF{"b":2}')), options), { b: 2 }, 'a byte order mark is skipped');
  });

  it('refuses empty bodies, bad gzip, bad UTF-8 and bad JSON with 400 invalid_json', async () => {
    for (const [body, gzip] of [
      [undefined, false],
      [Buffer.alloc(0), false],
      [Buffer.from('{"a":1}'), true],
      [Buffer.from([0x7b, 0xff, 0x7d]), false],
      [Buffer.from('{"a":'), false],
    ] as const) {
      const error = await refusal(decodeBody(body === undefined ? undefined : new RawBody(body), { ...options, gzip }));
      assert.equal(error.status, 400);
      assert.equal(error.code, 'invalid_json');
    }
  });

  it('refuses a body that inflates beyond the limit with 413, without inflating it all', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    assert.ok(bomb.length < 100 * 1024);
    const error = await refusal(decodeBody(new RawBody(bomb), { ...options, gzip: true, maxBytes: 1024 * 1024 }));
    assert.equal(error.status, 413);
    assert.equal(error.code, 'payload_too_large');
  });

  it('inflates gzip that nothing declares, by its magic bytes (posthog-js), and still bounds it', async () => {
    assert.deepEqual(await decodeBody(new RawBody(gzipSync('{"batch":[]}')), options), { batch: [] });
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    const error = await refusal(decodeBody(new RawBody(bomb), { ...options, maxBytes: 1024 * 1024 }));
    assert.equal(error.status, 413);
    assert.equal(error.code, 'payload_too_large');
  });

  it('reads a form’s data field, base64 or not, and a base64 body', async () => {
    const json = '{"event":"$pageleave","properties":{"$current_url":"https://acme.test/ü?a=1&b=2"}}';
    const base64 = Buffer.from(json).toString('base64');
    const parsed = JSON.parse(json) as unknown;
    const form = (data: string): RawBody => new RawBody(Buffer.from(`data=${data}`));
    assert.deepEqual(await decodeBody(form(encodeURIComponent(base64)), { ...options, form: true, base64: true }), parsed);
    // An unescaped `+` reaches a form decoder as a space.
    const plus = Buffer.from('{"x":">>>?"}').toString('base64');
    assert.ok(plus.includes('+'));
    assert.deepEqual(await decodeBody(form(plus), { ...options, form: true, base64: true }), { x: '>>>?' });
    assert.deepEqual(await decodeBody(form(`${encodeURIComponent(json)}&other=1`), { ...options, form: true }), parsed);
    assert.deepEqual(await decodeBody(new RawBody(Buffer.from(base64)), { ...options, base64: true }), parsed);
    assert.deepEqual(await decodeBody(new RawBody(Buffer.from(Buffer.from(json).toString('base64url'))), { ...options, base64: true }), parsed);
  });

  it('refuses a form without data, bad base64 and what it wraps if not JSON, with 400 invalid_json', async () => {
    const cases: [Buffer, { base64: boolean; form: boolean }, RegExp][] = [
      [Buffer.from('other=1'), { base64: true, form: true }, /no data field/],
      [Buffer.from('data='), { base64: true, form: true }, /no data field/],
      [Buffer.from('data=not*base64!'), { base64: true, form: true }, /not valid base64/],
      [Buffer.from('data=abcde'), { base64: true, form: true }, /not valid base64/],
      [Buffer.from(`data=${Buffer.from('not json').toString('base64')}`), { base64: true, form: true }, /not valid JSON/],
      [Buffer.from(`data=${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64')}`), { base64: true, form: true }, /not valid UTF-8/],
      [Buffer.from([0x64, 0x61, 0x74, 0x61, 0x3d, 0xff]), { base64: true, form: true }, /form body is not valid UTF-8/],
      [Buffer.from('%%%'), { base64: true, form: false }, /not valid base64/],
    ];
    for (const [bytes, encoding, message] of cases) {
      const error = await refusal(decodeBody(new RawBody(bytes), { ...options, ...encoding }));
      assert.equal(error.status, 400, bytes.toString());
      assert.equal(error.code, 'invalid_json');
      assert.match(error.message, message);
    }
  });

  it('hides the bytes from enumeration, so generic walkers of request.body skip them', () => {
    assert.deepEqual(Object.entries(new RawBody(Buffer.from('{}'))), []);
  });
});
