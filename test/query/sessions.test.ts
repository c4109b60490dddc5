import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { suiteApi } from '../helpers/api.js';
import { describeEachStoreAndEngine } from '../helpers/engines.js';
import { funnel, insert, rows, view } from './support.js';

/*
 * Session facts are taken from whole sessions, whatever the report groups or filters by (client
 * zone UTC, clock at 2026-03-01T12:00Z):
 *   s1, visitor a: /pricing 02-27 10:00, /checkout 10:01        (two pages, 60 s)
 *   s2, visitor b: /pricing 02-27 11:00                          (a bounce)
 * and identities linked two deep: anon → login → account, one person.
 */
const SESSIONS = [view('2026-02-27T10:00:00Z', '/pricing', 'a', 's1'), view('2026-02-27T10:01:00Z', '/checkout', 'a', 's1'), view('2026-02-27T11:00:00Z', '/pricing', 'b', 's2')];
const SESSION_METRICS = ['bounce_rate', 'avg_session_duration', 'views_per_session'];

describeEachStoreAndEngine('query API: whole sessions and identity chains', (kind, engine) => {
  const { api, newClient } = suiteApi(kind, 'sessions', engine);
  let c: string;
  before(async () => {
    c = await newClient();
    await insert(api(), c, SESSIONS);
  });

  it('computes session metrics per page from whole sessions', async () => {
    const byPath = await rows(api(), { client_id: c, metrics: ['sessions', ...SESSION_METRICS], dimensions: ['path'] });
    assert.deepEqual(byPath.rows, [
      ['/pricing', 2, 50, 30, 1.5],
      ['/checkout', 1, 0, 60, 2],
    ]);
  });

  it('keeps session metrics whole under an event filter', async () => {
    const pricing = await rows(api(), { client_id: c, metrics: ['sessions', ...SESSION_METRICS], filters: { path: '/pricing' } });
    assert.deepEqual(pricing.rows, [[2, 50, 30, 1.5]]);
    const checkout = await rows(api(), { client_id: c, metrics: ['sessions', ...SESSION_METRICS], filters: { path: '/checkout' } });
    assert.deepEqual(checkout.rows, [[1, 0, 60, 2]]);
    // Per day: s1 and s2 both started (and ended) on 02-27.
    const days = await rows(api(), { client_id: c, metric: 'bounce_rate', dimensions: ['day'], filters: { path: '/pricing' }, period: '7d' });
    assert.deepEqual(days.rows.find((r) => r[0] === '2026-02-27'), ['2026-02-27', 50]);
  });

  it('takes entry and exit paths from whole sessions, under filters too', async () => {
    const entry = await rows(api(), { client_id: c, metric: 'sessions', dimensions: ['entry_path', 'exit_path'], filters: { path: '/checkout' } });
    assert.deepEqual(entry.rows, [['/pricing', '/checkout', 1]]);
    const all = await rows(api(), { client_id: c, metric: 'sessions', dimensions: ['entry_path', 'exit_path'] });
    assert.deepEqual(all.rows, [
      ['/pricing', '/checkout', 1],
      ['/pricing', '/pricing', 1],
    ]);
  });

  it('follows identity links more than one deep, in reports and funnels', async () => {
    const chained = await newClient();
    await insert(
      api(),
      chained,
      [
        view('2026-02-27T10:00:00Z', '/home', 'anon', 'x1'),
        { ...view('2026-02-27T10:05:00Z', '/home', 'login', 'x1'), event: 'signup' },
        { ...view('2026-02-27T10:10:00Z', '/home', 'account', 'x1'), event: 'purchase' },
      ],
      [
        { distinct_id: 'anon', person_id: 'login' },
        { distinct_id: 'login', person_id: 'account' },
      ],
    );
    const visitors = await rows(api(), { client_id: chained, metrics: ['unique_visitors', 'events'] });
    assert.deepEqual(visitors.rows, [[1, 3]]);
    // By page, persons are resolved per event rather than after a first grouping (see report.ts).
    const byPage = await rows(api(), { client_id: chained, metrics: ['unique_visitors', 'page_views', 'sessions', 'events'], dimensions: ['path'] });
    assert.deepEqual(byPage.rows, [['/home', 1, 1, 1, 3]]);
    const steps = await funnel(api(), { client_id: chained, steps: [{ path: '/home' }, { event: 'signup' }, { event: 'purchase' }] });
    assert.equal(steps.status, 200, JSON.stringify(steps.body));
    assert.deepEqual(steps.body.data.steps.map((s) => s.count), [1, 1, 1]);
  });

  it('follows a chain of links up to eight deep, and no further', async () => {
    const chain = (length: number) => Array.from({ length }, (_, i) => ({ distinct_id: `id${i}`, person_id: `id${i + 1}` }));
    const visitorsOf = async (links: number, last: string): Promise<unknown> => {
      const client = await newClient();
      await insert(api(), client, [view('2026-02-27T10:00:00Z', '/home', 'id0', 'd1'), view('2026-02-27T10:01:00Z', '/home', last, 'd1')], chain(links));
      return (await rows(api(), { client_id: client, metric: 'unique_visitors' })).rows;
    };
    // id0 → … → id8 is eight links: one person.
    assert.deepEqual(await visitorsOf(8, 'id8'), [[1]]);
    // id9 is a ninth link away from id0: id0 stops at id8, and stays apart from id9.
    assert.deepEqual(await visitorsOf(9, 'id9'), [[2]]);
  });

  it('ends a loop of links (A → B, B → A) instead of following it forever', async () => {
    const looped = await newClient();
    await insert(
      api(),
      looped,
      [view('2026-02-27T10:00:00Z', '/home', 'A', 'l1'), view('2026-02-27T10:01:00Z', '/home', 'B', 'l1')],
      [
        { distinct_id: 'A', person_id: 'B' },
        { distinct_id: 'B', person_id: 'A' },
      ],
    );
    // The query ends: eight hops (an even number) bring each id of a two-id loop back to itself.
    const data = await rows(api(), { client_id: looped, metric: 'unique_visitors' });
    assert.deepEqual(data.rows, [[2]]);
  });

  it('counts later funnel steps after the period end (within the window), but not starts', async () => {
    const late = await newClient();
    await insert(api(), late, [
      view('2026-02-27T23:50:00Z', '/home', 'night', 'n1'),
      { ...view('2026-02-28T00:10:00Z', '/home', 'night', 'n1'), event: 'signup' },
      // Starts after the period's end are not starts.
      view('2026-02-28T00:05:00Z', '/home', 'morning', 'm1'),
      { ...view('2026-02-28T00:06:00Z', '/home', 'morning', 'm1'), event: 'signup' },
    ]);
    const res = await funnel(api(), { client_id: late, steps: [{ path: '/home' }, { event: 'signup' }], period: 'custom', from: '2026-02-27', to: '2026-02-27' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.data.steps.map((s) => s.count), [1, 1]);
  });

  it('counts a funnel step at the same millisecond as the previous one, never one event twice', async () => {
    const same = await newClient();
    const t = '2026-02-27T10:00:00.123Z';
    await insert(api(), same, [view(t, '/home', 'quick', 'q1'), { ...view(t, '/home', 'quick', 'q1'), event: 'signup', path: '/signup' }]);
    const res = await funnel(api(), { client_id: same, steps: [{ path: '/home' }, { event: 'signup' }] });
    assert.deepEqual(res.body.data.steps.map((s) => s.count), [1, 1]);
    // One /home view cannot be both step 1 and step 3.
    const back = await funnel(api(), { client_id: same, steps: [{ path: '/home' }, { event: 'signup' }, { path: '/home' }] });
    assert.deepEqual(back.body.data.steps.map((s) => s.count), [1, 1, 0]);
  });
});
