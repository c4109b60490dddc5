import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUsableGlobalName } from '../src/validation/globalName.js';
import { normalizeHostname } from '../src/validation/hostname.js';
import { isHttpUrl } from '../src/validation/httpUrl.js';
import { findUnstorableText } from '../src/validation/storableText.js';
import { normalizeTimezone } from '../src/validation/timezone.js';

describe('hostname normalisation', () => {
  it('stores one lowercase ASCII form, IDN as punycode', () => {
    assert.equal(normalizeHostname('Acme-Retail.COM'), 'acme-retail.com');
    assert.equal(normalizeHostname('bücher.example'), 'xn--bcher-kva.example');
    assert.equal(normalizeHostname('xn--bcher-kva.example'), 'xn--bcher-kva.example');
    assert.equal(normalizeHostname('shop.example.'), 'shop.example');
    assert.equal(normalizeHostname('localhost'), 'localhost');
  });
  it('refuses anything that is not a bare hostname', () => {
    for (const bad of ['', 'https://a.com', 'a.com:80', 'a.com/x', 'user@a.com', 'a..com', '-a.com', 'a-.com', '1.2.3.4', '[::1]', 'a com', `${'a'.repeat(64)}.com`, `${'a.'.repeat(127)}com`, 'a.com?x', 'a_b.com']) {
      assert.equal(normalizeHostname(bad), null, bad);
    }
  });
});

describe('timezone normalisation', () => {
  it('accepts IANA zones in any case and returns the runtime’s spelling', () => {
    assert.equal(normalizeTimezone('America/Los_Angeles'), 'America/Los_Angeles');
    assert.equal(normalizeTimezone('europe/berlin'), 'Europe/Berlin');
    assert.equal(normalizeTimezone('UTC'), 'UTC');
    assert.ok(normalizeTimezone('Etc/GMT+5'));
  });
  it('refuses offsets and unknown zones', () => {
    for (const bad of ['+01:00', 'GMT+1:00', 'Mars/Base', '', 'Europe/', '/Berlin', 'Europe Berlin']) assert.equal(normalizeTimezone(bad), null, bad);
  });
});

describe('global names', () => {
  it('accepts plain identifiers', () => {
    for (const ok of ['acmeRetail', 'mythic', '_private', '$shop', 'a1', 'x'.repeat(64), 'online', 'onBoarding']) assert.ok(isUsableGlobalName(ok), ok);
  });
  it('refuses reserved words, browser and tag globals, non-identifiers and non-ASCII', () => {
    for (const bad of ['class', 'await', 'undefined', 'window', 'document', 'location', 'navigator', 'localStorage', 'JSON', 'dataLayer', 'gtag', 'fbq', 'onload', 'onerror', 'onmessage', 'ononline', 'onpopstate', '1abc', 'a-b', 'a b', '', 'x'.repeat(65), 'café']) {
      assert.equal(isUsableGlobalName(bad), false, bad);
    }
  });
});

describe('website URLs', () => {
  it('accepts absolute http(s) URLs only', () => {
    assert.ok(isHttpUrl('https://acme-retail.com'));
    assert.ok(isHttpUrl('http://localhost:8080/path?q=1'));
    for (const bad of ['acme.com', 'ftp://acme.com', 'javascript:alert(1)', 'https://', '//acme.com', 'mailto:a@b.c']) assert.equal(isHttpUrl(bad), false, bad);
  });
});

describe('storable text', () => {
  it('finds NUL characters and unpaired surrogates anywhere, by path', () => {
    assert.equal(findUnstorableText({ a: 'fine', b: ['ok', { c: 'x\u0000' }] }), 'b.1.c');
    assert.equal(findUnstorableText({ ['k\ud800']: 1 }), 'k\ud800');
    assert.equal(findUnstorableText('\udc00'), '(body)');
    assert.equal(findUnstorableText({ emoji: '😀', text: 'ünïcödé' }), null);
  });
});
