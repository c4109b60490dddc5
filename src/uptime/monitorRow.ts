/**
 * An uptime monitor and its check history as the MetaStore keeps them. Times are epoch
 * milliseconds, UTC. A monitor is one row per link (stopping keeps it, inactive, so its status
 * and history stay readable); the lease columns are how several nodes agree that each due check
 * runs once: whoever claims a monitor owns it until it records the check or the lease runs out.
 */
export type MonitorStatus = 'up' | 'down' | 'unknown';

export interface MonitorSettings {
  interval_seconds: number;
  timeout_seconds: number;
}

export interface MonitorRow extends MonitorSettings {
  link_id: string;
  active: boolean;
  status: MonitorStatus;
  consecutive_failures: number;
  last_checked_at: number | null;
  last_response_ms: number | null;
  last_status_code: number | null;
  last_error: string | null;
  next_check_at: number;
  lease_until: number | null;
  lease_owner: string | null;
  started_at: number;
}

/** A claimed monitor with what its check needs from the link. */
export interface DueMonitor extends MonitorRow {
  destination_url: string;
  client_id: string | null;
  slug: string;
}

/** One check, as the history keeps it. */
export interface CheckRow {
  link_id: string;
  checked_at: number;
  ok: boolean;
  status_code: number | null;
  response_ms: number | null;
  error: string | null;
}

/** What the lease holder writes back after a check: the check itself and the monitor's new state. */
export interface CheckRecord {
  check: CheckRow;
  status: MonitorStatus;
  consecutive_failures: number;
  next_check_at: number;
}
