import type { IncomingMessage } from 'node:http';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashLinkPassword, verifyLinkPassword } from '../../src/links/password.js';
import { shortUrlBase, shortUrlOf } from '../../src/links/shortUrl.js';
import { LINKS_HOST_PASSTHROUGH, linksHostRewrite, parseLinksHost } from '../../src/links/linksHost.js';
import { generateLinkId, generateSlug, isReservedSlug, SLUG_ALPHABET, SLUG_PATTERN } from '../../src/links/slugs.js';

describe('slugs and link ids', () => {
  it('generates 7 characters of the unambiguous alphabet, spread over all of it', () => {
    const seen = new Set<string>();
    const slugs = Array.from({ length: 2_000 }, generateSlug);
    for (const slug of slugs) {
      assert.match(slug, /^[23456789abcdefghjkmnpqrstuvwxyz]{7}$/);
      for (const c of slug) seen.add(c);
    }
    assert.equal(seen.size, SLUG_ALPHABET.length);
    assert.ok(!/[01oli]/.test(SLUG_ALPHABET), 'no look-alikes');
    assert.equal(new Set(slugs).size, slugs.length, 'no repeats in 2000 draws');
    assert.ok(slugs.every((s) => new RegExp(SLUG_PATTERN).test(s) && !isReservedSlug(s)));
  });

  it('link ids are lnk_ and 12 base62 characters', () => {
    const ids = Array.from({ length: 500 }, generateLinkId);
    assert.ok(ids.every((id) => /^lnk_[0-9A-Za-z]{12}$/.test(id)));
    assert.equal(new Set(ids).size, ids.length);
  });

  it('reserves the server’s own paths whatever their case', () => {
    for (const word of ['api', 'l', 's', 'sdk', 'mcp', 'admin', 'assets', 'app', 'dashboard', 'health', 'login', 'logout', 'static', 'favicon.ico', 'robots.txt', 'well-known', 'API', 'Dashboard']) {
      assert.ok(isReservedSlug(word), word);
    }
    assert.ok(!isReservedSlug('summer-sale'));
  });

  it('reserves every path the links host passes on instead of redirecting (its /healthz)', () => {
    const rewrite = linksHostRewrite(parseLinksHost('go.example.com') ?? undefined);
    assert.ok(LINKS_HOST_PASSTHROUGH.includes('/healthz'));
    for (const path of LINKS_HOST_PASSTHROUGH) {
      assert.equal(rewrite({ headers: { host: 'go.example.com' }, url: path } as IncomingMessage), path, 'passed on as it is');
      const slug = path.slice(1);
      assert.ok(isReservedSlug(slug) && isReservedSlug(slug.toUpperCase()), slug);
    }
  });
});

describe('link passwords', () => {
  it('hash with a random salt and the parameters in the string; verify; never throw on a foreign format', async () => {
    const [a, b] = await Promise.all([hashLinkPassword('hunter2'), hashLinkPassword('hunter2')]);
    assert.notEqual(a, b, 'salted');
    assert.match(a, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.equal(await verifyLinkPassword('hunter2', a), true);
    assert.equal(await verifyLinkPassword('hunter3', a), false);
    assert.equal(await verifyLinkPassword('', a), false);
    for (const stored of ['', 'hunter2', 'scrypt$', 'bcrypt$2$8$1$AAAA$AAAA', 'scrypt$3$8$1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'scrypt$1099511627776$8$1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'scrypt$16384$8$1$$', a.replace(/\$[^$]+$/, '$short')]) {
      assert.equal(await verifyLinkPassword('hunter2', stored), false, stored);
    }
  });
});

describe('short URLs', () => {
  it('at the links host’s root when one is set; without one, <public origin>/l', () => {
    assert.equal(shortUrlOf(shortUrlBase({ origin: 'https://go.example.com' }, () => assert.fail('not asked')), 'summer-sale'), 'https://go.example.com/summer-sale');
    assert.equal(shortUrlOf(shortUrlBase({ origin: 'http://go.localhost:8080' }, () => assert.fail('not asked')), 'x'), 'http://go.localhost:8080/x');
    assert.equal(shortUrlOf(shortUrlBase(undefined, () => 'https://mythic.example'), 'summer-sale'), 'https://mythic.example/l/summer-sale');
  });
});
