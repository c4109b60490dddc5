/**
 * Uptime monitoring of a link's destination: start (or re-configure), stop, and status with the
 * recent checks. The status answer carries the four documented fields under their documented
 * names (`status`, `response_time_ms`, `last_checked`, `monitoring_active`), then what a reader
 * needs to act on it: the settings, the failure streak, the last error and the history.
 */
import { Type, type Static } from 'typebox';
import { NullableString, NullableTimestamp, Timestamp } from '../http/common.js';

/** The documented floor: a check a minute at most, so a monitor cannot become a load generator. */
export const MIN_INTERVAL_SECONDS = 60;
export const DEFAULT_INTERVAL_SECONDS = 300;
/** A day: a check less often than that is no monitor. */
export const MAX_INTERVAL_SECONDS = 86_400;
export const DEFAULT_TIMEOUT_SECONDS = 30;
/** Also the longest a check holds a connection; shorter than the smallest interval, so timeout ≤ interval always holds. */
export const MAX_TIMEOUT_SECONDS = 60;
export const DEFAULT_HISTORY_LIMIT = 50;
export const MAX_HISTORY_LIMIT = 500;

export const UptimeParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255, description: 'The link id (`lnk_…`).' }) });

export const StartUptimeBody = Type.Object(
  {
    interval: Type.Optional(
      Type.Integer({
        minimum: MIN_INTERVAL_SECONDS,
        maximum: MAX_INTERVAL_SECONDS,
        description: `Seconds between checks (${MIN_INTERVAL_SECONDS}–${MAX_INTERVAL_SECONDS}; default ${DEFAULT_INTERVAL_SECONDS}). Each next check moves by up to ±10% so monitors spread out.`,
      }),
    ),
    timeout: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_TIMEOUT_SECONDS,
        description: `Seconds a check may take, redirects included (1–${MAX_TIMEOUT_SECONDS}; default ${DEFAULT_TIMEOUT_SECONDS}).`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type StartUptimeInput = Static<typeof StartUptimeBody>;

export const UptimeStatusQuery = Type.Object(
  {
    limit: Type.Integer({
      minimum: 0,
      maximum: MAX_HISTORY_LIMIT,
      default: DEFAULT_HISTORY_LIMIT,
      description: `Checks in \`history\`, newest first (0–${MAX_HISTORY_LIMIT}; default ${DEFAULT_HISTORY_LIMIT}). The newest 500 are kept.`,
    }),
  },
  { additionalProperties: false },
);

const NullableInteger = (description: string) => Type.Unsafe<number | null>({ type: ['integer', 'null'], description });

export const UptimeCheck = Type.Object(
  {
    checked_at: Timestamp,
    ok: Type.Boolean({ description: 'A 2xx or 3xx answer within the timeout, after at most 5 redirects.' }),
    status_code: NullableInteger('The HTTP status of the answer; null when none came (timeout, refused, DNS).'),
    response_time_ms: NullableInteger('Milliseconds to the answer (or to the failure).'),
    error: NullableString({ description: 'Why the check failed; null when it passed.' }),
  },
  { title: 'UptimeCheck' },
);
export type UptimeCheckView = Static<typeof UptimeCheck>;

export const UptimeStatus = Type.Object(
  {
    link_id: Type.String(),
    status: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('unknown')], {
      description: '`down` after 3 failed checks in a row (webhook `uptime.down`), `up` again on the next success (`uptime.up`); `unknown` until the first check passes or the failures add up.',
    }),
    response_time_ms: NullableInteger('Of the last check.'),
    last_checked: NullableTimestamp,
    monitoring_active: Type.Boolean(),
    interval: NullableInteger('Seconds between checks; null for a link never monitored.'),
    timeout: NullableInteger('Seconds a check may take; null for a link never monitored.'),
    consecutive_failures: Type.Integer({ minimum: 0 }),
    last_status_code: NullableInteger('HTTP status of the last check.'),
    last_error: NullableString({ description: 'Why the last check failed; null when it passed.' }),
    next_check: NullableTimestamp,
    history: Type.Array(UptimeCheck, { description: 'Recent checks, newest first.' }),
  },
  { title: 'UptimeStatus' },
);
export type UptimeStatusView = Static<typeof UptimeStatus>;
