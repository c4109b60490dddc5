import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { enrich, type RequestFacts } from '../../src/ingest/enrich.js';
import type { AcceptedEvent } from '../../src/ingest/events.js';
import { NO_LOCATION } from '../../src/ingest/geo/location.js';
import { storedIp } from '../../src/ingest/ip.js';
import { RecentCache } from '../../src/ingest/recentCache.js';
import { urlParts } from '../../src/ingest/urlParts.js';
import { userAgentFacts } from '../../src/ingest/userAgent.js';

describe('RecentCache', () => {
  it('answers the last value set or nothing, never more than its capacity (random operations against a plain Map)', () => {
    const operation = fc.record({ set: fc.boolean(), key: fc.nat({ max: 35 }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(operation, { maxLength: 200 }), (capacity, operations) => {
        const cache = new RecentCache<number, string>(capacity);
        const truth = new Map<number, string>();
        operations.forEach(({ set, key }, op) => {
          if (set) {
            cache.set(key, `v${op}`);
            truth.set(key, `v${op}`);
          } else {
            const got = cache.get(key);
            // Forgetting is allowed; a wrong or stale value is not.
            if (got !== undefined) assert.equal(got, truth.get(key), `capacity ${capacity}, key ${key}`);
          }
          assert.ok(cache.size <= capacity, `size ${cache.size} over capacity ${capacity}`);
        });
      }),
      { seed: 16, numRuns: 60 },
    );
  });

  it('keeps an entry read between arrivals of new ones, and forgets one left unread', () => {
    const cache = new RecentCache<string, number>(4);
    cache.set('hot', 1);
    cache.set('cold', 2);
    for (let i = 0; i < 50; i += 1) {
      cache.set(`new-${i}`, i);
      assert.equal(cache.get('hot'), 1, `after ${i + 1} new entries`);
    }
    assert.equal(cache.get('cold'), undefined);
  });
});

describe('the enrichment caches', () => {
  it('answer a hit exactly as the miss before it, also once far more URLs than they hold have passed', () => {
    const urls = Array.from({ length: 3_000 }, (_, i) => `https://shop${i % 7}.example/p/${i}?utm_source=s${i}&utm_medium=m&mlc=c${i}`);
    const first = urls.map((url) => urlParts(url));
    const again = urls.map((url) => urlParts(url));
    assert.deepEqual(again, first);
    assert.deepEqual(urlParts(urls[5]!), { hostname: 'shop5.example', pathname: '/p/5', utm: { utm_source: 's5', utm_medium: 'm' }, mlc: 'c5' });
    assert.equal(urlParts('not a url'), null);
    assert.equal(urlParts('not a url'), null, 'a cached miss stays a miss');
    const ua = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
    assert.deepEqual(userAgentFacts(ua), userAgentFacts(ua));
    assert.equal(userAgentFacts(ua).device_type, 'mobile');
  });

  it('share nothing of one client with another: the same page and browser give each client its own row', () => {
    const event: AcceptedEvent = {
      uuid: '00000000-0000-4000-8000-000000000001',
      event: '$pageview',
      distinct_id: 'v',
      timestamp: 1,
      session_id: null,
      device_id: null,
      anon_distinct_id: null,
      properties: { $current_url: 'https://shared.example/a?utm_source=x' },
      ip: null,
      user_agent: null,
      alias: null,
    };
    const facts = (clientId: string, ipStorage: RequestFacts['ipStorage']): RequestFacts => ({
      clientId,
      receivedAt: 2,
      ip: '203.0.113.9',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      ipStorage,
      ipHashSecret: Buffer.alloc(32, 7),
      geo: { locate: () => NO_LOCATION },
    });
    const a = enrich(event, facts('client-a', 'truncated'));
    const b = enrich(event, facts('client-b', 'none'));
    assert.equal(a.client_id, 'client-a');
    assert.equal(b.client_id, 'client-b');
    assert.equal(a.ip, '203.0.113.0');
    assert.equal(b.ip, null);
    assert.equal(a.path, b.path);
    assert.equal(a.browser, 'Firefox');
  });

  it('remember the last stored address only for the same address, client, setting and secret', () => {
    const secret = Buffer.alloc(32, 3);
    const other = Buffer.alloc(32, 4);
    const event = (ip: string | null): AcceptedEvent => ({
      uuid: '00000000-0000-4000-8000-000000000002',
      event: 'e',
      distinct_id: 'v',
      timestamp: 1,
      session_id: null,
      device_id: null,
      anon_distinct_id: null,
      properties: {},
      ip,
      user_agent: null,
      alias: null,
    });
    const facts = (clientId: string, ipStorage: RequestFacts['ipStorage'], ipHashSecret: Buffer): RequestFacts => ({
      clientId,
      receivedAt: 2,
      ip: '198.51.100.7',
      userAgent: null,
      ipStorage,
      ipHashSecret,
      geo: { locate: () => NO_LOCATION },
    });
    const cases: [string | null, string, RequestFacts['ipStorage'], Buffer][] = [
      [null, 'a', 'hashed', secret],
      [null, 'b', 'hashed', secret],
      [null, 'a', 'hashed', secret],
      [null, 'a', 'truncated', secret],
      [null, 'a', 'none', secret],
      [null, 'a', 'hashed', other],
      [null, 'a', 'hashed', secret],
      [null, 'a', 'hashed', other],
      ['2001:db8::1', 'a', 'hashed', other],
      ['2001:db8::1', 'b', 'hashed', other],
      ['2001:db8::1', 'b', 'truncated', other],
    ];
    for (const [ip, clientId, storage, key] of cases) {
      for (let repeat = 0; repeat < 2; repeat += 1) {
        const row = enrich(event(ip), facts(clientId, storage, key));
        assert.equal(row.ip, storedIp(ip ?? '198.51.100.7', storage, clientId, key), `${ip} ${clientId} ${storage}`);
      }
    }
  });
});
