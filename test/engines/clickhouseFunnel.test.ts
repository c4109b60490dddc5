import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EventStore, StoredEvent } from '../../src/events/eventStore.js';
import type { FunnelPlan } from '../../src/query/plan.js';
import type { FunnelStepInput } from '../../src/query/schemas.js';
import { storedEvent } from '../helpers/events.js';
import { CLICKHOUSE_SKIP_REASON, openClickHouseTestStore } from '../helpers/clickhouseEngine.js';

/*
 * The funnel scenarios of test/query/funnel.test.ts, asked of the ClickHouse store directly:
 * /home, then signup, then purchase, over persons p1–p7 and a bot (see that file for who is who).
 */
const at = (iso: string): number => Date.parse(iso);
const ev = (iso: string, event: string, who: string, extra: Partial<StoredEvent> = {}): Partial<StoredEvent> => ({
  event,
  timestamp: at(iso),
  distinct_id: who,
  session_id: `s-${who}`,
  path: '/checkout',
  ...extra,
});
const view = (iso: string, path: string, who: string, extra: Partial<StoredEvent> = {}) => ev(iso, '$pageview', who, { path, ...extra });
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
  view('2026-02-25T10:00:00Z', '/home', 'bot', { is_bot: true }),
  ev('2026-02-25T10:01:00Z', 'signup', 'bot', { is_bot: true }),
  ev('2026-02-25T10:02:00Z', 'purchase', 'bot', { is_bot: true }),
  view('2026-02-25T10:00:00Z', '/pricing', 'p7'),
  ev('2026-02-25T10:01:00Z', 'signup', 'p7'),
];
const STEPS: FunnelStepInput[] = [{ path: '/home' }, { event: 'signup' }, { event: 'purchase' }];
const DAY = 86_400_000;

describe('ClickHouse funnels: the scenarios of the query suite', { skip: CLICKHOUSE_SKIP_REASON }, () => {
  let store: EventStore;
  let dispose: () => Promise<void>;
  const plan = (overrides: Partial<FunnelPlan> = {}): FunnelPlan => ({
    clientId: 'f',
    from: at('2026-01-31T00:00:00Z'),
    to: at('2026-03-02T00:00:00Z'),
    filters: {},
    steps: STEPS,
    windowMs: DAY,
    ...overrides,
  });
  const reached = async (overrides: Partial<FunnelPlan> = {}): Promise<number[]> => (await store.funnel(plan(overrides))).reached;

  before(async () => {
    ({ store, dispose } = await openClickHouseTestStore());
    await store.append(
      DATA.map((e) => storedEvent({ client_id: 'f', ...e })),
      [{ client_id: 'f', distinct_id: 'p4-anon', person_id: 'p4-user', created_at: 0 }],
    );
    await store.append(DATA.map((e) => storedEvent({ client_id: 'other', ...e })), []);
  });
  after(() => dispose());

  it('counts persons in order within the window, across linked ids', async () => {
    assert.deepEqual(await reached(), [5, 4, 3]);
    assert.deepEqual(await reached({ windowMs: 3 * DAY }), [5, 5, 3]);
    assert.deepEqual(await reached({ windowMs: 600_000 }), [5, 2, 1]);
  });

  it('keeps to the period, bots and two-step funnels', async () => {
    assert.deepEqual(await reached({ from: at('2026-02-27T00:00:00Z'), to: at('2026-02-28T00:00:00Z') }), [1, 1, 1]);
    assert.deepEqual(await reached({ filters: { include_bots: true } }), [6, 5, 4]);
    assert.deepEqual(await reached({ steps: [{ event: 'signup' }, { event: 'purchase' }] }), [7, 3]);
    assert.deepEqual(await reached({ from: at('2025-01-01T00:00:00Z'), to: at('2025-01-03T00:00:00Z') }), [0, 0, 0]);
  });

  it('never lets one event serve two steps', async () => {
    assert.deepEqual(await reached({ steps: [{ event: '$pageview' }, { path: '/home' }] }), [6, 0]);
    assert.deepEqual(await reached({ steps: [{ event: '$pageview' }, { path: '/home' }], windowMs: 3 * DAY }), [6, 1]);
    assert.deepEqual(await reached({ steps: [{ path: '/home' }, { path: '/home' }], windowMs: 3 * DAY }), [5, 1]);
  });

  it('counts distinct steps at the same millisecond in order, and takes the tied row a later step cannot use', async () => {
    const t = '2026-02-25T10:00:00Z';
    const same = [
      view(t, '/home', 'q1'),
      ev(t, 'signup', 'q1'),
      ev(t, 'purchase', 'q1'),
      view(t, '/home', 'q2'),
      view(t, '/home', 'q2'),
      ev(t, 'signup', 'q2'),
      view(t, '/home', 'q3'),
      ev('2026-02-25T10:00:00.002Z', 'signup', 'q3'),
      ev('2026-02-25T10:00:00.001Z', 'purchase', 'q3'),
      view('2026-02-25T10:00:00Z', '/a', 'r1', { uuid: '00000000-0000-4000-8000-000000000001' }),
      view('2026-02-25T10:00:01Z', '/a', 'r1', { uuid: '00000000-0000-4000-8000-000000000002' }),
      view('2026-02-25T10:00:01Z', '/b', 'r1', { uuid: '00000000-0000-4000-8000-000000000003' }),
    ];
    await store.append(same.map((e) => storedEvent({ client_id: 'same', ...e })), []);
    assert.deepEqual(await reached({ clientId: 'same' }), [3, 3, 1]);
    assert.deepEqual(await reached({ clientId: 'same', steps: [{ path: '/a' }, { event: '$pageview' }, { path: '/a' }] }), [1, 1, 1]);
    assert.deepEqual(await reached({ clientId: 'same', steps: [{ path: '/a' }, { event: '$pageview' }, { path: '/b' }] }), [1, 1, 1]);
  });
});
