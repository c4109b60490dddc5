import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ApiError } from '../../src/http/apiError.js';
import {
  acceptEvents,
  DEFAULT_LIMITS,
  FUTURE_TOLERANCE_MS,
  inspect,
  UNTRUSTED_PAST_MS,
  unpackBody,
  type ValidationContext,
} from '../../src/ingest/events.js';
import { parseTimestamp } from '../../src/ingest/timestamp.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const browser: ValidationContext = { trusted: false, now: NOW, limits: DEFAULT_LIMITS };
const server: ValidationContext = { ...browser, trusted: true };

const accept = (body: unknown, context = browser) => acceptEvents(unpackBody(body, DEFAULT_LIMITS), context);

/** Runs `action`, expecting an ApiError; returns it for further checks. */
function refused(action: () => unknown, status: number, code: string): ApiError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof ApiError, `an ApiError, not ${String(error)}`);
    assert.equal(error.status, status, error.message);
    assert.equal(error.code, code);
    return error;
  }
  assert.fail('expected a refusal');
}

describe('parseTimestamp', () => {
  it('reads ISO-8601 with Z, offsets, no offset (as UTC), fractions and epoch milliseconds', () => {
    assert.equal(parseTimestamp('2026-03-01T12:00:00.000Z'), NOW);
    assert.equal(parseTimestamp('2026-03-01T13:00:00+01:00'), NOW);
    assert.equal(parseTimestamp('2026-03-01T13:00:00+0100'), NOW);
    assert.equal(parseTimestamp('2026-03-01T12:00:00'), NOW, 'no offset means UTC, not the server zone');
    assert.equal(parseTimestamp('2026-03-01 12:00:00.000123Z'), NOW);
    assert.equal(parseTimestamp(NOW), NOW);
    assert.equal(parseTimestamp(NOW + 0.7), NOW);
  });

  it('refuses what is not a date-time', () => {
    for (const bad of ['yesterday', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-03-01T25:00:00Z', '', '1709294400000']) {
      assert.equal(parseTimestamp(bad), null, bad);
    }
  });
});

describe('unpackBody', () => {
  it('takes one event, { batch }, or a bare array, and names batch positions', () => {
    assert.deepEqual(unpackBody({ event: 'a', api_key: 'pk_x' }, DEFAULT_LIMITS).labels, ['']);
    assert.equal(unpackBody({ event: 'a', api_key: 'pk_x' }, DEFAULT_LIMITS).apiKey, 'pk_x');
    const batch = unpackBody({ api_key: 'pk_y', batch: [{}, {}] }, DEFAULT_LIMITS);
    assert.deepEqual(batch.labels, ['batch[0]', 'batch[1]']);
    assert.equal(batch.apiKey, 'pk_y');
    assert.deepEqual(unpackBody([{}], DEFAULT_LIMITS).labels, ['batch[0]']);
  });

  it('refuses other shapes and empty batches with 400, over 1,000 events with 413', () => {
    for (const bad of ['text', 3, null, true]) refused(() => unpackBody(bad, DEFAULT_LIMITS), 400, 'validation_error');
    refused(() => unpackBody({ batch: {} }, DEFAULT_LIMITS), 400, 'validation_error');
    refused(() => unpackBody({ batch: [] }, DEFAULT_LIMITS), 400, 'validation_error');
    assert.equal(unpackBody(new Array(1000).fill({}), DEFAULT_LIMITS).items.length, 1000);
    refused(() => unpackBody(new Array(1001).fill({}), DEFAULT_LIMITS), 413, 'payload_too_large');
  });
});

describe('acceptEvents', () => {
  it('normalises an event: uuid lowercased, number distinct_id as text, ids moved out of properties', () => {
    const [event] = accept({
      event: '$pageview',
      distinct_id: 42,
      uuid: '0190F3A4-5B6C-7D8E-9F00-112233445566',
      timestamp: '2026-03-01T11:59:00Z',
      properties: { $session_id: 's1', $device_id: 'd1', $anon_distinct_id: 'a1', $current_url: 'https://x.test/', plan: 'pro' },
    });
    assert.equal(event?.uuid, '0190f3a4-5b6c-7d8e-9f00-112233445566');
    assert.equal(event?.distinct_id, '42');
    assert.equal(event?.timestamp, NOW - 60_000);
    assert.equal(event?.session_id, 's1');
    assert.equal(event?.device_id, 'd1');
    assert.equal(event?.anon_distinct_id, 'a1');
    assert.deepEqual(event?.properties, { $current_url: 'https://x.test/', plan: 'pro' });
  });

  it('generates a uuid when none is sent, and lets $device_id stand in for distinct_id', () => {
    const [a, b] = accept({ batch: [{ event: 'x', $device_id: 'dev' }, { event: 'x', distinct_id: 'u' }] });
    assert.match(a?.uuid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a?.uuid, b?.uuid);
    assert.equal(a?.distinct_id, 'dev');
    assert.equal(a?.device_id, 'dev');
  });

  it('prefers top-level ids to those inside properties, and drops empty ones', () => {
    const [event] = accept({ event: 'x', distinct_id: 'u', $session_id: 'top', $device_id: '', properties: { $session_id: 'inner', $device_id: 'd' } });
    assert.equal(event?.session_id, 'top');
    assert.equal(event?.device_id, 'd');
    assert.deepEqual(event?.properties, {});
  });

  it('refuses the whole request, naming batch[i].field, when any event is invalid', () => {
    const error = refused(
      () =>
        accept({
          batch: [
            { event: 'ok', distinct_id: 'u' },
            { distinct_id: 'u' },
            { event: 'x'.repeat(201), distinct_id: 'u' },
            { event: 'x', distinct_id: '' },
            { event: 'x', distinct_id: 'u', uuid: '', properties: [] },
            { event: 'x', distinct_id: 'u', timestamp: 'tomorrow' },
            { event: 'x', $session_id: 7 },
            'nope',
          ],
        }),
      400,
      'validation_error',
    );
    const fields = Object.fromEntries((error.details ?? []).map((d) => [d.field, d.message]));
    assert.equal(fields['batch[1].event'], 'is required');
    assert.equal(fields['batch[2].event'], 'must be at most 200 characters');
    assert.equal(fields['batch[3].distinct_id'], 'must not be empty');
    assert.equal(fields['batch[4].uuid'], 'must be a UUID or another string of 1–200 printable characters (no control characters or line breaks)');
    assert.equal(fields['batch[4].properties'], 'must be a JSON object');
    assert.equal(fields['batch[5].timestamp'], 'must be an ISO-8601 date-time or epoch milliseconds');
    assert.equal(fields['batch[6].$session_id'], 'must be a string');
    assert.equal(fields['batch[6].distinct_id'], undefined, 'rules beyond the shape are checked once the shape is right');
    assert.equal(fields['batch[7]'], 'must be an event object');
    assert.ok(!Object.keys(fields).some((f) => f.startsWith('batch[0]')));
    assert.deepEqual(refused(() => accept({ batch: [{ event: 'x' }] }), 400, 'validation_error').details, [
      { field: 'batch[0].distinct_id', message: 'is required (or send $device_id)' },
    ]);
    assert.match(error.message, /batch\[1\]\.event is required/);
  });

  it('names fields without a prefix for a lone event', () => {
    const error = refused(() => accept({ event: 7, distinct_id: 'u' }), 400, 'validation_error');
    assert.deepEqual(error.details, [{ field: 'event', message: 'must be a string' }]);
  });

  it('refuses NUL characters and lone surrogates anywhere in an event', () => {
    const nul = refused(() => accept({ batch: [{ event: 'x', distinct_id: 'u', properties: { a: 'b\u0000' } }] }), 400, 'validation_error');
    assert.equal(nul.details?.[0]?.field, 'batch[0].properties.a');
    const surrogate = refused(() => accept({ event: 'x', distinct_id: 'u\uD800' }), 400, 'validation_error');
    assert.equal(surrogate.details?.[0]?.field, 'distinct_id');
  });

  it('refuses an event over 32 KiB with 413 and one nested too deep with 400', () => {
    const base = { event: 'x', distinct_id: 'u', properties: { pad: '' } };
    const overhead = Buffer.byteLength(JSON.stringify(base));
    const exactly = { ...base, properties: { pad: 'p'.repeat(32 * 1024 - overhead) } };
    assert.equal(accept(exactly).length, 1);
    const over = { ...base, properties: { pad: 'p'.repeat(32 * 1024 - overhead + 1) } };
    const error = refused(() => accept({ batch: [base, over] }), 413, 'payload_too_large');
    assert.equal(error.details?.[0]?.field, 'batch[1]');
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i += 1) deep = [deep];
    refused(() => accept({ event: 'x', distinct_id: 'u', properties: { deep } }), 400, 'validation_error');
    const both = refused(() => accept({ event: 'x', distinct_id: 'u', properties: { deep, a: '\u0000' } }), 400, 'validation_error');
    assert.equal(both.details?.[0]?.field, 'properties.a', 'bad text before deep nesting is reported, not a 500');
  });

  it('bounds a value’s serialised size from above, whatever its text and numbers, so that only events near the limit are serialised', () => {
    // Any JSON, and values at their longest, where every byte the bound missed would show: strings
    // of control characters (six bytes each as \u0001), 25-character numbers, empty containers.
    const anyText = fc.string({ unit: fc.constantFrom('\u0001', '\u001f', '"', '\\', '\n', 'a', 'é', '€', '😀'), maxLength: 12 });
    const longestText = fc.string({ unit: fc.constant('\u0001'), minLength: 1, maxLength: 6 });
    const longestNumber = fc.constantFrom(-0.0000013559324900017645, -1.7976931348623157e308);
    const json = (text: fc.Arbitrary<string>, scalars: fc.Arbitrary<unknown>[]) =>
      fc.letrec((tie) => ({
        value: fc.oneof({ depthSize: 'small' }, text, ...scalars, tie('array'), tie('object')),
        array: fc.array(tie('value'), { maxLength: 8 }),
        object: fc.dictionary(text, tie('value'), { maxKeys: 8 }),
      })).value;
    const anyJson = json(anyText, [fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(-0), fc.boolean(), fc.constant(null)]);
    const longestJson = json(longestText, [longestNumber]);
    fc.assert(
      fc.property(fc.oneof(anyJson, longestJson), (value) => {
        const { flaw, sizeBound } = inspect(value);
        assert.equal(flaw, null);
        const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
        assert.ok(sizeBound >= size, `bound ${sizeBound} under the size ${size} of ${JSON.stringify(value)}`);
      }),
      { numRuns: 2000 },
    );
    // And through validation: an event whose bound is over the limit is measured exactly.
    const event = { event: 'x', distinct_id: 'u', properties: { text: '\u0001'.repeat(100), n: -0.0000013559324900017645 } };
    const size = Buffer.byteLength(JSON.stringify(event), 'utf8');
    const at = { ...DEFAULT_LIMITS, maxEventBytes: size };
    assert.equal(acceptEvents(unpackBody(event, at), { ...server, limits: at }).length, 1, 'accepted at its own size');
    const under = { ...at, maxEventBytes: size - 1 };
    refused(() => acceptEvents(unpackBody(event, under), { ...server, limits: under }), 413, 'payload_too_large');
  });

  it('keeps a publishable caller’s timestamp only within [now − 24 h, now + 5 min]', () => {
    const at = (timestamp: number) => accept({ event: 'x', distinct_id: 'u', timestamp })[0]?.timestamp;
    assert.equal(at(NOW - UNTRUSTED_PAST_MS), NOW - UNTRUSTED_PAST_MS);
    assert.equal(at(NOW - UNTRUSTED_PAST_MS - 1), NOW, 'older: replaced by the receive time');
    assert.equal(at(NOW + FUTURE_TOLERANCE_MS), NOW + FUTURE_TOLERANCE_MS);
    assert.equal(at(NOW + FUTURE_TOLERANCE_MS + 1), NOW);
    assert.equal(accept({ event: 'x', distinct_id: 'u' })[0]?.timestamp, NOW);
  });

  it('keeps a secret caller’s past timestamps (backfill) and refuses more than 5 minutes ahead', () => {
    const year = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(accept({ event: 'x', distinct_id: 'u', timestamp: year }, server)[0]?.timestamp, year);
    const error = refused(() => accept({ event: 'x', distinct_id: 'u', timestamp: NOW + FUTURE_TOLERANCE_MS + 1 }, server), 400, 'validation_error');
    assert.equal(error.details?.[0]?.field, 'timestamp');
  });

  it('lets only a secret caller set ip and user agent, and never leaves them in properties', () => {
    const body = () => ({
      batch: [
        { event: 'x', distinct_id: 'u', $ip: '203.0.113.9', properties: { $user_agent: 'UA/1', keep: 1 } },
        { event: 'x', distinct_id: 'u', properties: { ip: '2001:db8::1', user_agent: 'UA/2' } },
      ],
    });
    const [a, b] = accept(body(), server);
    assert.equal(a?.ip, '203.0.113.9');
    assert.equal(a?.user_agent, 'UA/1');
    assert.deepEqual(a?.properties, { keep: 1 });
    assert.equal(b?.ip, '2001:db8::1');
    assert.equal(b?.user_agent, 'UA/2');
    assert.deepEqual(b?.properties, {});
    const [c, d] = accept(body(), browser);
    assert.equal(c?.ip, null);
    assert.equal(c?.user_agent, null);
    assert.deepEqual(c?.properties, { keep: 1 });
    assert.deepEqual(d?.properties, {});
    const error = refused(() => accept({ event: 'x', distinct_id: 'u', properties: { $ip: 'localhost' } }, server), 400, 'validation_error');
    assert.equal(error.details?.[0]?.field, 'properties.$ip');
  });

  it('requires properties.alias on $create_alias', () => {
    const [event] = accept({ event: '$create_alias', distinct_id: 'u', properties: { alias: 'other' } });
    assert.equal(event?.alias, 'other');
    const error = refused(() => accept({ event: '$create_alias', distinct_id: 'u' }), 400, 'validation_error');
    assert.equal(error.details?.[0]?.field, 'properties.alias');
  });

  it('moves a top-level $set into properties', () => {
    const [event] = accept({ event: '$identify', distinct_id: 'u', $set: { email: 'a@b.test' } });
    assert.deepEqual(event?.properties, { $set: { email: 'a@b.test' } });
  });

  it('lists at most 20 problems for a large bad batch', () => {
    const error = refused(() => accept(new Array(500).fill({ distinct_id: 'u' })), 400, 'validation_error');
    assert.equal(error.details?.length, 20);
    assert.match(error.message, /and 495 more/);
  });
});
