import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { StoredEvent } from '../../src/events/eventStore.js';
import { suiteApi } from '../helpers/api.js';
import { describeEachStoreAndEngine } from '../helpers/engines.js';
import { at, funnel, insert, view } from './support.js';

/*
 * Steps: a page view of /home, then `signup`, then `purchase`. Known persons:
 *   p1  all three in order within minutes                          → reaches 3
 *   p2  /home, purchase, then signup (purchase before signup)      → reaches 2
 *   p3  /home, signup two days later                               → 1 (2 with a 3-day window)
 *   p4  /home as p4-anon, signup + purchase as p4-user (linked)    → reaches 3
 *   p5  signup only                                                → nothing
 *   p6  /home on 02-25 (no follow-up), /home again on 02-27, then
 *       signup and purchase within the hour                        → reaches 3 (a later start counts)
 *   a bot doing all three                                          → excluded
 */
const ev = (iso: string, event: string, who: string, extra: Partial<StoredEvent> = {}): Partial<StoredEvent> => ({
  event,
  timestamp: at(iso),
  distinct_id: who,
  session_id: `s-${who}`,
  path: '/checkout',
  ...extra,
});
const DATA = [
  view('2026-02-25T10:00:00Z', '/home', 'p1'),
  ev('2026-02-25T10:05:00Z', 'signup', 'p1'),
  ev('2026-02-25T10:10:00Z', 'purchase', 'p1'),
  view('2026-02-25T10:00:00Z', '/home', 'p2'),
  ev('2026-02-25T10:01:00Z', 'purchase', 'p2'),
  ev('2026-02-25T10:02:00Z', 'signup', 'p2'),
  view('2026-02-25T10:00:00Z', '/home', 'p3'),
  ev('2026-02-27T10:00:00Z', 'signup', 'p3'),
  view('2026-02-25T11:00:00Z', '/home', 'p4-anon'),
  ev('2026-02-25T11:30:00Z', 'signup', 'p4-user'),
  ev('2026-02-25T11:40:00Z', 'purchase', 'p4-user'),
  ev('2026-02-25T12:00:00Z', 'signup', 'p5'),
  view('2026-02-25T09:00:00Z', '/home', 'p6'),
  view('2026-02-27T09:00:00Z', '/home', 'p6'),
  ev('2026-02-27T09:30:00Z', 'signup', 'p6'),
  ev('2026-02-27T09:40:00Z', 'purchase', 'p6'),
  view('2026-02-25T10:00:00Z', '/home', 'bot', 's-bot', { is_bot: true }),
  ev('2026-02-25T10:01:00Z', 'signup', 'bot', { is_bot: true }),
  ev('2026-02-25T10:02:00Z', 'purchase', 'bot', { is_bot: true }),
  // A page view of another path is not the /home step.
  view('2026-02-25T10:00:00Z', '/pricing', 'p7'),
  ev('2026-02-25T10:01:00Z', 'signup', 'p7'),
];
const STEPS = [{ path: '/home' }, { event: 'signup' }, { event: 'purchase' }];

describeEachStoreAndEngine('query API: funnels', (kind, engine) => {
  const { api, newClient } = suiteApi(kind, 'funnel', engine);
  let c: string;
  before(async () => {
    c = await newClient();
    await insert(api(), c, DATA, [{ distinct_id: 'p4-anon', person_id: 'p4-user' }]);
    const other = await newClient();
    await insert(api(), other, DATA);
  });

  const counts = async (body: Record<string, unknown>) => {
    const res = await funnel(api(), { client_id: c, steps: STEPS, ...body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data;
  };

  it('counts persons reaching each step in order within the window, across linked ids', async () => {
    const data = await counts({});
    assert.deepEqual(data.steps, [
      { step: 1, label: '/home', count: 5, conversion_rate: 1, step_conversion_rate: 1 },
      { step: 2, label: 'signup', count: 4, conversion_rate: 0.8, step_conversion_rate: 0.8 },
      { step: 3, label: 'purchase', count: 3, conversion_rate: 0.6, step_conversion_rate: 0.75 },
    ]);
    assert.equal(data.window_seconds, 86_400);
    assert.deepEqual(data.period, { from: '2026-01-31T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z', timezone: 'UTC' });
  });

  it('widens and narrows with window_seconds', async () => {
    const wide = await counts({ window_seconds: 3 * 86_400 });
    assert.deepEqual(wide.steps.map((s) => s.count), [5, 5, 3]);
    // Ten minutes: p4 (30 minutes to signup) and p6 (30 minutes) drop out after step 1.
    const narrow = await counts({ window_seconds: 600 });
    assert.deepEqual(narrow.steps.map((s) => s.count), [5, 2, 1]);
    assert.equal(narrow.steps[2]!.step_conversion_rate, 0.5);
  });

  it('keeps to the period, filters, bots and two-step funnels', async () => {
    const day = await counts({ period: 'custom', from: '2026-02-27', to: '2026-02-27' });
    assert.deepEqual(day.steps.map((s) => s.count), [1, 1, 1]);
    const bots = await counts({ filters: { include_bots: true } });
    assert.deepEqual(bots.steps.map((s) => s.count), [6, 5, 4]);
    const two = await funnel(api(), { client_id: c, steps: [{ event: 'signup' }, { event: 'purchase' }] });
    // Signups: p1, p2, p3, p4-user, p5, p6, p7; purchase after signup: p1, p4-user, p6.
    assert.deepEqual(two.body.data.steps.map((s) => [s.count, s.conversion_rate]), [
      [7, 1],
      [3, 0.4286],
    ]);
    const empty = await counts({ period: 'custom', from: '2025-01-01', to: '2025-01-02' });
    assert.deepEqual(empty.steps.map((s) => [s.count, s.conversion_rate, s.step_conversion_rate]), [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it('never lets one event serve two steps, when steps repeat or overlap', async () => {
    const steps = async (list: Record<string, string>[], window_seconds = 86_400) => {
      const res = await funnel(api(), { client_id: c, steps: list, window_seconds });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.data.steps.map((s) => s.count);
    };
    // Any page view, then a page view of /home: the /home view that starts cannot also finish.
    // Page viewers: p1, p2, p3, p4, p6, p7; only p6 has a second view, of /home, two days later.
    assert.deepEqual(await steps([{ event: '$pageview' }, { path: '/home' }]), [6, 0]);
    assert.deepEqual(await steps([{ event: '$pageview' }, { path: '/home' }], 3 * 86_400), [6, 1]);
    assert.deepEqual(await steps([{ path: '/home' }, { path: '/home' }], 3 * 86_400), [5, 1]);
  });

  it('counts distinct steps at the same millisecond in order, each from its own event', async () => {
    // Distinct steps never share a row, so the builder skips the used-row lists (stepsCanShareRows):
    // these are the cases that shortcut must still get right.
    const own = await newClient();
    const t = '2026-02-25T10:00:00Z';
    await insert(api(), own, [
      view(t, '/home', 'q1'),
      ev(t, 'signup', 'q1'),
      ev(t, 'purchase', 'q1'),
      // Two starts at the same instant, one signup: one person reaching step 2.
      view(t, '/home', 'q2'),
      view(t, '/home', 'q2'),
      ev(t, 'signup', 'q2'),
      // The purchase comes a millisecond before the signup: order holds.
      view(t, '/home', 'q3'),
      ev('2026-02-25T10:00:00.002Z', 'signup', 'q3'),
      ev('2026-02-25T10:00:00.001Z', 'purchase', 'q3'),
    ]);
    const res = await funnel(api(), { client_id: own, steps: STEPS });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.data.steps.map((s) => s.count), [3, 3, 1]);
  });

  it('among events at the same instant, lets a step take the one a later step cannot use', async () => {
    const own = await newClient();
    // /a at 10:00:00, then /a and /b at 10:00:01; the /a view has the smaller uuid, which used to win the tie.
    await insert(api(), own, [
      view('2026-02-25T10:00:00Z', '/a', 'r1', 's-r1', { uuid: '00000000-0000-4000-8000-000000000001' }),
      view('2026-02-25T10:00:01Z', '/a', 'r1', 's-r1', { uuid: '00000000-0000-4000-8000-000000000002' }),
      view('2026-02-25T10:00:01Z', '/b', 'r1', 's-r1', { uuid: '00000000-0000-4000-8000-000000000003' }),
    ]);
    const counts = async (steps: Record<string, string>[]) => (await funnel(api(), { client_id: own, steps })).body.data.steps.map((s) => s.count);
    // "Any page view" takes /b, leaving the second /a for the last step.
    assert.deepEqual(await counts([{ path: '/a' }, { event: '$pageview' }, { path: '/a' }]), [1, 1, 1]);
    assert.deepEqual(await counts([{ path: '/a' }, { event: '$pageview' }, { path: '/b' }]), [1, 1, 1]);
  });

  it('refuses malformed funnels with a 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ steps: [{ event: 'a' }] }, 'steps'],
      [{ steps: Array.from({ length: 9 }, () => ({ event: 'a' })) }, 'steps'],
      [{ steps: [{ event: 'a' }, { colour: 'b' }] }, 'steps.1'],
      [{ steps: STEPS, window_seconds: 59 }, 'window_seconds'],
      [{ steps: STEPS, window_seconds: 7_776_001 }, 'window_seconds'],
      [{ steps: STEPS, period: 'custom', from: '2026-02-01' }, 'to'],
      [{ steps: STEPS, period: '7d', to: '2026-02-01' }, 'from'],
      [{ steps: STEPS, from: '2026-02-01T00:00:00Z', to: '2026-01-31T23:00:00Z' }, 'to'],
      [{ steps: STEPS, from: '2026-02-01T00:00', to: '2026-02-02' }, 'from'],
      [{}, 'steps'],
    ];
    for (const [body, field] of cases) {
      const res = await funnel(api(), { client_id: c, ...body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.ok(
        res.body.details?.some((d) => d.field === field || d.field.startsWith(`${field}.`)),
        `${JSON.stringify(body)} → ${JSON.stringify(res.body.details)}`,
      );
    }
    assert.equal((await funnel(api(), { client_id: 'no-such-client', steps: STEPS })).status, 404);
  });
});
