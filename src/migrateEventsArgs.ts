import { ConfigError } from './config.js';

/**
 * The arguments of `mythic migrate-events`, apart from the command itself so that the CLI's usage
 * text and argument checks load no engine.
 */

/** A copy that could not be done (the target unreachable, say): one line, exit code 1. */
export class MigrateEventsFailed extends Error {
  override name = 'MigrateEventsFailed';
}

export const MIGRATE_EVENTS_FLAGS = {
  to: { flag: 'to', help: 'the ClickHouse engine to copy into: http(s)://user:password@host:8123/database or chdb:<dir>' },
  batchSize: { flag: 'batch-size', help: 'events per group (and per checkpoint), 1–1000000, default 10000' },
} as const;

export interface MigrateEventsArgs {
  to: string;
  batchSize: number | undefined;
  /** The server settings (--data-dir, …), for loadConfig. */
  rest: string[];
}

/** Takes --to and --batch-size (`--to x` or `--to=x`) out of the arguments; the rest are settings. */
export function takeMigrateEventsArgs(argv: string[]): MigrateEventsArgs {
  let to: string | undefined;
  let batchSize: number | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const match = /^--(to|batch-size)(?:=(.*))?$/s.exec(arg);
    if (match === null) {
      rest.push(arg);
      continue;
    }
    const raw = match[2] ?? argv[++i];
    if (raw === undefined || raw === '') throw new ConfigError(`--${match[1]} needs a value: ${match[1] === 'to' ? MIGRATE_EVENTS_FLAGS.to.help : MIGRATE_EVENTS_FLAGS.batchSize.help}`);
    if (match[1] === 'to') to = raw;
    else {
      if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 1_000_000) {
        throw new ConfigError(`--batch-size must be a whole number from 1 to 1000000, not '${raw}'`);
      }
      batchSize = Number(raw);
    }
  }
  if (to === undefined) throw new ConfigError(`migrate-events needs --to: ${MIGRATE_EVENTS_FLAGS.to.help}`);
  return { to, batchSize, rest };
}

