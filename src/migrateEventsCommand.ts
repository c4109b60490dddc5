import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, redactClickhouseUrl, type Config } from './config.js';
import { MigrateEventsFailed, type MigrateEventsArgs } from './migrateEventsArgs.js';
import { migrateEvents, type MigrationOutcome } from './engines/migrateEvents.js';
import { DUCKDB_FILE, journalDirOf, openEventStore } from './engines/openEventStore.js';
import type { EventStore } from './events/eventStore.js';
import { EventWriter } from './pipeline/eventWriter.js';
import { progressBar } from './progressBar.js';

/**
 * `mythic migrate-events --to <clickhouse-url>`: the command-line side of engines/migrateEvents.ts
 * (arguments, opening both engines, refusing a data dir a server holds, progress, the summary).
 */

export const CHECKPOINT_FILE = 'migrate-events.json';

/**
 * What the checkpoint is tied to: the same engine and database whatever password or relative path
 * names it, and never the password itself (the checkpoint is a plain file).
 */
export function targetIdentity(url: string): string {
  if (url.startsWith('chdb:')) {
    const [dir = '', query] = url.slice('chdb:'.length).split('?', 2);
    return `chdb:${resolve(dir)}${query === undefined ? '' : `?${query}`}`;
  }
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}

/** DuckDB refuses a second writer of its file, naming the holder: "… (PID 1234) …". */
function serverHolding(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (!/Could not set lock on file/.test(message)) return undefined;
  return /\(PID (\d+)\)/.exec(message)?.[1] ?? '';
}

/** Exit code: 0 when both sides hold the same counts, 1 otherwise. */
export async function runMigrateEvents(config: Config, args: MigrateEventsArgs): Promise<number> {
  const shownTarget = redactClickhouseUrl(args.to);
  const file = join(config.dataDir, DUCKDB_FILE);
  if (!existsSync(file)) {
    throw new ConfigError(`nothing to copy: the data dir ${resolve(config.dataDir)} has no ${DUCKDB_FILE} (MYTHIC_DATA_DIR / --data-dir)`);
  }
  let source: EventStore;
  try {
    // The source is always the data dir's DuckDB, whatever engine the environment configures.
    source = await openEventStore({ dataDir: config.dataDir });
  } catch (error) {
    const pid = serverHolding(error);
    if (pid === undefined) throw error;
    // Only the process writing the file holds its lock, so this refuses exactly while a server
    // could still add events behind the copy.
    throw new ConfigError(
      `the data dir ${resolve(config.dataDir)} is in use by a running mythic server${pid === '' ? '' : ` (PID ${pid})`}; stop it first, then run migrate-events again`,
    );
  }
  let target: EventStore | undefined;
  try {
    // What a crashed server acknowledged but never applied is in the journal: apply it first, as
    // `mythic serve` does when it starts, so the copy holds every acknowledged event.
    const writer = await EventWriter.open(source, journalDirOf(config));
    await writer.close();
    try {
      target = await openEventStore({ dataDir: config.dataDir, clickhouseUrl: config.clickhouseUrl, clickhouseCluster: config.clickhouseCluster });
    } catch (error) {
      // The engine's own message, never the URL as given: it may carry the password.
      throw new MigrateEventsFailed(`cannot open the target ${shownTarget}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (target.description === source.description) throw new ConfigError(`--to names the data dir's own event store (${source.description})`);
    process.stderr.write(`Copying the events of ${source.description} into ${shownTarget}\n`);
    const bar = progressBar(process.stderr, 'migrate-events', 'events');
    const outcome = await migrateEvents({
      source,
      target,
      targetIdentity: targetIdentity(args.to),
      checkpointPath: join(config.dataDir, CHECKPOINT_FILE),
      batchSize: args.batchSize,
      onProgress: ({ copied, total }) => bar.update(copied, total),
    });
    bar.finish();
    return report(outcome, shownTarget);
  } finally {
    await target?.close().catch(() => undefined);
    await source.close().catch(() => undefined);
  }
}

function report(outcome: MigrationOutcome, shownTarget: string): number {
  const n = (value: number): string => value.toLocaleString('en-US');
  const resumed = outcome.resumedAfterSeq > 0 ? `, resumed after seq ${outcome.resumedAfterSeq}` : '';
  process.stdout.write(
    `Copied ${n(outcome.stored)} events (${n(outcome.alreadyThere)} already there${resumed}) and offered ${n(outcome.links)} identity links to ${shownTarget}\n`,
  );
  if (outcome.mismatches.length === 0) {
    process.stdout.write(`Verified: both sides hold ${n(outcome.sourceTotals.events)} events and ${n(outcome.sourceTotals.links)} identity links\n`);
    return 0;
  }
  process.stderr.write(`mythic: the copy does not match the data dir for ${outcome.mismatches.length} client(s):\n`);
  for (const m of outcome.mismatches) {
    process.stderr.write(
      `  ${m.client_id}: ${n(m.source.events)} events and ${n(m.source.links)} links in the data dir, ${n(m.target.events)} and ${n(m.target.links)} in the target\n`,
    );
  }
  return 1;
}
