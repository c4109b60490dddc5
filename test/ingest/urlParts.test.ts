import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { urlParts } from '../../src/ingest/urlParts.js';

describe('urlParts', () => {
  it('reads host, path and the non-empty UTM fields, the same on a repeat (cached) as the first time', () => {
    const url = 'https://Shop.Test/a/b?utm_source=news&utm_medium=&x=1&utm_campaign=spring%20sale';
    const expected = { hostname: 'shop.test', pathname: '/a/b', utm: { utm_source: 'news', utm_campaign: 'spring sale' } };
    assert.deepEqual(urlParts(url), expected);
    assert.deepEqual(urlParts(url), expected);
  });

  it('is null for anything but an absolute URL, and for nothing', () => {
    for (const value of ['/relative', 'shop.test/x', 'https://', 'http://exa mple.com/', null]) assert.equal(urlParts(value), null, String(value));
  });

  it('keeps the parts of a short URL: a repeat gets the very same parts back', () => {
    const url = 'https://shop.test/kept?utm_source=x';
    assert.equal(urlParts(url), urlParts(url));
  });

  it('parses, but does not keep, a long URL or one whose path grows long once percent-encoded', () => {
    const long = `https://shop.test/search?q=${'x'.repeat(5000)}&utm_term=shoes`;
    assert.deepEqual(urlParts(long), { hostname: 'shop.test', pathname: '/search', utm: { utm_term: 'shoes' } });
    assert.notEqual(urlParts(long), urlParts(long));
    // 300 characters, a path of 2,700 once encoded: kept, it would hold nine times what was sent.
    const encoded = `https://shop.test/${'語'.repeat(300)}`;
    assert.equal(urlParts(encoded)?.pathname.length, 1 + 300 * 9);
    assert.notEqual(urlParts(encoded), urlParts(encoded));
  });

  it('carries a short link’s click id (mlc) as sent, and nothing for an empty or absent one', () => {
    assert.equal(urlParts('https://shop.test/sale?utm_source=x&mlc=AbCdEfGh1234.x7Kp2QzR.Zk3_q9Lm')?.mlc, 'AbCdEfGh1234.x7Kp2QzR.Zk3_q9Lm');
    assert.equal(urlParts('https://shop.test/sale?mlc=a%2Fb')?.mlc, 'a/b');
    assert.equal(urlParts('https://shop.test/sale?mlc=')?.mlc, undefined);
    assert.equal(urlParts('https://shop.test/sale?xmlc=1')?.mlc, undefined);
    assert.deepEqual(urlParts('https://shop.test/sale'), { hostname: 'shop.test', pathname: '/sale', utm: {} });
  });
});
