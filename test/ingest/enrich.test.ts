import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrich, identityLinks, pageFacts } from '../../src/ingest/enrich.js';
import type { AcceptedEvent } from '../../src/ingest/events.js';
import { shippedGeoLookup } from '../../src/ingest/geo/openGeoLookup.js';
import { forwardedFor, hashIp, limitedAddress, storedIp, truncateIp } from '../../src/ingest/ip.js';
import { isDomainOrSubdomain, requestingHost } from '../../src/ingest/origin.js';
import { userAgentFacts } from '../../src/ingest/userAgent.js';

export const USER_AGENTS = {
  chrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  ipad: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
};

describe('userAgentFacts', () => {
  it('reads browser, version, OS and device type', () => {
    assert.deepEqual(userAgentFacts(USER_AGENTS.chrome), {
      browser: 'Chrome',
      browser_version: '124.0.0.0',
      os: 'Windows',
      device_type: 'desktop',
      is_bot: false,
    });
    assert.deepEqual(userAgentFacts(USER_AGENTS.iphone), { browser: 'Safari', browser_version: '17.4', os: 'iOS', device_type: 'mobile', is_bot: false });
    assert.equal(userAgentFacts(USER_AGENTS.ipad).device_type, 'tablet');
  });

  it('flags bots, with device type bot', () => {
    assert.deepEqual(userAgentFacts(USER_AGENTS.googlebot), {
      browser: 'Googlebot',
      browser_version: '2.1',
      os: null,
      device_type: 'bot',
      is_bot: true,
    });
    assert.equal(userAgentFacts('curl/8.5.0').is_bot, true);
    assert.equal(userAgentFacts('python-requests/2.31').device_type, 'bot');
  });

  it('says nothing without a user agent, and answers the same for a repeated one', () => {
    assert.deepEqual(userAgentFacts(null), { browser: null, browser_version: null, os: null, device_type: null, is_bot: false });
    assert.equal(userAgentFacts('  ').device_type, null);
    assert.equal(userAgentFacts(USER_AGENTS.chrome), userAgentFacts(USER_AGENTS.chrome), 'cached');
    assert.equal(userAgentFacts('Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko)').device_type, 'other');
    assert.equal(userAgentFacts('Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36').device_type, 'tv');
  });
});

describe('pageFacts', () => {
  it('reads url, host, path, referrer and UTM fields from the SDK properties', () => {
    assert.deepEqual(
      pageFacts({
        $current_url: 'https://Shop.Example.com/p/1?utm_source=news&utm_medium=email&utm_campaign=spring&x=1',
        $referrer: 'https://www.google.com/search?q=x',
      }),
      {
        url: 'https://Shop.Example.com/p/1?utm_source=news&utm_medium=email&utm_campaign=spring&x=1',
        host: 'shop.example.com',
        path: '/p/1',
        referrer: 'https://www.google.com/search?q=x',
        referrer_host: 'google.com',
        utm_source: 'news',
        utm_medium: 'email',
        utm_campaign: 'spring',
        utm_term: null,
        utm_content: null,
      },
    );
  });

  it('prefers explicit $host, $pathname and utm_* properties to the URL', () => {
    const facts = pageFacts({ $current_url: 'https://a.test/x?utm_source=url', $host: 'b.test', $pathname: '/y', utm_source: 'prop', utm_term: 'shoes' });
    assert.equal(facts.host, 'b.test');
    assert.equal(facts.path, '/y');
    assert.equal(facts.utm_source, 'prop');
    assert.equal(facts.utm_term, 'shoes');
  });

  it('counts a referrer on the page’s own site (www. or not) as navigation, not a source', () => {
    const internal = pageFacts({ $current_url: 'https://www.shop.test/cart', $referrer: 'https://shop.test/products/1' });
    assert.equal(internal.referrer, 'https://shop.test/products/1', 'the referrer itself is kept');
    assert.equal(internal.referrer_host, null);
    assert.equal(pageFacts({ $current_url: 'https://shop.test/', $referrer: 'https://blog.shop.test/post' }).referrer_host, 'blog.shop.test');
    // $host is location.host: with a port on a non-default one, which no referrer host carries.
    assert.equal(pageFacts({ $current_url: 'http://shop.test:8080/b', $host: 'shop.test:8080', $referrer: 'http://shop.test:8080/a' }).referrer_host, null);
    assert.equal(pageFacts({ $host: 'Shop.test:8080', $referrer: 'http://shop.test:8080/a' }).referrer_host, null);
    assert.equal(pageFacts({ $current_url: 'https://shop.test/', $referrer: 'https://www.google.com/' }).referrer_host, 'google.com');
  });

  it('treats $direct and empty referrers as none, and survives values that are not URLs', () => {
    assert.equal(pageFacts({ $referrer: '$direct' }).referrer, null);
    assert.equal(pageFacts({ $referrer: '$direct' }).referrer_host, null);
    assert.equal(pageFacts({ $referrer: '' }).referrer_host, null);
    assert.equal(pageFacts({ $referring_domain: 'www.bing.com' }).referrer_host, 'bing.com');
    const odd = pageFacts({ $current_url: 'not a url', $referrer: 42 });
    assert.equal(odd.url, 'not a url');
    assert.equal(odd.host, null);
    assert.equal(odd.referrer, null);
    assert.deepEqual(pageFacts({}), pageFacts({ $current_url: null }));
  });
});

describe('visitor addresses', () => {
  it('truncates IPv4 to /24 and IPv6 to /48', () => {
    assert.equal(truncateIp('203.0.113.57'), '203.0.113.0');
    assert.equal(truncateIp('::ffff:203.0.113.57'), '203.0.113.0');
    assert.equal(truncateIp('2001:db8:85a3:8d3:1319:8a2e:370:7348'), '2001:db8:85a3::');
    assert.equal(truncateIp('2001:DB8::1'), '2001:db8::');
    // 6to4 carries the IPv4 address in bits 16–47: cut to its /24, not /48 (which would keep it whole).
    assert.equal(truncateIp('2002:c0a8:101::1'), '2002:c0a8:100::');
    assert.equal(truncateIp('2002:7e00:1:5::9'), '2002:7e00::');
    assert.equal(truncateIp('::1'), '::');
    assert.equal(truncateIp('fe80::1%eth0'), 'fe80::');
    assert.equal(truncateIp('64:ff9b::192.0.2.33'), '64:ff9b::');
    assert.equal(truncateIp('nonsense'), null);
  });

  it('counts per-address limits by IPv4 address and by IPv6 /64', () => {
    assert.equal(limitedAddress('203.0.113.57'), '203.0.113.57');
    assert.equal(limitedAddress('::ffff:203.0.113.57'), '203.0.113.57');
    assert.equal(limitedAddress('2001:DB8:85a3:8d3:1319:8a2e:370:7348'), '2001:db8:85a3:8d3::/64');
    assert.equal(limitedAddress('2001:db8:85a3:8d3::1'), limitedAddress('2001:db8:85a3:8d3:ffff::2'));
    assert.notEqual(limitedAddress('2001:db8:85a3:8d3::1'), limitedAddress('2001:db8:85a3:8d4::1'));
    assert.equal(limitedAddress('fe80::1%eth0'), 'fe80::/64');
  });

  it('hashes per client with the server secret, 32 hex characters', () => {
    const secret = Buffer.from('s3cret');
    const a = hashIp('203.0.113.57', 'client-a', secret);
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.equal(a, hashIp('203.0.113.57', 'client-a', secret));
    assert.notEqual(a, hashIp('203.0.113.57', 'client-b', secret));
    assert.notEqual(a, hashIp('203.0.113.57', 'client-a', Buffer.from('other')));
    assert.notEqual(a, hashIp('203.0.113.58', 'client-a', secret));
  });

  it('stores the address as the client chose', () => {
    const secret = Buffer.from('s');
    assert.equal(storedIp('203.0.113.57', 'truncated', 'c', secret), '203.0.113.0');
    assert.equal(storedIp('203.0.113.57', 'hashed', 'c', secret), hashIp('203.0.113.57', 'c', secret));
    assert.equal(storedIp('203.0.113.57', 'none', 'c', secret), null);
    assert.equal(storedIp(null, 'truncated', 'c', secret), null);
  });

  it('treats every spelling of IPv4-mapped IPv6 as the IPv4 address (stored as a /24, limited and hashed alike)', () => {
    const secret = Buffer.from('s');
    for (const ip of ['::ffff:808:808', '0:0:0:0:0:ffff:8.8.8.8', '0:0:0:0:0:FFFF:0808:0808', '::ffff:8.8.8.8']) {
      assert.equal(storedIp(ip, 'truncated', 'c', secret), '8.8.8.0', ip);
      assert.equal(storedIp(ip, 'hashed', 'c', secret), hashIp('8.8.8.8', 'c', secret), ip);
      assert.equal(limitedAddress(ip), '8.8.8.8', ip);
    }
    assert.equal(forwardedFor('[::ffff:808:808]:443'), '8.8.8.8');
    // Near misses stay IPv6: another prefix before ffff, or ffff in another group.
    assert.equal(storedIp('1::ffff:808:808', 'truncated', 'c', secret), '1::');
    assert.equal(storedIp('::ffff:0:808:808', 'truncated', 'c', secret), '::');
  });

  it('reads the first X-Forwarded-For entry, with or without a port', () => {
    assert.equal(forwardedFor('198.51.100.7, 10.0.0.1'), '198.51.100.7');
    assert.equal(forwardedFor('198.51.100.7:5555'), '198.51.100.7');
    assert.equal(forwardedFor('[2001:db8::5]:443, 10.0.0.1'), '2001:db8::5');
    assert.equal(forwardedFor(' 2001:db8::5 '), '2001:db8::5');
    assert.equal(forwardedFor('unknown, 10.0.0.1'), null);
    assert.equal(forwardedFor(undefined), undefined);
  });
});

describe('origins', () => {
  it('takes the host of Origin, else of Referer', () => {
    assert.equal(requestingHost({ origin: 'https://Shop.Example.com:8443' }), 'shop.example.com');
    assert.equal(requestingHost({ referer: 'https://blog.example.com/post?x=1' }), 'blog.example.com');
    assert.equal(requestingHost({ origin: 'https://a.test', referer: 'https://b.test/' }), 'a.test');
    assert.equal(requestingHost({ origin: 'https://bücher.example' }), 'xn--bcher-kva.example');
    assert.equal(requestingHost({ origin: 'null' }), null);
    assert.equal(requestingHost({}), undefined);
  });

  it('matches the domain and its subdomains only', () => {
    assert.ok(isDomainOrSubdomain('example.com', 'example.com'));
    assert.ok(isDomainOrSubdomain('a.b.example.com', 'example.com'));
    assert.ok(!isDomainOrSubdomain('badexample.com', 'example.com'));
    assert.ok(!isDomainOrSubdomain('example.com.evil.test', 'example.com'));
    assert.ok(!isDomainOrSubdomain('com', 'example.com'));
  });
});

describe('enrich and identityLinks', () => {
  const base: AcceptedEvent = {
    uuid: '0190f3a4-5b6c-7d8e-9f00-112233445566',
    event: '$pageview',
    distinct_id: 'u1',
    timestamp: 1000,
    session_id: 's',
    device_id: 'd',
    anon_distinct_id: null,
    properties: { $current_url: 'https://x.test/a' },
    ip: null,
    user_agent: null,
    alias: null,
  };
  const request = { clientId: 'c', receivedAt: 2000, ip: '203.0.113.9', userAgent: USER_AGENTS.iphone, ipStorage: 'truncated' as const, ipHashSecret: Buffer.from('k'), geo: shippedGeoLookup() };

  it('builds the stored row, with the request’s visitor unless the event names one', () => {
    const row = enrich(base, request);
    assert.equal(row.client_id, 'c');
    assert.equal(row.received_at, 2000);
    assert.equal(row.properties, '{"$current_url":"https://x.test/a"}');
    assert.equal(row.host, 'x.test');
    assert.equal(row.ip, '203.0.113.0');
    assert.equal(row.device_type, 'mobile');
    assert.equal(row.user_agent, USER_AGENTS.iphone);
    assert.equal(row.country, null);
    const own = enrich({ ...base, ip: '198.51.100.1', user_agent: USER_AGENTS.googlebot }, request);
    assert.equal(own.ip, '198.51.100.0');
    assert.equal(own.is_bot, true);
  });

  it('links an $identify’s anonymous id, and a $create_alias’s alias, to the person', () => {
    const links = identityLinks(
      [
        { ...base, event: '$identify', distinct_id: 'person', anon_distinct_id: 'anon' },
        { ...base, event: '$identify', distinct_id: 'same', anon_distinct_id: 'same' },
        { ...base, event: '$create_alias', distinct_id: 'person', alias: 'crm-7' },
        { ...base, event: 'other', anon_distinct_id: 'ignored' },
      ],
      'c',
    );
    assert.deepEqual(links, [
      { client_id: 'c', distinct_id: 'anon', person_id: 'person', created_at: 1000 },
      { client_id: 'c', distinct_id: 'crm-7', person_id: 'person', created_at: 1000 },
    ]);
  });
});
