import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sameSdkSettings, sdkSettingsOf, sdkValuesOf } from '../../web/src/settings/sdkSettingsForm.js';
import { formatOffset, searchTimeZones, timeZoneChoices } from '../../web/src/ui/timeZones.js';

/** The pure parts of the dashboard's settings form: what it sends for sdk_settings, and the time-zone search. */

describe('sdk_settings form', () => {
  it('shows stored keys over the defaults and sends only what differs from the defaults', () => {
    const values = sdkValuesOf({ respect_dnt: true, batch_size: 10 });
    assert.equal(values.respect_dnt, true);
    assert.equal(values.capture_pageview, true);
    assert.equal(values.batch_size, '10');
    assert.deepEqual(sdkSettingsOf(values), { respect_dnt: true });
    assert.deepEqual(sdkSettingsOf({ ...values, batch_size: '25', capture_pageleave: false }), { capture_pageleave: false, respect_dnt: true, batch_size: 25 });
  });

  it('treats an emptied number as the default and sends text that is no number as typed, for the API to refuse', () => {
    const values = sdkValuesOf({ flush_interval_ms: 5000 });
    assert.deepEqual(sdkSettingsOf({ ...values, flush_interval_ms: '' }), {});
    assert.deepEqual(sdkSettingsOf({ ...values, flush_interval_ms: '1.5e' }), { flush_interval_ms: '1.5e' });
  });

  it('compares settings by their effect: a stored default equals an absent key', () => {
    assert.equal(sameSdkSettings({ batch_size: 10 }, {}), true);
    assert.equal(sameSdkSettings({ batch_size: 11 }, {}), false);
    assert.equal(sameSdkSettings({ require_consent: true }, { require_consent: true, capture_pageview: true }), true);
  });
});

describe('time-zone choices', () => {
  const at = new Date('2026-01-15T12:00:00Z');
  const choices = timeZoneChoices([], at);

  it('lists UTC first and every zone with its offset at that moment', () => {
    assert.equal(choices[0]?.zone, 'UTC');
    assert.ok(choices.length > 300, `${choices.length} zones`);
    assert.equal(choices.find((c) => c.zone === 'Europe/Berlin')?.offset, 'UTC+01:00');
    assert.equal(formatOffset(-210), 'UTC−03:30');
    assert.equal(formatOffset(0), 'UTC');
  });

  it('finds a zone by place, by words in any case, by today’s name of a renamed zone and by offset', () => {
    const zones = (query: string) => searchTimeZones(choices, query).map((c) => c.zone);
    assert.ok(zones('new york').includes('America/New_York'));
    assert.ok(zones('EUROPE berl').includes('Europe/Berlin'));
    const kolkata = searchTimeZones(choices, 'kolkata');
    assert.equal(kolkata.length, 1);
    assert.equal(kolkata[0]?.label, 'Asia/Kolkata');
    assert.ok(['Asia/Calcutta', 'Asia/Kolkata'].includes(kolkata[0]!.zone), 'sent as the runtime spells it');
    assert.ok(zones('+05:30').includes(kolkata[0]!.zone));
    assert.ok(zones('+1').includes('Europe/Berlin'));
    assert.ok(!zones('+1').includes('America/New_York'));
    assert.deepEqual(zones('no such place'), []);
  });

  it('keeps a stored zone the list lacks', () => {
    const withAlias = timeZoneChoices(['US/Pacific'], at);
    assert.equal(withAlias[0]?.zone, 'US/Pacific');
    assert.equal(withAlias[0]?.offset, 'UTC−08:00');
  });
});
