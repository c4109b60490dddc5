import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { RecentEventsQuery, type RecentEventView } from '../../src/events/schemas.js';
import { validatorCompiler } from '../../src/http/validation.js';
import { startApi, type Envelope, type TestApi } from '../helpers/api.js';
import { storedEvent } from '../helpers/events.js';
import { describeEachStoreAndEngine } from '../helpers/engines.js';

describeEachStoreAndEngine('recent events: the after parameter', (kind, engine) => {
  let api: TestApi;
  let clientId: string;
  before(async () => {
    api = await startApi(kind, {}, engine);
    const created = await api.request('POST', '/api/v1/clients', { body: { id: 'after-param', name: 'After param' } });
    assert.equal(created.status, 201);
    clientId = created.body.data.id;
    await api.events.append([storedEvent({ client_id: clientId, received_at: Date.parse('2024-01-02T00:00:00.000Z') })], []);
  });
  after(async () => api.close());

  const recent = (afterValue: string) =>
    api.request<Envelope<RecentEventView[]>>('GET', `/api/v1/clients/${clientId}/events?after=${encodeURIComponent(afterValue)}`);

  it('answers 400 validation_error, not 500, for date-times JavaScript cannot read: a leap second, an hours-only offset…', async () => {
    for (const value of ['2024-01-01T23:59:60Z', '2024-01-02T00:59:60+01:00', '2024-01-01T12:00:00+01', '0013-01-01 00:00:00Z']) {
      const res = await recent(value);
      assert.equal(res.status, 400, `${value}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'validation_error');
      assert.deepEqual(res.body.details?.map((d) => d.field), ['after']);
    }
  });

  it('takes after_seq, a commit-order cursor, and refuses anything but a whole number with 400', async () => {
    const all = await api.request<Envelope<RecentEventView[]>>('GET', `/api/v1/clients/${clientId}/events`);
    const seq = all.body.data[0]!.seq;
    assert.equal(Number.isInteger(seq), true);
    const before = await api.request<Envelope<RecentEventView[]>>('GET', `/api/v1/clients/${clientId}/events?after_seq=${seq - 1}`);
    assert.deepEqual(before.body.data.map((e) => e.seq), [seq]);
    const afterIt = await api.request<Envelope<RecentEventView[]>>('GET', `/api/v1/clients/${clientId}/events?after_seq=${seq}`);
    assert.deepEqual(afterIt.body.data, []);
    for (const value of ['-1', '1.5', 'abc', '']) {
      const res = await api.request<Envelope<RecentEventView[]>>('GET', `/api/v1/clients/${clientId}/events?after_seq=${value}`);
      assert.equal(res.status, 400, `${value}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body.details?.map((d) => d.field), ['after_seq']);
    }
  });

  it('takes the ECMAScript date-time forms, which Date reads for every year', async () => {
    for (const value of ['2024-01-01T23:59:59.999Z', '2024-01-01T23:59:59Z', '2024-01-02T00:59:59+01:00', '2024-01-01T23:59:59.123456-00:00']) {
      const res = await recent(value);
      assert.equal(res.status, 200, `${value}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.data.length, 1, value);
    }
  });
});

describe('the after parameter’s schema', () => {
  const validate = validatorCompiler({ schema: RecentEventsQuery, httpPart: 'querystring', method: 'GET', url: '/' }) as ValidateFunction;
  const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));

  it('lets through only date-times that Date.parse reads', () => {
    const dateTime = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }).map((y) => String(y).padStart(4, '0')),
        two(13),
        two(32),
        fc.constantFrom('T', 't', ' '),
        two(24),
        two(60),
        two(61),
        fc.option(fc.stringMatching(/^[0-9]{1,12}$/), { nil: undefined }),
        fc.constantFrom('Z', 'z', '+', '-'),
        two(24),
        fc.constantFrom(':', '', 'none'),
        two(60),
      )
      .map(([y, mo, d, sep, h, mi, s, frac, zone, oh, colon, om]) => {
        const offset = zone === '+' || zone === '-' ? `${zone}${oh}${colon === 'none' ? '' : `${colon}${om}`}` : zone;
        return `${y}-${mo}-${d}${sep}${h}:${mi}:${s}${frac === undefined ? '' : `.${frac}`}${offset}`;
      });
    let accepted = 0;
    fc.assert(
      fc.property(dateTime, (value) => {
        if (!validate({ after: value })) return;
        accepted += 1;
        assert.ok(Number.isFinite(Date.parse(value)), `${value} passed validation but Date.parse cannot read it`);
      }),
      { numRuns: 5000 },
    );
    assert.ok(accepted > 200, `the generator reaches valid values too (${accepted})`);
    // What a CI run's generator found: an hour 24 past :00, which Date reads as NaN.
    for (const value of ['0000-01-01T24:57:00+00:58', '2026-01-01T12:60:00Z']) assert.equal(validate({ after: value }), false, value);
  });
});
