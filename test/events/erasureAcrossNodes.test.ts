import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, it } from 'node:test';
import { ClientsService } from '../../src/clients/service.js';
import { DuckDbEventStore } from '../../src/engines/duckdb/duckdbEventStore.js';
import type { IdentityLink } from '../../src/events/eventStore.js';
import type { ClientLives } from '../../src/pipeline/erasures.js';
import { EventWriter } from '../../src/pipeline/eventWriter.js';
import { storedEvent } from '../helpers/events.js';
import { describeEachStore, type OpenedStore } from '../helpers/stores.js';

/** The applier's longest apply in these tests: the second erasure comes this long after the delete. */
const BOUND_MS = 300;
const quiet = (): void => undefined;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Several nodes share one EventStore and one MetaStore, each with its own journal: two
 * EventWriters here. Node B holds journaled records of a client that node A hard-deletes; B must
 * not bring that life back, whenever it applies them, and a client created again keeps its events.
 */
describeEachStore('a hard delete on one node, records of the old life on another', (kind) => {
  let opened: OpenedStore;
  let events: DuckDbEventStore;
  let dirs: string[];
  let now: number;
  let clients: ClientsService;
  let nodeA: EventWriter;
  const writers: EventWriter[] = [];
  const lives: ClientLives = (ids) => opened.store.clientLives(ids);

  const openNode = async (lifeCheck: ClientLives = lives): Promise<EventWriter> => {
    const dir = mkdtempSync(join(tmpdir(), 'mythic-node-'));
    dirs.push(dir);
    const writer = await EventWriter.open(events, dir, { maxApplyMs: BOUND_MS }, quiet, lifeCheck);
    writers.push(writer);
    return writer;
  };
  /** Creates the client (a new life: created_at from the moving clock) and returns that life. */
  const create = async (id: string): Promise<number> => {
    now += 1_000;
    const created = await clients.create({ id, name: id });
    return Date.parse(created.created_at);
  };
  const record = (id: string, life: number, tag: string) => ({
    events: [storedEvent({ client_id: id, event: tag, received_at: now })],
    links: [{ client_id: id, distinct_id: `anon-${tag}`, person_id: `person-${tag}`, created_at: now }] as IdentityLink[],
    from: { client_id: id, life, received_at: now },
  });
  const stored = async (id: string): Promise<{ events: string[]; persons: string[] }> => ({
    events: (await events.recentEvents(id, { limit: 100 })).map((e) => e.event).sort(),
    persons: (await events.identityLinks(id)).map((l) => l.person_id).sort(),
  });

  beforeEach(async () => {
    opened = await kind.open();
    events = await DuckDbEventStore.open(':memory:');
    await events.migrate();
    dirs = [];
    now = Date.parse('2026-03-01T12:00:00.000Z');
    nodeA = await openNode();
    // Node A's client service, wired as the app wires it.
    clients = new ClientsService(opened.store, () => now, (client) => nodeA.eraseClient(client.id, now, client.created_at));
  });
  afterEach(async () => {
    for (const writer of writers.splice(0)) await writer.close();
    await events.close();
    await opened.dispose();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('drops the old life’s records another node applies after the delete, and keeps the new life’s', async () => {
    const nodeB = await openNode();
    const oldLife = await create('shared');
    const old = record('shared', oldLife, 'old');
    // Acknowledged by B: journaled there, lingering before its apply.
    await nodeB.write(old.events, old.links, old.from);
    assert.equal(nodeB.pendingEvents, 1);
    await clients.remove('shared', true);
    const newLife = await create('shared');
    const fresh = record('shared', newLife, 'new');
    await nodeB.write(fresh.events, fresh.links, fresh.from);
    const viaA = record('shared', newLife, 'new-via-a');
    await nodeA.write(viaA.events, viaA.links, viaA.from);
    await Promise.all([nodeA.settled(), nodeB.settled()]);
    await pause(BOUND_MS * 3);
    assert.deepEqual(await stored('shared'), { events: ['new', 'new-via-a'], persons: ['person-new', 'person-new-via-a'] });
    assert.equal(nodeB.stats.erasedRecords, 1, 'B dropped the old life’s record');
  });

  it('erases once more after the bound what a batch checked just before the delete stored after it', async () => {
    // Node B's check answers from the MetaStore before the delete, and its apply goes on only
    // after node A's first erasure: the race the second erasure is there for.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let checked: () => void = () => undefined;
    const checkedBeforeDelete = new Promise<void>((resolve) => (checked = resolve));
    const nodeB = await openNode(async (ids) => {
      const answer = await lives(ids);
      if (ids.includes('raced')) {
        checked();
        await held;
      }
      return answer;
    });
    const life = await create('raced');
    const old = record('raced', life, 'old');
    await nodeB.write(old.events, old.links, old.from);
    const applied = nodeB.settled();
    await checkedBeforeDelete;
    await clients.remove('raced', true);
    release();
    await applied;
    assert.equal(nodeB.stats.applyTransactions, 1, 'the raced batch was stored after the first erasure');
    const deadline = Date.now() + BOUND_MS * 10;
    while ((await stored('raced')).events.length > 0 && Date.now() < deadline) await pause(25);
    assert.deepEqual(await stored('raced'), { events: [], persons: [] }, 'nothing of the old life remains after the bound');
  });

  it('erases for itself what an apply longer than the bound stored after the erasing node’s second pass', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let checked: () => void = () => undefined;
    const checkedBeforeDelete = new Promise<void>((resolve) => (checked = resolve));
    const nodeB = await openNode(async (ids) => {
      const answer = await lives(ids);
      if (ids.includes('slow') && answer.has('slow')) {
        checked();
        await held;
      }
      return answer;
    });
    const life = await create('slow');
    const old = record('slow', life, 'old');
    await nodeB.write(old.events, old.links, old.from);
    const applied = nodeB.settled();
    await checkedBeforeDelete;
    await clients.remove('slow', true);
    // Past node A's second erasure: only B itself can notice what it stored.
    await pause(BOUND_MS * 4);
    release();
    await applied;
    assert.deepEqual(await stored('slow'), { events: [], persons: [] });
  });

  it('keeps the records journaled while the MetaStore does not answer, and applies them once it does', async () => {
    let failures = 2;
    const nodeB = await openNode(async (ids) => {
      if (failures > 0) {
        failures--;
        throw new Error('connection refused');
      }
      return lives(ids);
    });
    const life = await create('unsure');
    // Two records in one batch: the second question (for the first record alone) fails too, and
    // must not make that record look like one the EventStore refuses.
    const [first, second] = [record('unsure', life, 'first'), record('unsure', life, 'second')];
    await Promise.all([nodeB.write(first.events, first.links, first.from), nodeB.write(second.events, second.links, second.from)]);
    await nodeB.settled();
    assert.equal(failures, 0);
    assert.deepEqual(await stored('unsure'), { events: ['first', 'second'], persons: ['person-first', 'person-second'] });
    assert.equal(nodeB.stats.rejectedRecords, 0, 'a MetaStore that does not answer sets no record aside');
  });

  it('asks the MetaStore for the lives of a batch’s clients in one question, any number and any id', async () => {
    const odd = await create('it\'s "ödd", 100%_');
    const plain = await create('plain');
    const unknown = Array.from({ length: 40_000 }, (_, i) => `absent-${i}`);
    const answer = await opened.store.clientLives(['plain', ...unknown, 'it\'s "ödd", 100%_', 'plain']);
    assert.deepEqual([...answer].sort(), [
      ['it\'s "ödd", 100%_', odd],
      ['plain', plain],
    ]);
    assert.equal((await opened.store.clientLives([])).size, 0);
  });

  it('leaves a second erasure that a stop cut short of the bound to the next start, which erases a batch landing late', async () => {
    const life = await create('stopped');
    await clients.remove('stopped', true);
    // Node A stops right after the delete, well within the bound: its pass cannot have waited it.
    await nodeA.close();
    // A batch node B checked before the delete lands now, after A's early erasure.
    const late = record('stopped', life, 'late');
    await events.append(late.events, late.links);
    const restarted = await EventWriter.open(events, dirs[0] as string, { maxApplyMs: BOUND_MS }, quiet, lives);
    writers.push(restarted);
    const deadline = Date.now() + BOUND_MS * 10;
    while ((await stored('stopped')).events.length > 0 && Date.now() < deadline) await pause(25);
    assert.deepEqual(await stored('stopped'), { events: [], persons: [] }, 'the restarted node ran the owed pass');
  });

  it('runs at its next start a second erasure that a stop cut off, once', async () => {
    // What a node left when killed between its first and second erasure of two clients: one
    // stayed deleted (a raced batch stored its event after the first), one was created again.
    const dir = mkdtempSync(join(tmpdir(), 'mythic-node-'));
    dirs.push(dir);
    const newLife = await create('back');
    const erasures = [
      { client_id: 'gone', at: 1_000, life: 500 },
      { client_id: 'back', at: 1_000, life: 600 },
    ];
    writeFileSync(join(dir, 'erasures.jsonl'), erasures.map((e) => `${JSON.stringify(e)}\n`).join(''));
    await events.append([storedEvent({ client_id: 'gone', event: 'raced' }), storedEvent({ client_id: 'back', event: 'new-life' })], []);
    const againLines = (): unknown[] =>
      readFileSync(join(dir, 'erasures.jsonl'), 'utf8')
        .split('\n')
        .filter((line) => line.includes('erased_again'))
        .map((line) => JSON.parse(line) as unknown);
    const restarted = await EventWriter.open(events, dir, { maxApplyMs: BOUND_MS }, quiet, lives);
    const deadline = Date.now() + BOUND_MS * 10;
    while (againLines().length < 2 && Date.now() < deadline) await pause(25);
    await restarted.close();
    assert.deepEqual((await stored('gone')).events, [], 'the cut-off second erasure ran');
    assert.deepEqual((await stored('back')).events, ['new-life'], 'a client created again keeps its events');
    assert.deepEqual(
      againLines().map((line) => (line as { client_id: string }).client_id).sort(),
      ['back', 'gone'],
    );
    assert.ok(newLife !== 600);
    // Started again: both are done, nothing runs twice.
    const again = await EventWriter.open(events, dir, { maxApplyMs: BOUND_MS }, quiet, lives);
    await pause(BOUND_MS * 2);
    await again.close();
    assert.equal(againLines().length, 2);
  });
});
