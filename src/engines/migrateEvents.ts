import { readFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CommittedEvent, EventCount, EventStore, StoredEvent } from '../events/eventStore.js';
import { syncDirectory, writeFileDurably } from '../shared/durableFiles.js';

/**
 * Copies every event and identity link of one event engine into another (a data dir's DuckDB into
 * ClickHouse, when one machine is outgrown), through the engine contract only, so it works between
 * any two engines. Three properties make it safe to run on a large data dir:
 * - resumable: events go in commit (seq) order, and after each group the target has made durable
 *   the last seq copied is saved in a checkpoint file, so an interrupted copy goes on from there;
 * - idempotent: the target skips events it already holds (client and uuid) and links whose
 *   distinct_id it already links, so a rerun, or a group copied again after a crash between the
 *   insert and the checkpoint, stores nothing twice;
 * - verified: at the end both sides count events and links per client, and any difference is
 *   returned (the caller fails on it).
 * Nothing here knows about a command line: progress goes to a callback.
 */

/** What the checkpoint file holds. */
interface Checkpoint {
  /** Which target the copy goes to (no secret in it): another target starts over. */
  target: string;
  /** The highest seq of the source already in the target. */
  seq: number;
  /** How many events up to `seq` were copied, for the progress of a resumed copy. */
  copied: number;
}

export interface MigrationProgress {
  /** Events of the source up to the last seq copied (copied in earlier runs included). */
  copied: number;
  /** Events in the source. */
  total: number;
}

export interface MigrateEventsOptions {
  source: EventStore;
  target: EventStore;
  /** Names the target, without secrets: the checkpoint is tied to it. */
  targetIdentity: string;
  /** Where the checkpoint lives (in the source's data dir). */
  checkpointPath: string;
  /** Events read and appended per group; default 10,000. */
  batchSize?: number;
  /** Called once before the first group and after every group. */
  onProgress?: (progress: MigrationProgress) => void;
}

/** A client whose counts differ between the two sides after the copy. */
export interface CountMismatch {
  client_id: string;
  source: { events: number; links: number };
  target: { events: number; links: number };
}

export interface MigrationOutcome {
  /** The seq the copy started after (0: from the beginning; more: resumed from the checkpoint). */
  resumedAfterSeq: number;
  /** Events appended by this run and stored by the target. */
  stored: number;
  /** Events appended by this run that the target already held (a rerun, or a group copied again). */
  alreadyThere: number;
  /** Identity links offered to the target (each run offers all: they are few, and the target keeps the first). */
  links: number;
  /** Events and links in the source, summed over clients. */
  sourceTotals: { events: number; links: number };
  /** Per-client differences after the copy; empty when both sides agree. */
  mismatches: CountMismatch[];
}

const DEFAULT_BATCH_SIZE = 10_000;
/** Links per append: a few hundred kilobytes of rows. */
const LINK_BATCH_SIZE = 10_000;

export async function migrateEvents(options: MigrateEventsOptions): Promise<MigrationOutcome> {
  const { source, target, targetIdentity, checkpointPath } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const before = await source.counts();
  const total = before.reduce((sum, c) => sum + c.events, 0);
  const start = readCheckpoint(checkpointPath, targetIdentity);
  let seq = start?.seq ?? 0;
  let copied = start?.copied ?? 0;
  let stored = 0;
  let alreadyThere = 0;
  options.onProgress?.({ copied, total });
  for (;;) {
    const group = await source.exportEvents(seq, batchSize);
    if (group.length === 0) break;
    const outcome = await target.append(group.map(withoutSeq), []);
    // append resolves once the target holds the group durably: only then may the checkpoint pass it.
    seq = (group[group.length - 1] as CommittedEvent).seq;
    copied += group.length;
    stored += group.length - outcome.duplicateIndexes.length;
    alreadyThere += outcome.duplicateIndexes.length;
    writeCheckpoint(checkpointPath, { target: targetIdentity, seq, copied });
    options.onProgress?.({ copied: Math.min(copied, total), total });
  }
  // Oldest first, so that where the source's first link of a distinct_id won, the target's does too.
  const links = await source.exportLinks();
  for (let i = 0; i < links.length; i += LINK_BATCH_SIZE) await target.append([], links.slice(i, i + LINK_BATCH_SIZE));
  const [sourceCounts, targetCounts] = await Promise.all([source.counts(), target.counts()]);
  return {
    resumedAfterSeq: start?.seq ?? 0,
    stored,
    alreadyThere,
    links: links.length,
    sourceTotals: {
      events: sourceCounts.reduce((sum, c) => sum + c.events, 0),
      links: sourceCounts.reduce((sum, c) => sum + c.links, 0),
    },
    mismatches: compareCounts(sourceCounts, targetCounts),
  };
}

function withoutSeq(event: CommittedEvent): StoredEvent {
  const { seq: _seq, ...stored } = event;
  return stored;
}

/** Every client present on either side whose events or links differ. */
export function compareCounts(source: EventCount[], target: EventCount[]): CountMismatch[] {
  const zero = { events: 0, links: 0 };
  const bySource = new Map(source.map((c) => [c.client_id, c]));
  const byTarget = new Map(target.map((c) => [c.client_id, c]));
  const clients = [...new Set([...bySource.keys(), ...byTarget.keys()])].sort();
  const mismatches: CountMismatch[] = [];
  for (const client_id of clients) {
    const s = bySource.get(client_id) ?? zero;
    const t = byTarget.get(client_id) ?? zero;
    if (s.events !== t.events || s.links !== t.links) {
      mismatches.push({ client_id, source: { events: s.events, links: s.links }, target: { events: t.events, links: t.links } });
    }
  }
  return mismatches;
}

/** The checkpoint for this target, or undefined (none, another target's, or unreadable: start over). */
function readCheckpoint(path: string, target: string): Checkpoint | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Checkpoint>;
    const valid = parsed.target === target && Number.isSafeInteger(parsed.seq) && Number.isSafeInteger(parsed.copied);
    return valid ? (parsed as Checkpoint) : undefined;
  } catch {
    // Starting over is always correct (the target skips what it has); only slower.
    return undefined;
  }
}

/** Written to a temporary file, synced and renamed over the old one: a crash leaves one or the other whole. */
function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  const temporary = `${path}.tmp`;
  writeFileDurably(temporary, `${JSON.stringify(checkpoint)}\n`, 0o600);
  renameSync(temporary, path);
  syncDirectory(dirname(path));
}
