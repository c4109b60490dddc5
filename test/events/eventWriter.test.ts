import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import { Overloaded } from '../../src/pipeline/eventSink.js';
import { EventWriter } from '../../src/pipeline/eventWriter.js';
import { Journal } from '../../src/pipeline/journal.js';
import { storedEvent } from '../helpers/events.js';

describe('event writer: journal group commit in front of DuckDB', () => {
  let store: DuckDbEventStore;
  let dir: string;
  const quiet = (): void => undefined;
  beforeEach(async () => {
    store = await DuckDbEventStore.open(':memory:');
    await store.migrate();
    dir = mkdtempSync(join(tmpdir(), 'mythic-writer-'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  after(() => undefined);

  it('acknowledges once journaled, and every acknowledged event reaches the store exactly once', async () => {
    const writer = await EventWriter.open(store, dir, {}, quiet);
    const repeated = storedEvent({ client_id: 'w1' });
    await Promise.all(Array.from({ length: 40 }, (_, i) => writer.write([i === 0 || i === 39 ? repeated : storedEvent({ client_id: 'w1' })], [])));
    await writer.settled();
    assert.equal((await store.recentEvents('w1', { limit: 100 })).length, 39, 'the repeated uuid is stored once');
    assert.equal(writer.pendingEvents, 0);
    await writer.close();
  });

  it('groups writes that arrive during a journal append into fewer appends', async () => {
    const writer = await EventWriter.open(store, dir, {}, quiet);
    await Promise.all(Array.from({ length: 50 }, () => writer.write([storedEvent({ client_id: 'w2' })], [])));
    assert.ok(writer.stats.journalAppends < 10, `50 concurrent writes took ${writer.stats.journalAppends} journal appends`);
    await writer.settled();
    assert.equal((await store.recentEvents('w2', { limit: 100 })).length, 50);
    await writer.close();
  });

  it('makes one journal append at a time: what arrives during one shares the next', async () => {
    const writer = await EventWriter.open(store, dir, {}, quiet);
    // Issued together: the first goes to disk at once, the other two wait and share one append.
    // Parallel appends made each request pay for its own (measured slower, see Journal.append).
    await Promise.all([1, 2, 3].map(() => writer.write([storedEvent({ client_id: 'one-append' })], [])));
    assert.equal(writer.stats.journalAppends, 2);
    await writer.settled();
    assert.equal((await store.recentEvents('one-append', { limit: 10 })).length, 3);
    await writer.close();
  });

  it('starts a new segment once one is full, and deletes the full one only when told it is applied', async () => {
    const { journal } = await Journal.open(dir);
    // One line just over a segment's 16 MiB: the next append must go to a new segment.
    const big = `${JSON.stringify({ events: [], links: [], pad: 'x'.repeat(16 * 1024 * 1024) })}\n`;
    const first = await journal.append([Buffer.from(big)]);
    const record = `${JSON.stringify({ events: [storedEvent({ client_id: 'rotation' })], links: [] })}\n`;
    const second = await journal.append([Buffer.from(record)]);
    assert.equal(second, first + 1);
    assert.equal(journal.isCurrent(first), false);
    await journal.discard(second); // still taking appends: kept
    await journal.discard(first);
    await journal.close();
    const { journal: reopened, leftover } = await Journal.open(dir);
    assert.deepEqual(
      leftover.map((segment) => [segment.sequence, segment.records.length]),
      [[second, 1]],
    );
    await reopened.close();
  });

  it('replays every segment left by earlier runs, and the new segment gets a later sequence number', async () => {
    const record = (id: string) => `${JSON.stringify({ events: [storedEvent({ client_id: 'replay-segments', uuid: id })], links: [] })}\n`;
    const ids = [randomUUID(), randomUUID()];
    const sequences: number[] = [];
    // Two runs that crashed before applying anything: each leaves its own segment.
    for (const id of ids) {
      const { journal } = await Journal.open(dir);
      sequences.push(await journal.append([Buffer.from(record(id))]));
      await journal.close();
    }
    assert.notEqual(sequences[0], sequences[1]);
    const writer = await EventWriter.open(store, dir, {}, quiet);
    const stored = await store.recentEvents('replay-segments', { limit: 10 });
    assert.deepEqual(stored.map((e) => e.uuid).sort(), [...ids].sort());
    const fresh = readdirSync(dir).filter((name) => name.endsWith('.journal')).map((name) => Number.parseInt(name, 10));
    assert.equal(fresh.length, 1, 'the replayed segments are gone; one new segment takes appends');
    assert.ok(fresh.every((sequence) => sequence > Math.max(...sequences)));
    await writer.close();
  });

  it('refuses writes beyond the queue bound with Overloaded, and stores every accepted one', async () => {
    const writer = await EventWriter.open(store, dir, { maxQueuedEvents: 20, retryAfterSeconds: 2 }, quiet);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        writer.write([storedEvent({ client_id: 'w3', event: `e${i}` }), storedEvent({ client_id: 'w3', event: `e${i}` })], []).then(
          () => 'stored' as const,
          (error: unknown) => {
            assert.ok(error instanceof Overloaded);
            assert.equal(error.retryAfterSeconds, 2);
            return 'refused' as const;
          },
        ),
      ),
    );
    const stored = results.filter((r) => r === 'stored').length;
    assert.ok(results.includes('refused'), 'some writes were refused');
    assert.ok(stored >= 10, `${stored} writes accepted`);
    await writer.settled();
    assert.equal((await store.recentEvents('w3', { limit: 500 })).length, stored * 2);
    await writer.close();
  });

  it('says it is full before any work is spent on a request, and has room again once applied', async () => {
    const writer = await EventWriter.open(store, dir, { maxQueuedEvents: 3, retryAfterSeconds: 4 }, quiet);
    writer.assertCapacity();
    const accepted = writer.write([storedEvent({ client_id: 'w9' }), storedEvent({ client_id: 'w9' }), storedEvent({ client_id: 'w9' })], []);
    assert.throws(() => writer.assertCapacity(), (error: unknown) => error instanceof Overloaded && error.retryAfterSeconds === 4);
    await accepted;
    await writer.settled();
    writer.assertCapacity();
    await writer.close();
  });

  it('applies what a crashed process left in the journal, ignoring a torn last line, then removes it', async () => {
    const kept = [storedEvent({ client_id: 'w4', event: 'first' }), storedEvent({ client_id: 'w4', event: 'second' })];
    const link = { client_id: 'w4', distinct_id: 'anon-9', person_id: 'user-9', created_at: 5 };
    const lines = `${JSON.stringify({ events: [kept[0]], links: [link] })}\n${JSON.stringify({ events: [kept[1]], links: [] })}\n`;
    // A group whose append was cut by the crash: never acknowledged, so it must not appear.
    const torn = JSON.stringify({ events: [storedEvent({ client_id: 'w4', event: 'torn' })], links: [] }).slice(0, 80);
    writeFileSync(join(dir, '000000000007.journal'), lines + torn);
    const writer = await EventWriter.open(store, dir, {}, quiet);
    const rows = await store.recentEvents('w4', { limit: 10 });
    assert.deepEqual(rows.map((r) => r.event).sort(), ['first', 'second']);
    assert.deepEqual((await store.identityLinks('w4')).map((l) => l.person_id), ['user-9']);
    assert.ok(!existsSync(join(dir, '000000000007.journal')), 'the applied segment is gone');
    assert.ok(readdirSync(dir).some((name) => name === '000000000008.journal'), 'new writes go to the next segment');
    await writer.close();
  });

  it('applies a segment written before events had a region, a city and a link, storing them as unknown', async () => {
    const { region: _region, city: _city, link_id: _link, ...older } = storedEvent({ client_id: 'w8', country: 'DE' });
    writeFileSync(join(dir, '000000000003.journal'), `${JSON.stringify({ events: [older], links: [] })}\n`);
    const writer = await EventWriter.open(store, dir, {}, quiet);
    const [row] = await store.recentEvents('w8', { limit: 10 });
    assert.deepEqual([row?.uuid, row?.country, row?.region, row?.city, row?.link_id], [older.uuid, 'DE', null, null, null]);
    await writer.close();
  });

  it('applies a leftover segment that was already applied without storing anything twice', async () => {
    const event = storedEvent({ client_id: 'w5' });
    await store.append([event], []);
    writeFileSync(join(dir, '000000000001.journal'), `${JSON.stringify({ events: [event], links: [] })}\n`);
    const writer = await EventWriter.open(store, dir, {}, quiet);
    assert.equal((await store.recentEvents('w5', { limit: 10 })).length, 1);
    await writer.close();
  });

  it('sets aside a record the store refuses, and applies the others of its group', async () => {
    const writer = await EventWriter.open(store, dir, {}, quiet);
    // A missing event name breaks a NOT NULL column (ingestion never sends one).
    const poison = writer.write([storedEvent({ client_id: 'w6', event: null as unknown as string })], []);
    const good = writer.write([storedEvent({ client_id: 'w6', event: 'good' })], []);
    await Promise.all([poison, good]);
    await writer.settled();
    assert.deepEqual((await store.recentEvents('w6', { limit: 10 })).map((r) => r.event), ['good']);
    assert.equal(writer.stats.rejectedRecords, 1);
    assert.match(readFileSync(join(dir, 'rejected.jsonl'), 'utf8'), /"client_id":"w6"/);
    await writer.close();
  });

  it('sets aside only the record refused twice, not one the store failed once mid-pass (a network blip)', async () => {
    // The real store, with one append failing as a server going away for a moment would fail it:
    // the group's append (1) fails on the poison; alone, `good` (2) passes, `blip` (3) is cut.
    let appends = 0;
    const flaky = new Proxy(store, {
      get(target, name, receiver) {
        if (name !== 'append') return Reflect.get(target, name, receiver) as unknown;
        return (...args: Parameters<typeof store.append>) => {
          appends += 1;
          if (appends === 3) return Promise.reject(new Error('socket hang up'));
          return target.append(...args);
        };
      },
    });
    const writer = await EventWriter.open(flaky, dir, {}, quiet);
    const sent = [
      writer.write([storedEvent({ client_id: 'w12', event: 'good' })], []),
      writer.write([storedEvent({ client_id: 'w12', event: 'blip' })], []),
      writer.write([storedEvent({ client_id: 'w12', event: null as unknown as string })], []),
    ];
    await Promise.all(sent);
    await writer.settled();
    assert.deepEqual((await store.recentEvents('w12', { limit: 10 })).map((r) => r.event).sort(), ['blip', 'good']);
    assert.equal(writer.stats.rejectedRecords, 1, 'only the poison is set aside');
    await writer.close();
  });

  it('sets aside a refused record left in the journal by the last run instead of failing the start', async () => {
    const good = storedEvent({ client_id: 'w11', event: 'good' });
    const poison = storedEvent({ client_id: 'w11', event: null as unknown as string });
    writeFileSync(join(dir, '000000000003.journal'), `${JSON.stringify({ events: [poison], links: [] })}\n${JSON.stringify({ events: [good], links: [] })}\n`);
    const writer = await EventWriter.open(store, dir, {}, quiet);
    assert.deepEqual((await store.recentEvents('w11', { limit: 10 })).map((r) => r.event), ['good']);
    assert.equal(writer.stats.rejectedRecords, 1);
    assert.ok(!existsSync(join(dir, '000000000003.journal')), 'the replayed segment is gone');
    await writer.close();
  });

  it('drops in-flight events of a client forgotten by a hard delete, but not later ones', async () => {
    const writer = await EventWriter.open(store, dir, {}, quiet);
    const before = storedEvent({ client_id: 'w7', received_at: 1_000 });
    const recreated = storedEvent({ client_id: 'w7', received_at: 3_000 });
    await writer.forgetClient('w7', 2_000);
    await writer.write([before], []);
    await writer.write([recreated], []);
    await writer.settled();
    assert.deepEqual((await store.recentEvents('w7', { limit: 10 })).map((r) => r.uuid), [recreated.uuid]);
    await writer.close();
  });

  it('never brings a hard-deleted client’s events back when its journal segment is replayed after a crash', async () => {
    const first = await EventWriter.open(store, dir, {}, quiet);
    const event = storedEvent({ client_id: 'w10', received_at: 1_000 });
    await first.write([event], []);
    // Hard delete: forget, then remove from the store (what ClientsService does).
    await first.forgetClient('w10', 2_000);
    await store.deleteClient('w10');
    assert.ok(readdirSync(dir).some((name) => name.endsWith('.journal') && readFileSync(join(dir, name), 'utf8').includes(event.uuid)), 'the segment still holds the event');
    // A crash now: the first writer is never closed, and a new process opens the same journal.
    const second = await EventWriter.open(store, dir, {}, quiet);
    await second.settled();
    assert.equal((await store.recentEvents('w10', { limit: 10 })).length, 0, 'the erased event stayed erased');
    const recreated = storedEvent({ client_id: 'w10', received_at: 3_000 });
    await second.write([recreated], []);
    await second.settled();
    assert.deepEqual((await store.recentEvents('w10', { limit: 10 })).map((r) => r.uuid), [recreated.uuid], 'a client re-created later keeps its new events');
    await second.close();
  });

  it('drops every record of an erased life, even received after the erasure, and keeps the next life’s in the same millisecond', async () => {
    const writer = await EventWriter.open(store, dir, {}, quiet);
    const oldLife = { client_id: 'w12', life: 100, received_at: 2_500 };
    const newLife = { client_id: 'w12', life: 2_000, received_at: 2_000 };
    const late = storedEvent({ client_id: 'w12', received_at: 2_500, event: 'late' });
    const link = { client_id: 'w12', distinct_id: 'anon', person_id: 'old', created_at: 1 };
    await writer.forgetClient('w12', 2_000, 100);
    // Authenticated from the key cache for the old life just before the delete, journaled after it.
    await writer.write([late], [link], oldLife);
    const fresh = storedEvent({ client_id: 'w12', received_at: 2_000, event: 'fresh' });
    await writer.write([fresh], [{ ...link, person_id: 'new' }], newLife);
    await writer.settled();
    assert.deepEqual((await store.recentEvents('w12', { limit: 10 })).map((r) => r.event), ['fresh']);
    assert.deepEqual((await store.identityLinks('w12')).map((l) => l.person_id), ['new']);
    await writer.close();
  });

  it('replays a journal without an erased life’s records, and keeps the links of a backfill received after the erasure', async () => {
    const first = await EventWriter.open(store, dir, {}, quiet);
    await first.forgetClient('w13', 2_000, 100);
    const late = storedEvent({ client_id: 'w13', received_at: 2_500, event: 'late' });
    // Records as the ingest path writes them, and as an earlier version did (no provenance).
    const backfill = storedEvent({ client_id: 'w13', received_at: 3_000, timestamp: 10, event: '$identify' });
    const backfillLink = { client_id: 'w13', distinct_id: 'anon-b', person_id: 'person-b', created_at: 10 };
    const oldStyle = storedEvent({ client_id: 'w13', received_at: 3_000, timestamp: 10, event: 'old-style' });
    const oldStyleLink = { client_id: 'w13', distinct_id: 'anon-o', person_id: 'person-o', created_at: 10 };
    writeFileSync(
      join(dir, '000000000007.journal'),
      [
        { events: [late], links: [{ ...backfillLink, distinct_id: 'anon-late' }], from: { client_id: 'w13', life: 100, received_at: 2_500 } },
        { events: [backfill], links: [backfillLink], from: { client_id: 'w13', life: 2_900, received_at: 3_000 } },
        { events: [oldStyle], links: [oldStyleLink] },
      ]
        .map((record) => `${JSON.stringify(record)}\n`)
        .join(''),
    );
    // A crash: the first writer is never closed, and a new process opens the same journal.
    const second = await EventWriter.open(store, dir, {}, quiet);
    assert.deepEqual((await store.recentEvents('w13', { limit: 10 })).map((r) => r.event).sort(), ['$identify', 'old-style']);
    assert.deepEqual((await store.identityLinks('w13')).map((l) => l.distinct_id).sort(), ['anon-b', 'anon-o'], 'links go by received time, not the backfilled timestamp');
    await second.close();
  });

  it('refuses writes after close, and close waits for every acknowledged event', async () => {
    const writer = await EventWriter.open(store, dir, {}, quiet);
    const acknowledged = writer.write([storedEvent({ client_id: 'w8' })], []);
    await acknowledged;
    await writer.close();
    assert.equal((await store.recentEvents('w8', { limit: 10 })).length, 1);
    await assert.rejects(writer.write([storedEvent({ client_id: 'w8' })], []), /closed/);
  });
});
