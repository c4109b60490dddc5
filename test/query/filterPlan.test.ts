import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planFilters } from '../../src/query/filters.js';
import { isTimeGrain, needsVisitSources, type EventScope } from '../../src/query/plan.js';
import { DIMENSIONS, FILTER_DIMENSIONS, SOURCE_DIMENSIONS } from '../../src/query/schemas.js';

describe('filters as plans carry them', () => {
  it('offers a filter on every dimension but the time ones, and only on those', () => {
    assert.deepEqual([...FILTER_DIMENSIONS].sort(), DIMENSIONS.filter((d) => !isTimeGrain(d)).sort());
    for (const source of SOURCE_DIMENSIONS) assert.ok((FILTER_DIMENSIONS as readonly string[]).includes(source), source);
  });

  it('turns every accepted shape into one of two conditions, null apart from the values', () => {
    assert.deepEqual(
      planFilters({
        country: 'US',
        path: { is: ['/a', null, '/a'] },
        browser: { is_not: [null] },
        os: { is_not: ['iOS'] },
        referrer_host: { contains: '50%_' },
        url_contains: '/x',
        include_bots: false,
      }),
      {
        country: { op: 'is', values: ['US'], none: false },
        path: { op: 'is', values: ['/a'], none: true },
        browser: { op: 'is_not', values: [], none: true },
        os: { op: 'is_not', values: ['iOS'], none: false },
        referrer_host: { op: 'contains', text: '50%_' },
        url_contains: '/x',
        include_bots: false,
      },
    );
    assert.deepEqual(planFilters({}), {});
  });

  it('reads sources from the visit only when attribution is visit and a source is asked', () => {
    const scope = (attribution: EventScope['attribution'], filters: EventScope['filters']): EventScope => ({ clientId: 'c', from: 0, to: 1, filters, ...(attribution ? { attribution } : {}) });
    const google = planFilters({ referrer_host: 'google.com' });
    assert.equal(needsVisitSources(scope('visit', google)), true);
    assert.equal(needsVisitSources(scope('visit', {}), ['utm_content']), true);
    assert.equal(needsVisitSources(scope('visit', planFilters({ path: '/', include_bots: true })), ['path', 'day']), false);
    assert.equal(needsVisitSources(scope('event', google), ['referrer_host']), false);
    assert.equal(needsVisitSources(scope(undefined, google), ['referrer_host']), false);
  });
});
