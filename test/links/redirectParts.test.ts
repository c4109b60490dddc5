import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseFormBody } from '../../src/links/formBody.js';
import { linksHostRewrite, onLinksHost, parseLinksHost } from '../../src/links/linksHost.js';
import { deriveFormTokenSecret, issueFormToken, verifyFormToken } from '../../src/links/passwordFormToken.js';
import { PAGE_CSP, passwordFormPage } from '../../src/links/redirectPages.js';
import { escapeHtml } from '../../src/shared/html.js';
import { redirectLocation } from '../../src/links/redirectLocation.js';
import { PasswordTries } from '../../src/links/passwordTries.js';
import { createHash } from 'node:crypto';

const fakeRequest = (host: string | undefined, url: string): IncomingMessage => ({ headers: host === undefined ? {} : { host }, url }) as IncomingMessage;

describe('redirectLocation', () => {
  it('appends the short URL’s parameters and mlc; the destination’s own win a clash and are kept byte for byte', () => {
    assert.equal(
      redirectLocation('https://shop.example/sale?utm_source=news%20letter&x=a/b#top', 'utm_source=evil&utm_medium=social&q=1&q=2', 'lnk.abc'),
      'https://shop.example/sale?utm_source=news%20letter&x=a/b&utm_medium=social&q=1&q=2&mlc=lnk.abc#top',
    );
    assert.equal(redirectLocation('https://shop.example', '', 'c1'), 'https://shop.example/?mlc=c1');
  });

  it('drops an mlc of the short URL and replaces one in the destination', () => {
    assert.equal(redirectLocation('https://shop.example/?mlc=old&a=1', 'mlc=forged&b=2', 'c1'), 'https://shop.example/?a=1&b=2&mlc=c1');
  });

  it('never puts CR, LF or a new host into the Location, whatever the query holds', () => {
    const location = redirectLocation('https://shop.example/p', 'a=%0d%0aSet-Cookie:%20x=1&next=//evil.com&%0d%0a=1', 'c1');
    assert.ok(!/[\r\n]/.test(location));
    assert.equal(new URL(location).host, 'shop.example');
    assert.ok(location.startsWith('https://shop.example/p?a=%0D%0ASet-Cookie%3A+x%3D1&next=%2F%2Fevil.com'), location);
  });
});

describe('links host', () => {
  it('takes a bare host (https) or an origin, and refuses paths, credentials and other schemes', () => {
    assert.deepEqual(parseLinksHost('Go.Example.com'), { origin: 'https://go.example.com', hostname: 'go.example.com' });
    assert.deepEqual(parseLinksHost('http://go.localhost:8080'), { origin: 'http://go.localhost:8080', hostname: 'go.localhost' });
    for (const bad of ['https://go.example.com/x', 'ftp://go.example.com', 'https://u:p@go.example.com', 'go.example.com/x', 'https://go.example.com?x', '']) {
      assert.equal(parseLinksHost(bad), null, bad);
    }
    assert.equal(loadConfig([], { MYTHIC_LINKS_HOST: 'go.example.com' }).linksHost?.origin, 'https://go.example.com');
    assert.equal(loadConfig(['--links-host', 'http://go.localhost:8080'], {}).linksHost?.origin, 'http://go.localhost:8080');
    assert.equal(loadConfig([], {}).linksHost, undefined);
    assert.throws(() => loadConfig([], { MYTHIC_LINKS_HOST: 'https://go.example.com/path' }), (e: unknown) => e instanceof ConfigError && e.message.startsWith('MYTHIC_LINKS_HOST'));
  });

  it('routes only slugs, the root and /healthz of the links host; other hosts are left alone', () => {
    const rewrite = linksHostRewrite(parseLinksHost('go.example.com') ?? undefined);
    const links = true;
    const cases: [string | undefined, string, string, boolean][] = [
      ['go.example.com', '/Summer-Sale?utm_source=x', '/l/Summer-Sale?utm_source=x', links],
      ['GO.example.com:443', '/abc', '/l/abc', links],
      // A fully qualified name's trailing dot names the same host: never the dashboard or the API under it.
      ['go.example.com.', '/api/v1/clients', '/l/-', links],
      ['Go.Example.COM.:8080', '/abc', '/l/abc', links],
      ['go.example.com.', '/', '/l', links],
      ['go.example.com', '/', '/l', links],
      ['go.example.com', '/?x=1', '/l?x=1', links],
      ['go.example.com', '/healthz', '/healthz', links],
      ['go.example.com', '/api/v1/clients', '/l/-', links],
      ['go.example.com', '/assets/app.js', '/l/-', links],
      ['go.example.com', '//evil.com', '/l/-', links],
      ['go.example.com', '/%2F%2Fevil.com', '/l/-', links],
      ['go.example.com', '/l/abc', '/l/-', links],
      ['analytics.example.com', '/api/v1/clients', '/api/v1/clients', false],
      ['go.example.com.evil.com', '/abc', '/abc', false],
      ['evil.com', '/abc', '/abc', false],
      [undefined, '/abc', '/abc', false],
    ];
    for (const [host, url, expected, onLinks] of cases) {
      const request = fakeRequest(host, url);
      assert.equal(rewrite(request), expected, `${host} ${url}`);
      assert.equal(onLinksHost(request), onLinks, `${host} ${url}`);
    }
  });
});

describe('password form token', () => {
  const secret = deriveFormTokenSecret('ab'.repeat(32));
  const now = Date.parse('2026-03-01T12:00:00Z');

  it('is valid for its link for ten minutes, and for nothing else', () => {
    const token = issueFormToken(secret, 'lnk_a', now);
    assert.ok(verifyFormToken(secret, 'lnk_a', token, now));
    assert.ok(verifyFormToken(secret, 'lnk_a', token, now + 10 * 60_000));
    assert.ok(!verifyFormToken(secret, 'lnk_a', token, now + 10 * 60_000 + 1000), 'expired');
    assert.ok(!verifyFormToken(secret, 'lnk_b', token, now), 'another link');
    assert.ok(!verifyFormToken(deriveFormTokenSecret('cd'.repeat(32)), 'lnk_a', token, now), 'another secret');
    assert.ok(!verifyFormToken(secret, 'lnk_a', issueFormToken(secret, 'lnk_a', now + 3_600_000), now), 'issued in the future');
    const [issued, mac] = token.split('.') as [string, string];
    assert.ok(!verifyFormToken(secret, 'lnk_a', `${Number(issued) + 1}.${mac}`, now), 'another issue time');
    for (const bad of [undefined, '', 'x', `${issued}.`, `${issued}.${mac}x`, `-1.${mac}`]) assert.ok(!verifyFormToken(secret, 'lnk_a', bad, now), String(bad));
  });
});

describe('pages and form bodies', () => {
  it('allow their one inline style by hash and nothing else', () => {
    const html = passwordFormPage({ token: '1.x"><script>', wrongPassword: true });
    const style = /<style>([^<]*)<\/style>/.exec(html)?.[1] ?? '';
    assert.ok(PAGE_CSP.includes(`'sha256-${createHash('sha256').update(style).digest('base64')}'`));
    assert.match(PAGE_CSP, /default-src 'none'/);
    assert.ok(!html.includes('<script>'), 'the token is escaped');
    assert.ok(html.includes('Wrong password'));
    assert.equal(escapeHtml(`<a href="x">'&`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;');
  });

  it('parse urlencoded fields, the first of a repeated one winning', () => {
    assert.deepEqual({ ...parseFormBody(Buffer.from('password=p%C3%A4ss+word&token=1.a&password=second')) }, { password: 'päss word', token: '1.a' });
    assert.deepEqual({ ...parseFormBody(Buffer.from('')) }, {});
    const odd = parseFormBody(Buffer.from('__proto__=x&constructor=y'));
    assert.equal(Object.getOwnPropertyDescriptor(odd, '__proto__')?.value, 'x');
    assert.equal(odd.constructor, 'y');
  });
});

describe('password tries', () => {
  it('runs at most atOnce checks together; a busy answer charges nothing, and a slot frees when a check ends', async () => {
    const tries = new PasswordTries({ perAddress: { perSecond: 1, burst: 1 }, perLink: { perSecond: 10, burst: 10 }, atOnce: 2 });
    const pending: ((right: boolean) => void)[] = [];
    const verify = (): Promise<boolean> => new Promise((resolve) => pending.push(resolve));
    const first = tries.check('192.0.2.1', 'lnk_a', 0, verify);
    const second = tries.check('192.0.2.2', 'lnk_a', 0, verify);
    assert.deepEqual(await tries.check('192.0.2.3', 'lnk_a', 0, verify), { refused: 'busy', retryAfterSeconds: 1 });
    assert.equal(pending.length, 2, 'the third was not run');
    pending[0]?.(true);
    assert.equal(await first, true);
    const third = tries.check('192.0.2.3', 'lnk_a', 0, verify);
    assert.equal(pending.length, 3, 'the refused address was not charged: its one try runs now');
    pending[1]?.(false);
    pending[2]?.(false);
    assert.deepEqual([await second, await third], [false, false]);
    assert.deepEqual(await tries.check('192.0.2.1', 'lnk_a', 0, verify), { refused: 'address', retryAfterSeconds: 1 });
  });
});
