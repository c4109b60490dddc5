import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { EventStore } from '../../src/events/eventStore.js';
import { describeEachEngine, type OpenedEngine } from '../helpers/engines.js';
import { storedEvent } from '../helpers/events.js';

/*
 * What moving a data dir's events into another engine reads: every client's events in commit
 * order, page by page from a seq, every identity link, and per-client counts to check the copy.
 */

describeEachEngine('EventStore export and counts', (engine) => {
  let opened: OpenedEngine;
  let store: EventStore;
  before(async () => {
    opened = await engine.open();
    store = opened.store;
  });
  after(async () => opened.dispose());

  it('exports every client’s events in commit order, resuming after a seq, and counts a retry once', async () => {
    const t = Date.parse('2026-03-01T12:00:00Z');
    // Interleaved clients, and the second group repeats one uuid of the first (a retry).
    await store.append(
      [
        storedEvent({ client_id: 'x-b', uuid: 'b-1', timestamp: t + 5 }),
        storedEvent({ client_id: 'x-a', uuid: 'a-1', timestamp: t + 9 }),
        storedEvent({ client_id: 'x-b', uuid: 'b-2', timestamp: t + 1 }),
      ],
      [{ client_id: 'x-a', distinct_id: 'anon-1', person_id: 'user-1', created_at: t + 20 }],
    );
    await store.append(
      [storedEvent({ client_id: 'x-a', uuid: 'a-1', timestamp: t + 9 }), storedEvent({ client_id: 'x-a', uuid: 'a-2', timestamp: t })],
      [
        { client_id: 'x-b', distinct_id: 'anon-2', person_id: 'user-2', created_at: t + 10 },
        { client_id: 'x-a', distinct_id: 'anon-3', person_id: 'user-1', created_at: t + 30 },
      ],
    );

    const all = await store.exportEvents(0, 100);
    assert.deepEqual(
      all.map((e) => `${e.client_id}/${e.uuid}`),
      ['x-b/b-1', 'x-a/a-1', 'x-b/b-2', 'x-a/a-2'],
      'commit order across clients, the retry stored once',
    );
    assert.ok(all.every((e, i) => i === 0 || e.seq > all[i - 1]!.seq));
    assert.equal(all[0]!.timestamp, t + 5);

    // Page by page from the last seq seen: nothing skipped, nothing twice.
    const paged = [];
    let after = 0;
    for (;;) {
      const page = await store.exportEvents(after, 3);
      if (page.length === 0) break;
      paged.push(...page);
      after = page[page.length - 1]!.seq;
    }
    assert.deepEqual(paged, all);

    assert.deepEqual(
      (await store.exportLinks()).map((l) => [l.client_id, l.distinct_id, l.person_id, l.created_at]),
      [
        ['x-b', 'anon-2', 'user-2', t + 10],
        ['x-a', 'anon-1', 'user-1', t + 20],
        ['x-a', 'anon-3', 'user-1', t + 30],
      ],
    );
    assert.deepEqual(await store.counts(), [
      { client_id: 'x-a', events: 2, links: 2 },
      { client_id: 'x-b', events: 2, links: 1 },
    ]);
  });
});
