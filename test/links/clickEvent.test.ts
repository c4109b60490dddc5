import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrich, linkIdOfPage } from '../../src/ingest/enrich.js';
import type { AcceptedEvent } from '../../src/ingest/events.js';
import { shippedGeoLookup } from '../../src/ingest/geo/openGeoLookup.js';
import { deriveIpHashSecret } from '../../src/ingest/ip.js';
import { clickId, LINK_CLICK_EVENT, linkClickEvent, linkIdOfClickId, visitorId, type LinkClickContext } from '../../src/links/clickEvent.js';
import { LINKS_PSEUDO_CLIENT, type LinkRow } from '../../src/links/linkRow.js';

const USER_AGENTS = {
  chrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
};

const SECRET = deriveIpHashSecret('ab'.repeat(32));
const OTHER_SECRET = deriveIpHashSecret('cd'.repeat(32));
const AT = Date.parse('2026-03-01T12:00:00.000Z');
const DAY = 86_400_000;

const link = (overrides: Partial<LinkRow> = {}): LinkRow => ({
  id: 'lnk_AbCdEfGh1234',
  client_id: 'acme',
  slug: 'Summer-Sale',
  slug_key: 'summer-sale',
  destination_url: 'https://acme.test/sale?from=link',
  title: null,
  tags: [],
  metadata: {},
  password_hash: null,
  expires_at: null,
  created_at: AT - DAY,
  updated_at: AT - DAY,
  ...overrides,
});

const context = (overrides: Partial<LinkClickContext> = {}): LinkClickContext => ({
  shortUrl: 'https://go.acme.test/Summer-Sale?utm_source=newsletter',
  ipStorage: 'truncated',
  secret: SECRET,
  geo: shippedGeoLookup(),
  ...overrides,
});

describe('click ids (mlc)', () => {
  it('name their link, differ per click, and verify only under the secret that signed them', () => {
    const a = clickId('lnk_AbCdEfGh1234', SECRET);
    const b = clickId('lnk_AbCdEfGh1234', SECRET);
    assert.match(a, /^AbCdEfGh1234\.[A-Za-z0-9]{8}\.[A-Za-z0-9_-]{8}$/);
    assert.notEqual(a, b);
    assert.equal(linkIdOfClickId(a, SECRET), 'lnk_AbCdEfGh1234');
    assert.equal(linkIdOfClickId(a, OTHER_SECRET), null, 'another deployment');
  });

  it('answer null for forged, altered and malformed values, without throwing', () => {
    const real = clickId('lnk_AbCdEfGh1234', SECRET);
    const [, nonce, mac] = real.split('.');
    const forged = [
      `ZZZZZZZZZZZZ.${nonce}.${mac}`, // another link id under the signature of the first
      `AbCdEfGh1234.${nonce}.AAAAAAAA`,
      `${real}x`,
      real.slice(0, -1),
      'AbCdEfGh1234',
      '',
      '..',
      'lnk_AbCdEfGh1234',
      `AbCdEfGh1234.${nonce}.${mac}\n`,
      'é'.repeat(30),
      `${'A'.repeat(12)}.${'B'.repeat(8)}.${'C'.repeat(7)}é`,
    ];
    for (const value of forged) assert.equal(linkIdOfClickId(value, SECRET), null, value);
    assert.throws(() => clickId('not-a-link', SECRET));
  });

  it('credit a site event whose page URL carries a valid one to the link', () => {
    const mlc = clickId('lnk_AbCdEfGh1234', SECRET);
    assert.equal(linkIdOfPage(`https://acme.test/sale?from=link&mlc=${mlc}`, SECRET), 'lnk_AbCdEfGh1234');
    assert.equal(linkIdOfPage(`https://acme.test/sale?mlc=${encodeURIComponent(mlc)}#top`, SECRET), 'lnk_AbCdEfGh1234');
    for (const url of [null, 'https://acme.test/', 'https://acme.test/?mlc=', 'https://acme.test/?mlc=garbage%00', `https://acme.test/?xmlc=${mlc}`, `/relative?mlc=${mlc}`]) {
      assert.equal(linkIdOfPage(url, SECRET), null, String(url));
    }
    const accepted = (url: string): AcceptedEvent =>
      ({ uuid: 'u1', event: '$pageview', distinct_id: 'd', timestamp: AT, session_id: 's', device_id: null, anon_distinct_id: null, alias: null, ip: null, user_agent: null, properties: { $current_url: url } }) as AcceptedEvent;
    const facts = { clientId: 'acme', receivedAt: AT, ip: null, userAgent: null, ipStorage: 'truncated' as const, ipHashSecret: SECRET, geo: shippedGeoLookup() };
    assert.equal(enrich(accepted(`https://acme.test/?mlc=${mlc}`), facts).link_id, 'lnk_AbCdEfGh1234');
    assert.equal(enrich(accepted('https://acme.test/?mlc=AbCdEfGh1234.AAAAAAAA.AAAAAAAA'), facts).link_id, null);
    assert.equal(enrich(accepted('https://acme.test/'), facts).link_id, null);
  });
});

describe('the $link_click event', () => {
  it('is the link’s event with the request’s referrer, place, device and a truncated address', () => {
    const event = linkClickEvent(link(), { ip: '8.8.8.8', userAgent: USER_AGENTS.iphone, referrer: 'https://www.facebook.com/some/post', at: AT }, context());
    assert.equal(event.event, LINK_CLICK_EVENT);
    assert.equal(event.client_id, 'acme');
    assert.equal(event.link_id, 'lnk_AbCdEfGh1234');
    assert.equal(event.timestamp, AT);
    assert.equal(event.session_id, null);
    assert.match(event.distinct_id, /^[0-9a-f]{32}$/);
    assert.match(event.uuid, /^[0-9a-f-]{36}$/);
    assert.deepEqual(JSON.parse(event.properties), { slug: 'Summer-Sale', destination_url: 'https://acme.test/sale?from=link' });
    assert.deepEqual(
      [event.url, event.host, event.path, event.referrer, event.referrer_host, event.utm_source],
      ['https://go.acme.test/Summer-Sale?utm_source=newsletter', 'go.acme.test', '/Summer-Sale', 'https://www.facebook.com/some/post', 'facebook.com', 'newsletter'],
    );
    assert.deepEqual([event.country, event.device_type, event.os, event.is_bot], ['US', 'mobile', 'iOS', false]);
    assert.equal(event.ip, '8.8.8.0');
  });

  it('honours the client’s ip_storage, and counts a link of no client under _links', () => {
    const request = { ip: '8.8.8.8', userAgent: USER_AGENTS.chrome, referrer: null, at: AT };
    assert.equal(linkClickEvent(link(), request, context({ ipStorage: 'none' })).ip, null);
    assert.match(linkClickEvent(link(), request, context({ ipStorage: 'hashed' })).ip ?? '', /^[0-9a-f]{32}$/);
    const orphan = linkClickEvent(link({ client_id: null }), request, context());
    assert.deepEqual([orphan.client_id, orphan.ip, orphan.referrer, orphan.referrer_host], [LINKS_PSEUDO_CLIENT, '8.8.8.0', null, null]);
  });

  it('flags bots as ingestion does, and a request without a user agent too', () => {
    const at = { ip: '8.8.8.8', referrer: null, at: AT };
    assert.equal(linkClickEvent(link(), { ...at, userAgent: USER_AGENTS.googlebot }, context()).is_bot, true);
    assert.equal(linkClickEvent(link(), { ...at, userAgent: 'curl/8.5.0' }, context()).is_bot, true);
    assert.equal(linkClickEvent(link(), { ...at, userAgent: null }, context()).is_bot, true);
    assert.equal(linkClickEvent(link(), { ...at, userAgent: USER_AGENTS.chrome }, context()).is_bot, false);
  });

  it('names one visitor within a UTC day, another the next day, another for another browser or client', () => {
    const id = (ip: string, ua: string, at: number, client = 'acme') => visitorId(client, ip, ua, at, SECRET);
    const morning = Date.parse('2026-03-01T00:00:01.000Z');
    const night = Date.parse('2026-03-01T23:59:59.999Z');
    assert.equal(id('8.8.8.8', USER_AGENTS.chrome, morning), id('8.8.8.8', USER_AGENTS.chrome, night));
    assert.equal(id('8.8.8.8', USER_AGENTS.chrome, morning), id('::ffff:8.8.8.8', USER_AGENTS.chrome, night), 'a mapped address is the same address');
    assert.notEqual(id('8.8.8.8', USER_AGENTS.chrome, night), id('8.8.8.8', USER_AGENTS.chrome, night + 1), 'the next day');
    assert.notEqual(id('8.8.8.8', USER_AGENTS.chrome, morning), id('8.8.8.8', USER_AGENTS.iphone, morning));
    assert.notEqual(id('8.8.8.8', USER_AGENTS.chrome, morning), id('8.8.4.4', USER_AGENTS.chrome, morning));
    assert.notEqual(id('8.8.8.8', USER_AGENTS.chrome, morning), id('8.8.8.8', USER_AGENTS.chrome, morning, 'other'));
    assert.notEqual(visitorId('acme', '8.8.8.8', USER_AGENTS.chrome, morning, OTHER_SECRET), id('8.8.8.8', USER_AGENTS.chrome, morning));
    const event = linkClickEvent(link(), { ip: '8.8.8.8', userAgent: USER_AGENTS.chrome, referrer: null, at: morning }, context());
    assert.equal(event.distinct_id, id('8.8.8.8', USER_AGENTS.chrome, morning));
  });
});
