import { constants, existsSync, mkdirSync, readdirSync, readFileSync, truncateSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { IdentityLink, StoredEvent } from '../events/eventStore.js';
import { syncDirectory, writeFileDurably } from '../shared/durableFiles.js';

/**
 * Which life of which client a request's events were accepted for, and when the server received
 * them: what erasure decisions go by (never the sender's timestamps).
 */
export interface Provenance {
  client_id: string;
  /**
   * The client's `created_at` as read when the request was authenticated: one value per life of a
   * client id, since a client created again after a hard delete is created later.
   */
  life: number;
  /** Epoch ms. */
  received_at: number;
}

/** What one journal line holds: the events and identity links of one acknowledged group. */
export interface JournalRecord {
  events: StoredEvent[];
  links: IdentityLink[];
  /** Absent in records written before lives were recorded (and by callers without a request). */
  from?: Provenance;
}

/** A segment takes appends until it reaches this size; it is deleted once all its records are in the EventStore. */
const SEGMENT_MAX_BYTES = 16 * 1024 * 1024;
/**
 * How far ahead of its records a segment is filled with zeros, and in what steps. A synchronous
 * write that grows a file must also make its new size durable (a commit of the file system's own
 * journal); one over bytes already written need not. On this machine a 700-byte append took
 * 0.185 ms on average against 0.234 (medians of seven alternated runs; see README, Ingestion).
 * The step is small enough to write between two appends (about 2.5 ms) and large enough to be rare.
 */
const ZERO_FILL_STEP_BYTES = 1024 * 1024;
/** What a fill writes: never changed, so one buffer serves every fill. */
const ZEROS = Buffer.alloc(ZERO_FILL_STEP_BYTES);
const SEGMENT_SUFFIX = '.journal';
const REJECTED_FILE = 'rejected.jsonl';
/** Hard-deleted clients and when: replaying a segment must not bring their events back. */
const ERASURES_FILE = 'erasures.jsonl';

export interface Erasure {
  client_id: string;
  /** When the server erased the client (epoch ms). */
  at: number;
  /**
   * The erased life (the client's `created_at`): every record of it is gone for good, whenever it
   * was received. Absent in erasures recorded before lives were: those erase what was received up
   * to `at`.
   */
  life?: number;
  /**
   * Set on the line that says the second erasure of this life ran (nodes sharing an EventStore
   * erase again after the applier's longest apply): a node restarted before it runs it at start.
   */
  erased_again?: true;
}

const segmentName = (sequence: number): string => `${String(sequence).padStart(12, '0')}${SEGMENT_SUFFIX}`;

/**
 * The write-ahead journal in front of the EventStore. An acknowledged event is one that is in a
 * journal segment on disk (a synchronous O_DSYNC write); it reaches DuckDB moments later, applied in
 * large groups, and its segment is deleted only once DuckDB has committed it. After a crash every
 * remaining segment is applied again: the EventStore stores each (client_id, uuid) once, so a
 * segment that was applied but not yet deleted is harmless.
 *
 * Why not acknowledge after the DuckDB commit itself: a DuckDB transaction costs 5–15 ms on
 * this machine however few rows it holds, which caps a busy site's browsers at a few hundred
 * requests per second, while a synchronous journal write costs about 0.15 ms.
 */
export class Journal {
  /**
   * The last write to the segments, an append or a zero fill: each waits for the one before, so
   * no two ever write at once (both write at positions, and would overwrite each other).
   */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    /** The segment taking appends. */
    private current: Segment,
  ) {
    this.fillAhead();
  }

  /**
   * Opens the journal in `dir` (created if needed). Returns the records of the segments left by an
   * earlier process, oldest first, which the caller must apply before anything else, and then
   * `discard`.
   */
  static async open(dir: string): Promise<{ journal: Journal; leftover: LeftoverSegment[]; erasures: Erasure[] }> {
    mkdirSync(dir, { recursive: true });
    const sequences = readdirSync(dir)
      .filter((name) => name.endsWith(SEGMENT_SUFFIX))
      .map((name) => Number.parseInt(name, 10))
      .filter(Number.isSafeInteger)
      .sort((a, b) => a - b);
    const leftover = sequences.map((sequence) => ({ sequence, ...readSegment(join(dir, segmentName(sequence))) }));
    const journal = new Journal(dir, await createSegment(dir, (sequences.at(-1) ?? 0) + 1));
    return { journal, leftover, erasures: readLines<Erasure>(join(dir, ERASURES_FILE)) };
  }

  /** Whether appends still go to the segment (so it must not be deleted yet). */
  isCurrent(sequence: number): boolean {
    return sequence === this.current.sequence;
  }

  /**
   * Appends lines (each one JSON record and a newline, UTF-8) and resolves, once they are on
   * disk, with the sequence of the segment that holds them. An append waits for the write before
   * it; the group-commit writer above makes one at a time anyway, and gathers whatever arrives
   * meanwhile into the next.
   *
   * One at a time is also the faster way on this kind of machine: two appends in flight (each to
   * its own segment) halved the requests per append, and each append costs the request thread
   * about 60 µs however small. Measured alternately: 2,753 and 2,931 single events/s with one
   * append at a time, 2,380 and 2,362 with two.
   */
  append(lines: readonly Buffer[]): Promise<number> {
    return this.inTurn(() => this.appendNow(lines));
  }

  /** Runs `write` after the write before it; a failed one does not stop those after it. */
  private inTurn<T>(write: () => Promise<T>): Promise<T> {
    const done = this.writes.then(write);
    this.writes = done.catch(() => undefined);
    return done;
  }

  private async appendNow(lines: readonly Buffer[]): Promise<number> {
    let segment = this.current;
    if (segment.bytes >= SEGMENT_MAX_BYTES || segment.damaged) {
      // Full, or damaged by a failed append: later appends go to the next segment.
      const retired = this.current;
      segment = await createSegment(this.dir, retired.sequence + 1);
      this.current = segment;
      await retired.handle.close();
    }
    const buffer = lines.length === 1 ? (lines[0] as Buffer) : Buffer.concat(lines);
    try {
      await writeAll(segment.handle, buffer, segment.bytes);
    } catch (error) {
      await cutBack(segment);
      throw error;
    }
    segment.bytes += buffer.length;
    this.fillAhead();
    return segment.sequence;
  }

  /**
   * Keeps zeros written ahead of the current segment's records, a step at a time, between
   * appends (queued like one, so the next append waits for it). Not for a full segment, which the
   * next append leaves. A fill that fails (a full disk) ends the filling of its segment: appends
   * grow the file as before, and their own writes say whether the disk takes the records.
   */
  private fillAhead(): void {
    void this.inTurn(() => this.fillNow());
  }

  /** Runs in its turn, after the write before it: the segment's end is known and nothing else writes. */
  private async fillNow(): Promise<void> {
    const segment = this.current;
    const from = Math.max(segment.zeroedTo, segment.bytes);
    if (segment.damaged || segment.fillFailed || segment.bytes >= SEGMENT_MAX_BYTES || from - segment.bytes >= ZERO_FILL_STEP_BYTES / 2) return;
    try {
      await writeAll(segment.handle, ZEROS, from);
      segment.zeroedTo = from + ZERO_FILL_STEP_BYTES;
    } catch {
      segment.fillFailed = true;
    }
  }

  /** Deletes a segment no longer written to (a full one, or one left by an earlier process) whose records are all committed in the EventStore. */
  async discard(sequence: number): Promise<void> {
    if (this.isCurrent(sequence)) return;
    await unlink(join(this.dir, segmentName(sequence))).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  /** Remembers, durably, that a client's events up to `at` were erased (a hard delete). */
  async recordErasure(erasure: Erasure): Promise<void> {
    const handle = await open(join(this.dir, ERASURES_FILE), 'a');
    try {
      await handle.write(`${JSON.stringify(erasure)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** Keeps records the EventStore refused in `rejected.jsonl`, for an operator to inspect. */
  async setAside(records: JournalRecord[]): Promise<void> {
    const handle = await open(join(this.dir, REJECTED_FILE), 'a');
    try {
      await handle.write(records.map((record) => `${JSON.stringify(record)}\n`).join(''));
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  async close(): Promise<void> {
    await this.writes;
    await this.current.handle.close();
  }
}

/** A segment left by an earlier process: its complete records, and where bytes found after their end were kept. */
export interface LeftoverSegment {
  sequence: number;
  records: JournalRecord[];
  /** Set when bytes other than zeros followed the first zero (see readSegment): the file they were kept in. */
  keptTail?: string;
}

interface Segment {
  sequence: number;
  handle: FileHandle;
  /** Bytes of complete, acknowledged groups: where the next append begins. */
  bytes: number;
  /** The file holds zeros from `bytes` up to here (written and on disk): appends there do not grow it. */
  zeroedTo: number;
  /** A failed append could not be cut off: the segment takes no more appends. */
  damaged?: boolean;
  /** A zero fill failed (a full disk): the segment gets no more, appends grow it. */
  fillFailed?: boolean;
}

/**
 * Writes the whole buffer at `position`. The segment is opened with O_DSYNC: a write returns once
 * its data is on disk, so one system call (one trip to the thread pool) does what write +
 * fdatasync did in two. A write may take only part of the buffer (a file-size limit, a nearly
 * full disk); the rest follows, or the error that stops it.
 */
async function writeAll(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  for (let offset = 0; offset < buffer.length; ) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset, position + offset);
    if (bytesWritten === 0) throw new Error('the journal write made no progress');
    offset += bytesWritten;
  }
}

/**
 * After a failed append, part of its group may be on disk. The group was refused, so a replay
 * must not apply it, and later appends must not follow a torn line (a replay would stop there):
 * the segment is cut back to where the group began. If even that fails, the segment takes no
 * more appends: a replay cuts off its torn last line, but applies any complete lines of the
 * refused group before it. Their callers were told it failed: a retry with the same uuid is
 * stored once, but events sent without one (given a fresh uuid here) would be stored twice. The
 * disk refused a write and then a truncate; that is left to the operator.
 */
async function cutBack(segment: Segment): Promise<void> {
  try {
    await segment.handle.truncate(segment.bytes);
    await segment.handle.sync();
    segment.zeroedTo = segment.bytes;
  } catch {
    segment.damaged = true;
  }
}

async function createSegment(dir: string, sequence: number): Promise<Segment> {
  // Not O_APPEND: appends are written at the end of the records, before the zeros ahead of them.
  const handle = await open(join(dir, segmentName(sequence)), constants.O_WRONLY | constants.O_CREAT | constants.O_DSYNC);
  // Its name durable too: without it, a crash could lose the whole segment.
  syncDirectory(dir);
  return { sequence, handle, bytes: 0, zeroedTo: 0 };
}

/**
 * Reads a segment's complete lines. Its records end at the first zero byte (the zeros written
 * ahead of them; no JSON line holds one: JSON.stringify escapes U+0000) or at its end. A crash
 * in the middle of an append can leave a last line without its newline, or only some of its
 * pages on disk (zeros before others): that group was never acknowledged (its write had not
 * returned) and none was written after it, so everything from the first zero or the last
 * newline before it is cut off rather than applied. Bytes other than zeros after the first zero
 * are such a group's later pages, or a damaged disk (a zero inside acknowledged records): they
 * are kept in a file beside the segment, for an operator, rather than lost.
 */
function readSegment(path: string): Omit<LeftoverSegment, 'sequence'> {
  const bytes = readFileSync(path);
  const zero = bytes.indexOf(0);
  const end = zero < 0 ? bytes.length : zero;
  // (lastIndexOf reads a negative offset from the end, so an empty start is its own case.)
  const complete = end === 0 ? 0 : bytes.lastIndexOf(0x0a, end - 1) + 1;
  let keptTail: string | undefined;
  if (zero >= 0 && !onlyZeros(bytes.subarray(zero))) {
    keptTail = `${path}.tail`;
    writeFileDurably(keptTail, bytes.subarray(complete));
    // Its name too, before the segment is cut: else a crash could keep the cut and lose the file.
    syncDirectory(dirname(path));
  }
  if (complete < bytes.length) truncateSync(path, complete);
  const records = parseLines<JournalRecord>(bytes.subarray(0, complete).toString('utf8')).map(withLaterColumns);
  return keptTail === undefined ? { records } : { records, keptTail };
}

function onlyZeros(bytes: Buffer): boolean {
  for (let offset = 0; offset < bytes.length; offset += ZEROS.length) {
    const part = bytes.subarray(offset, offset + ZEROS.length);
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

/**
 * Records journaled by a version before events had a region and a city, or a link, lack them:
 * they are unknown, as for events stored before (an engine would otherwise refuse the missing
 * values, and with them the whole leftover journal at start).
 */
function withLaterColumns(record: JournalRecord): JournalRecord {
  for (const event of record.events) {
    event.region ??= null;
    event.city ??= null;
    event.link_id ??= null;
  }
  return record;
}

function parseLines<T>(text: string): T[] {
  const values: T[] = [];
  for (const line of text.split('\n')) {
    if (line !== '') values.push(JSON.parse(line) as T);
  }
  return values;
}

/** The complete lines of a small append-only file, or none when it does not exist yet. */
function readLines<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return parseLines<T>(text.slice(0, text.lastIndexOf('\n') + 1));
}
