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
  const options = { gzip: false, maxBytes: 1024 };

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
    const error = await refusal(decodeBody(new RawBody(bomb), { gzip: true, maxBytes: 1024 * 1024 }));
    assert.equal(error.status, 413);
    assert.equal(error.code, 'payload_too_large');
  });

  it('hides the bytes from enumeration, so generic walkers of request.body skip them', () => {
    assert.deepEqual(Object.entries(new RawBody(Buffer.from('{}'))), []);
  });
});
