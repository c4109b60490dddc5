import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultState, formatState, parseFilter, parseState, withFilter, type PageState } from '../../web/src/analytics/urlState.js';

describe('the analytics page state in the URL', () => {
  it('round-trips every part: period, comparison, bots, filters, funnel steps and tabs', () => {
    const state: PageState = {
      period: { name: 'custom', from: '2026-01-01', to: '2026-01-31' },
      compare: true,
      includeBots: true,
      filters: [
        { dimension: 'country', op: 'is', values: ['DE', 'FR'] },
        { dimension: 'path', op: 'contains', values: ['/a,b:c&d=e f%'] },
        { dimension: 'referrer_host', op: 'is_not', values: [null, 'google.com'] },
      ],
      steps: [
        { path: '/pricing?x=1,2' },
        { event: 'Sign up: done' },
      ],
      tabs: { pages: 'entry_path', locations: 'map' },
    };
    const query = formatState(state);
    assert.deepEqual(parseState(query), state);
    assert.deepEqual(parseState(`?${query}`), state, 'a leading ? is accepted');
  });

  it('leaves defaults out, so the plain page has a plain link', () => {
    assert.equal(formatState(defaultState()), '');
    assert.equal(formatState({ ...defaultState(), period: { name: '7d', from: '', to: '' }, compare: true }), 'period=7d&compare=1');
    assert.deepEqual(parseState(''), defaultState());
  });

  it('reads a readable filter link as written by hand', () => {
    assert.deepEqual(parseState('f=country:is:DE').filters, [{ dimension: 'country', op: 'is', values: ['DE'] }]);
    assert.deepEqual(parseState('f=referrer_host:is:').filters, [{ dimension: 'referrer_host', op: 'is', values: [null] }], 'an empty value is (none)');
  });

  it('ignores malformed parameters one by one, never throwing', () => {
    const malformed = [
      'period=forever',
      'period=custom&from=2026-02-30&to=2026-03-01',
      'period=custom&from=2026-03-02&to=2026-03-01',
      'period=custom&from=2026-03-01',
      'f=nope:is:x',
      'f=country:maybe:DE',
      'f=country:is',
      'f=country:contains:',
      'f=country:contains:a,b',
      'f=path:is:%E0%A4%A',
      `f=path:is:${Array.from({ length: 51 }, (_, i) => i).join(',')}`,
      'f=country:is:DE:extra',
      'steps=walk:/',
      'steps=path:%E0',
      `steps=${Array.from({ length: 9 }, () => 'path:/').join(',')}`,
      'pages=<script>',
      'compare=%',
      '&&=&f&steps&period',
    ];
    for (const query of malformed) {
      const parsed = parseState(query);
      assert.deepEqual({ ...parsed, compare: false }, defaultState(), query);
    }
    // A good parameter next to a bad one still counts.
    const mixed = parseState('period=nope&compare=1&f=bad&f=os:is_not:Linux');
    assert.equal(mixed.period.name, '30d');
    assert.equal(mixed.compare, true);
    assert.deepEqual(mixed.filters, [{ dimension: 'os', op: 'is_not', values: ['Linux'] }]);
  });

  it('keeps one operator per dimension, as the API takes it: the later clause wins', () => {
    assert.deepEqual(parseState('f=country:is:DE&f=country:is_not:FR').filters, [{ dimension: 'country', op: 'is_not', values: ['FR'] }]);
    const filters = withFilter([{ dimension: 'country', op: 'is', values: ['DE'] }, { dimension: 'os', op: 'is', values: ['Linux'] }], { dimension: 'country', op: 'is', values: ['FR'] });
    assert.deepEqual(filters, [
      { dimension: 'os', op: 'is', values: ['Linux'] },
      { dimension: 'country', op: 'is', values: ['FR'] },
    ]);
  });

  it('writes funnel steps readably', () => {
    assert.equal(formatState({ ...defaultState(), steps: [{ path: '/' }, { event: 'Signup' }] }), 'steps=path:/,event:Signup');
    assert.deepEqual(parseState('steps=path:/,event:Signup').steps, [{ path: '/' }, { event: 'Signup' }]);
  });

  it('parses a filter clause alone', () => {
    assert.equal(formatState({ ...defaultState(), filters: [{ dimension: 'path', op: 'is', values: ['/blog/a,b'] }] }), 'f=path:is:/blog/a%2Cb');
    assert.deepEqual(parseFilter('event:contains:sign%20up'), { dimension: 'event', op: 'contains', values: ['sign up'] });
    assert.equal(parseFilter(''), null);
  });
});
