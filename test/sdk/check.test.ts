import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkEvent, MAX_DEPTH, MAX_EVENT_BYTES, MAX_ID_CHARS } from '../../sdk/src/core/check.js';
import type { WireEvent } from '../../sdk/src/core/wire.js';
import { ApiError } from '../../src/http/apiError.js';
import { acceptEvents, DEFAULT_LIMITS, unpackBody } from '../../src/ingest/events.js';
import { MAX_ID_LENGTH } from '../../src/ingest/schemas.js';
import { MAX_JSON_DEPTH } from '../../src/validation/jsonSize.js';

/** Whether ingestion takes the event, sent alone with a publishable key, as the SDK sends it (through JSON). */
function serverAccepts(event: WireEvent): boolean {
  const body = JSON.parse(JSON.stringify(event)) as unknown;
  try {
    acceptEvents(unpackBody(body, DEFAULT_LIMITS), { trusted: false, now: Date.now(), limits: DEFAULT_LIMITS });
    return true;
  } catch (error) {
    if (error instanceof ApiError) return false;
    throw error;
  }
}

const wire = (overrides: Partial<WireEvent> = {}): WireEvent => ({
  event: 'Clicked',
  distinct_id: randomUUID(),
  timestamp: new Date().toISOString(),
  uuid: randomUUID(),
  properties: { $current_url: 'https://shop.example/' },
  $session_id: randomUUID(),
  $device_id: randomUUID(),
  ...overrides,
});

const serialised = (value: unknown): string => JSON.stringify(value);

describe('the SDK’s check of each event before it is queued', () => {
  it('uses the server’s limits', () => {
    assert.equal(MAX_ID_CHARS, MAX_ID_LENGTH);
    assert.equal(MAX_EVENT_BYTES, DEFAULT_LIMITS.maxEventBytes);
    assert.equal(MAX_DEPTH, MAX_JSON_DEPTH);
  });

  it('repairs unpaired surrogates and NUL in values and keys, keeping pairs, into an event the server takes', () => {
    const bad = wire({ event: 'Half \ud83d', properties: { 'key\udc00': 'a\u0000b', list: ['\ud800x', 'ok 😀'], deep: { x: '\udfff' } } });
    assert.equal(serverAccepts(bad), false, 'as it was, the server refuses it (and its whole batch)');
    const { event, warning } = checkEvent(bad);
    assert.ok(event);
    assert.match(warning ?? '', /U\+FFFD/);
    assert.equal(event.event, 'Half \ufffd');
    assert.equal(serialised(event.properties), serialised({ 'key\ufffd': 'a\ufffdb', list: ['\ufffdx', 'ok 😀'], deep: { x: '\ufffd' } }));
    assert.ok(serverAccepts(event));
  });

  it('drops an event whose name or distinct_id is over 200 characters, counted as the server counts them', () => {
    assert.ok(checkEvent(wire({ event: '😀'.repeat(200) })).event, '200 characters of two UTF-16 units each are fine');
    assert.equal(checkEvent(wire({ event: 'e'.repeat(201) })).event, undefined);
    assert.match(checkEvent(wire({ event: 'e'.repeat(201) })).warning ?? '', /name/);
    assert.equal(checkEvent(wire({ distinct_id: 'd'.repeat(201) })).event, undefined);
    assert.equal(checkEvent(wire({ properties: { $session_id: 's'.repeat(201) } })).event, undefined);
    assert.equal(checkEvent(wire({ event: '$create_alias', properties: { alias: 'a'.repeat(201) } })).event, undefined);
  });

  it('drops an event over 32 KiB in UTF-8, however few characters it has', () => {
    const padding = (event: WireEvent) => MAX_EVENT_BYTES - Buffer.byteLength(serialised(event));
    const base = wire({ properties: { pad: '' } });
    const exactly = wire({ ...base, properties: { pad: 'p'.repeat(padding(base)) } });
    assert.equal(Buffer.byteLength(serialised(exactly)), MAX_EVENT_BYTES);
    assert.ok(checkEvent(exactly).event);
    const accented = wire({ ...base, properties: { pad: 'é'.repeat(padding(base) / 2 + 1) } });
    assert.ok(serialised(accented).length < MAX_EVENT_BYTES, 'under the limit in characters');
    assert.equal(checkEvent(accented).event, undefined, 'over it in bytes');
    assert.equal(serverAccepts(accented), false);
  });

  it('drops an event nested deeper than the server takes, or that JSON cannot carry', () => {
    const nested = (levels: number): unknown => (levels === 0 ? 'leaf' : { n: nested(levels - 1) });
    // The event is level 1 and properties level 2, as the server counts.
    const deepest = wire({ properties: nested(MAX_DEPTH - 1) as Record<string, unknown> });
    const tooDeep = wire({ properties: nested(MAX_DEPTH) as Record<string, unknown> });
    assert.deepEqual([serverAccepts(deepest), serverAccepts(tooDeep)], [true, false]);
    assert.ok(checkEvent(deepest).event);
    assert.equal(checkEvent(tooDeep).event, undefined);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(checkEvent(wire({ properties: cyclic })).event, undefined);
  });

  it('agrees with the server on any event: what it sends is accepted, and what the server accepts it sends unchanged', () => {
    const unit = fc.oneof(
      fc.constantFrom('\ud800', '\udfff', '\u0000', '😀', 'é', 'a'),
      fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    );
    const text = fc.oneof(
      fc.string({ unit, maxLength: 12 }),
      fc.tuple(fc.constantFrom('i', '😀', '\ud800'), fc.integer({ min: 195, max: 205 })).map(([c, n]) => c.repeat(n)),
    );
    const value = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 }));
    const properties = fc.record({
      free: fc.dictionary(text, value, { maxKeys: 4 }),
      pad: fc.option(fc.integer({ min: 16_300, max: 16_400 }).map((n) => 'é'.repeat(n)), { nil: undefined }),
      session: fc.option(text, { nil: undefined }),
    });
    const event = fc.record({ name: text.filter((t) => t !== ''), distinct: text, properties }).map(({ name, distinct, properties: p }) =>
      wire({
        event: name,
        distinct_id: distinct,
        properties: { ...p.free, ...(p.pad === undefined ? {} : { pad: p.pad }), ...(p.session === undefined ? {} : { $session_id: p.session }) },
      }),
    );
    fc.assert(
      fc.property(event, (sent) => {
        const checked = checkEvent(sent);
        if (checked.event) assert.ok(serverAccepts(checked.event), `the server refuses what the SDK would send: ${serialised(checked.event).slice(0, 200)}`);
        if (serverAccepts(sent)) {
          assert.equal(serialised(checked.event), serialised(sent), 'an event the server takes is sent as it is');
          assert.equal(checked.warning, undefined);
        }
      }),
      { numRuns: 400 },
    );
  });
});
