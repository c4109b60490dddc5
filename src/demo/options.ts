import { ConfigError } from '../config.js';

/** How much demo traffic `mythic seed-demo` writes, and whether it may overwrite a client it did not create. */
export interface DemoOptions {
  days: number;
  sessionsPerDay: number;
  seed: number;
  /** Replace the events of a client `demo` that seed-demo did not create (see demoMark.ts). */
  force: boolean;
}

interface DemoFlag {
  key: Exclude<keyof DemoOptions, 'force'>;
  min: number;
  max: number;
  default: number;
  help: string;
}

/** The one switch of seed-demo; it takes no value. */
export const FORCE_FLAG = { flag: 'force', help: "replace the events of an existing client 'demo' that seed-demo did not create" } as const;

/** 60 days, so a 30-day report has a previous period to compare with; about 45,000 events. */
export const DEMO_FLAGS: Record<string, DemoFlag> = {
  days: { key: 'days', min: 1, max: 731, default: 60, help: 'days of traffic, today included' },
  'sessions-per-day': { key: 'sessionsPerDay', min: 1, max: 100_000, default: 150, help: 'visits on an average weekday (more: a bigger demo)' },
  seed: { key: 'seed', min: 0, max: 2 ** 32 - 1, default: 42, help: 'random seed; the same seed gives the same traffic' },
};

/**
 * Takes the demo's own flags (`--days 90` or `--days=90`) out of the arguments; the rest are the
 * server settings, left for loadConfig. A bad value is a ConfigError, like any other setting.
 */
export function takeDemoOptions(argv: string[]): { options: DemoOptions; rest: string[] } {
  const defaults = Object.fromEntries(Object.values(DEMO_FLAGS).map((flag) => [flag.key, flag.default]));
  const options = { ...defaults, force: false } as unknown as DemoOptions;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === `--${FORCE_FLAG.flag}`) {
      options.force = true;
      continue;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const flag = match === null ? undefined : DEMO_FLAGS[match[1] as string];
    if (match === null || flag === undefined) {
      rest.push(arg);
      continue;
    }
    const raw = match[2] ?? argv[++i];
    if (raw === undefined) throw new ConfigError(`--${match[1]} needs a value: ${flag.help}`);
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < flag.min || value > flag.max) {
      throw new ConfigError(`--${match[1]} must be a whole number from ${flag.min} to ${flag.max} (${flag.help}), not '${raw}'`);
    }
    options[flag.key] = value;
  }
  return { options, rest };
}
