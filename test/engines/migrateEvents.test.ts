import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import { migrateEvents, type MigrationProgress } from '../../src/engines/migrateEvents.js';
import type { EventCount, EventStore, IdentityLink, StoredEvent } from '../../src/events/eventStore.js';
import { CLICKHOUSE_SKIP_REASON, openClickHouseTestStore } from '../helpers/clickhouseEngine.js';
import { storedEvent } from '../helpers/events.js';

/**
 * The copy between two real engines: a DuckDB source (as a data dir holds it) into each kind of
 * target, DuckDB and ClickHouse through chDB, since the copy only uses the engine contract.
 */

interface Target {
  store: EventStore;
  dispose(): Promise<void>;
}

const TARGETS: { name: string; skip: string | undefined; open(): Promise<Target> }[] = [
  {
    name: 'DuckDB',
    skip: undefined,
    open: async () => {
      const store = await DuckDbEventStore.open(':memory:');
      await store.migrate();
      return { store, dispose: () => store.close() };
    },
  },
  { name: 'ClickHouse (chDB)', skip: CLICKHOUSE_SKIP_REASON, open: openClickHouseTestStore },
];

const sortedCounts = async (store: EventStore): Promise<EventCount[]> =>
  (await store.counts()).sort((a, b) => (a.client_id < b.client_id ? -1 : 1));

const CLIENTS = ['acme', 'globex', 'initech'];
const EVENTS = 2_500;

/** Events of three clients, interleaved as ingestion stores them, and identity links, one chain with a second claim. */
function sourceRows(): { events: StoredEvent[]; links: IdentityLink[] } {
  const start = Date.parse('2026-03-01T00:00:00.000Z');
  const events = Array.from({ length: EVENTS }, (_, i) =>
    storedEvent({
      client_id: CLIENTS[i % CLIENTS.length] as string,
      uuid: `event-${i}`,
      distinct_id: `visitor-${i % 97}`,
      timestamp: start + i * 60_000,
      received_at: start + i * 60_000 + 5,
      path: `/page-${i % 13}`,
      // Places, some partial: every location column must survive the copy.
      ...(i % 3 === 0 ? {} : { country: 'SE', region: 'Östergötland County', city: i % 3 === 1 ? 'Linköping' : null }),
      // Some came through a short link: the link must survive the copy too.
      ...(i % 4 === 0 ? { link_id: `lnk_${String(i % 8).repeat(12)}` } : {}),
      // Text that must survive the copy unchanged.
      properties: JSON.stringify({ n: i, note: 'ünïcode ✓ "quoted"\n' }),
    }),
  );
  const links: IdentityLink[] = [
    { client_id: 'acme', distinct_id: 'visitor-1', person_id: 'customer-1', created_at: start + 1 },
    { client_id: 'acme', distinct_id: 'visitor-2', person_id: 'customer-1', created_at: start + 2 },
    // A later claim on visitor-1: the first link wins in the source, and must in the target too.
    { client_id: 'acme', distinct_id: 'visitor-1', person_id: 'customer-9', created_at: start + 3 },
    { client_id: 'globex', distinct_id: 'visitor-3', person_id: 'customer-3', created_at: start + 4 },
  ];
  return { events, links };
}

describe('migrateEvents', () => {
  let work: string;
  let source: DuckDbEventStore;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'mythic-migrate-'));
    source = await DuckDbEventStore.open(join(work, 'events.duckdb'));
    await source.migrate();
    const { events, links } = sourceRows();
    // Several appends, so seqs come from several commits as they do in a real data dir.
    for (let i = 0; i < events.length; i += 400) await source.append(events.slice(i, i + 400), i === 0 ? links : []);
  });
  after(async () => {
    await source.close();
    rmSync(work, { recursive: true, force: true });
  });

  for (const kind of TARGETS) {
    describe(`into ${kind.name}`, { skip: kind.skip }, () => {
      let target: Target;
      let checkpointPath: string;
      before(async () => {
        target = await kind.open();
        checkpointPath = join(work, `checkpoint-${kind.name.replace(/\W/g, '')}.json`);
      });
      after(() => target.dispose());

      it('copies every event and link, checkpointing after each group, and verifies the counts', async () => {
        const progress: MigrationProgress[] = [];
        const outcome = await migrateEvents({
          source,
          target: target.store,
          targetIdentity: 'target-a',
          checkpointPath,
          batchSize: 1_000,
          onProgress: (p) => progress.push(p),
        });
        assert.deepEqual(outcome.mismatches, []);
        assert.equal(outcome.stored, EVENTS);
        assert.equal(outcome.alreadyThere, 0);
        assert.equal(outcome.resumedAfterSeq, 0);
        assert.deepEqual(outcome.sourceTotals, { events: EVENTS, links: 3 });
        assert.deepEqual(
          progress.map((p) => p.copied),
          [0, 1_000, 2_000, 2_500],
        );
        assert.ok(progress.every((p) => p.total === EVENTS));
        assert.deepEqual(await sortedCounts(target.store), await sortedCounts(source));
        // The rows themselves, not just their number.
        const copied = await target.store.exportEvents(0, EVENTS + 10);
        const original = await source.exportEvents(0, EVENTS + 10);
        const byUuid = new Map(copied.map(({ seq: _seq, ...event }) => [`${event.client_id}/${event.uuid}`, event]));
        assert.equal(byUuid.size, EVENTS);
        for (const { seq: _seq, ...event } of original) assert.deepEqual(byUuid.get(`${event.client_id}/${event.uuid}`), event);
        // First link wins on both sides.
        const links = await target.store.identityLinks('acme');
        assert.deepEqual(links.map((l) => [l.distinct_id, l.person_id]).sort(), [['visitor-1', 'customer-1'], ['visitor-2', 'customer-1']]);
        const checkpoint = JSON.parse(readFileSync(checkpointPath, 'utf8')) as { target: string; seq: number; copied: number };
        assert.equal(checkpoint.target, 'target-a');
        assert.equal(checkpoint.copied, EVENTS);
        assert.equal(checkpoint.seq, original.at(-1)?.seq);
      });

      it('run again, copies nothing new; without its checkpoint, stores nothing twice', async () => {
        const again = await migrateEvents({ source, target: target.store, targetIdentity: 'target-a', checkpointPath, batchSize: 1_000 });
        assert.equal(again.stored + again.alreadyThere, 0, 'the checkpoint says everything is there');
        assert.deepEqual(again.mismatches, []);
        rmSync(checkpointPath);
        const fromScratch = await migrateEvents({ source, target: target.store, targetIdentity: 'target-a', checkpointPath, batchSize: 1_000 });
        assert.equal(fromScratch.stored, 0);
        assert.equal(fromScratch.alreadyThere, EVENTS);
        assert.deepEqual(fromScratch.mismatches, []);
        assert.deepEqual(await sortedCounts(target.store), await sortedCounts(source));
        assert.equal((await target.store.exportEvents(0, EVENTS * 3)).length, EVENTS, 'no event stored twice');
      });
    });

    describe(`into ${kind.name}, interrupted`, { skip: kind.skip }, () => {
      let target: Target;
      let checkpointPath: string;
      before(async () => {
        target = await kind.open();
        checkpointPath = join(work, `interrupted-${kind.name.replace(/\W/g, '')}.json`);
      });
      after(() => target.dispose());

      it('goes on from the checkpoint, and a checkpoint of another target starts over', async () => {
        const interruption = new Error('interrupted');
        await assert.rejects(
          migrateEvents({
            source,
            target: target.store,
            targetIdentity: 'target-b',
            checkpointPath,
            batchSize: 700,
            onProgress: (p) => {
              if (p.copied >= 1_400) throw interruption;
            },
          }),
          interruption,
        );
        const checkpoint = JSON.parse(readFileSync(checkpointPath, 'utf8')) as { seq: number; copied: number };
        assert.equal(checkpoint.copied, 1_400);
        const resumed = await migrateEvents({ source, target: target.store, targetIdentity: 'target-b', checkpointPath, batchSize: 700 });
        assert.equal(resumed.resumedAfterSeq, checkpoint.seq);
        assert.equal(resumed.stored, EVENTS - 1_400, 'only the rest was copied');
        assert.equal(resumed.alreadyThere, 0);
        assert.deepEqual(resumed.mismatches, []);

        // Another target's checkpoint (here: a different identity) is not this one's: start over.
        writeFileSync(checkpointPath, JSON.stringify({ target: 'elsewhere', seq: checkpoint.seq, copied: 1_400 }));
        const other = await migrateEvents({ source, target: target.store, targetIdentity: 'target-b', checkpointPath, batchSize: 5_000 });
        assert.equal(other.resumedAfterSeq, 0);
        assert.equal(other.alreadyThere, EVENTS);
        // An unreadable checkpoint is no checkpoint either.
        writeFileSync(checkpointPath, '{"target":"target-b","seq":');
        const damaged = await migrateEvents({ source, target: target.store, targetIdentity: 'target-b', checkpointPath, batchSize: 5_000 });
        assert.equal(damaged.resumedAfterSeq, 0);
        assert.deepEqual(damaged.mismatches, []);
      });

      it('names every client whose counts differ', async () => {
        await target.store.append([storedEvent({ client_id: 'globex', uuid: 'only-in-the-target' }), storedEvent({ client_id: 'hooli', uuid: 'x' })], []);
        const outcome = await migrateEvents({ source, target: target.store, targetIdentity: 'target-b', checkpointPath });
        const globex = (await source.counts()).find((c) => c.client_id === 'globex');
        assert.deepEqual(outcome.mismatches, [
          { client_id: 'globex', source: { events: globex?.events, links: 1 }, target: { events: (globex?.events ?? 0) + 1, links: 1 } },
          { client_id: 'hooli', source: { events: 0, links: 0 }, target: { events: 1, links: 0 } },
        ]);
      });
    });
  }
});
