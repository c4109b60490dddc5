import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '../../src/events/eventStore.js';

/** A complete stored row with plausible values; tests override what they look at. */
export function storedEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    client_id: 'acme',
    uuid: randomUUID(),
    event: '$pageview',
    distinct_id: 'visitor-1',
    timestamp: Date.parse('2026-03-01T12:00:00.000Z'),
    received_at: Date.parse('2026-03-01T12:00:01.000Z'),
    session_id: 'session-1',
    device_id: 'device-1',
    anon_distinct_id: null,
    properties: JSON.stringify({ $current_url: 'https://acme.test/pricing?utm_source=news' }),
    url: 'https://acme.test/pricing?utm_source=news',
    host: 'acme.test',
    path: '/pricing',
    referrer: null,
    referrer_host: null,
    utm_source: 'news',
    utm_medium: null,
    utm_campaign: null,
    utm_term: null,
    utm_content: null,
    browser: 'Chrome',
    browser_version: '120.0.0.0',
    os: 'Windows',
    device_type: 'desktop',
    is_bot: false,
    ip: '203.0.113.0',
    country: null,
    region: null,
    city: null,
    link_id: null,
    user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    ...overrides,
  };
}
