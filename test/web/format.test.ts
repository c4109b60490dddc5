import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deltaOf, deviceOf, formatCount, formatMetric, placeOf } from '../../web/src/analytics/format.js';

const MINUS = '\u2212';

describe('the KPIs’ change against the previous period', () => {
  it('is a rounded percentage for counts, green when up and red when down', () => {
    assert.deepEqual(deltaOf('unique_visitors', 150, 100), { text: '+50%', direction: 'up', tone: 'good' });
    assert.deepEqual(deltaOf('page_views', 75, 100), { text: `${MINUS}25%`, direction: 'down', tone: 'bad' });
    assert.deepEqual(deltaOf('avg_session_duration', 90, 60), { text: '+50%', direction: 'up', tone: 'good' });
  });

  it('is "new" when the previous period had none, and no change when both are zero', () => {
    assert.deepEqual(deltaOf('sessions', 12, 0), { text: 'new', direction: 'up', tone: 'good' });
    assert.deepEqual(deltaOf('sessions', 0, 0), { text: '0%', direction: 'flat', tone: 'neutral' });
  });

  it('is in percentage points for the bounce rate, and a rise there is bad news', () => {
    assert.deepEqual(deltaOf('bounce_rate', 45.5, 40), { text: '+5.5 pp', direction: 'up', tone: 'bad' });
    assert.deepEqual(deltaOf('bounce_rate', 30, 40), { text: `${MINUS}10 pp`, direction: 'down', tone: 'good' });
    assert.deepEqual(deltaOf('bounce_rate', 40, 0), { text: '+40 pp', direction: 'up', tone: 'bad' }, 'a rate from 0 is points, not "new"');
  });

  it('calls a change that rounds to nothing no change, never "+0%" in green', () => {
    assert.deepEqual(deltaOf('page_views', 1002, 1000), { text: '0%', direction: 'flat', tone: 'neutral' });
    assert.deepEqual(deltaOf('bounce_rate', 40.02, 40), { text: '0 pp', direction: 'flat', tone: 'neutral' });
  });

  it('writes large changes and counts with thousands separators', () => {
    assert.equal(deltaOf('page_views', 12_600, 100).text, '+12,500%');
    assert.equal(formatCount(12_500), '12,500');
    assert.equal(formatMetric('page_views', 1_234_567), '1,234,567');
    assert.equal(formatMetric('avg_session_duration', 3725), '1h 2m');
    assert.equal(formatMetric('avg_session_duration', 95), '1m 35s');
  });
});

describe('a live event’s place and device', () => {
  it('names the city, region and country (with its ISO code), leaving out what is unknown', () => {
    assert.equal(placeOf({ country: 'DE', region: 'Land Berlin', city: 'Berlin' }), 'Berlin, Land Berlin, Germany (DE)');
    assert.equal(placeOf({ country: 'US' }), 'United States (US)');
    assert.equal(placeOf({ country: null, region: null, city: null }), '\u2014');
  });

  it('joins browser, OS and device type', () => {
    assert.equal(deviceOf({ browser: 'Firefox', os: 'macOS', device_type: 'desktop' }), 'Firefox / macOS / desktop');
    assert.equal(deviceOf({ browser: 'Safari', os: null, device_type: 'mobile' }), 'Safari / mobile');
    assert.equal(deviceOf({ browser: null, os: null, device_type: null }), '\u2014');
  });
});
