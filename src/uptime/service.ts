/**
 * Starting, stopping and reading a link's uptime monitor, for the operator (admin key) and for the
 * link's own client (its sk_). A client key sees its own links only: another client's link, or a
 * link of no client, answers the same 404 as a link that does not exist. The checks themselves
 * run in the scheduler; this service only writes settings and reads what the checks stored.
 */
import { ApiError, notFound } from '../http/apiError.js';
import { toIso, toIsoOrNull } from '../http/common.js';
import { authorizeRead, type QueryCaller } from '../keys/readAccess.js';
import type { KeysService } from '../keys/service.js';
import type { LinkRow } from '../links/linkRow.js';
import type { Clock } from '../shared/clock.js';
import type { MetaStore } from '../store/metaStore.js';
import type { CheckRow, MonitorRow } from './monitorRow.js';
import {
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_INTERVAL_SECONDS,
  DEFAULT_TIMEOUT_SECONDS,
  type StartUptimeInput,
  type UptimeStatusView,
} from './schemas.js';

/** No client has this id (ids are non-empty and printable), so a key never matches it. */
const NO_CLIENT = '\u0000';

function present(linkId: string, monitor: MonitorRow | null, checks: CheckRow[]): UptimeStatusView {
  return {
    link_id: linkId,
    status: monitor?.status ?? 'unknown',
    response_time_ms: monitor?.last_response_ms ?? null,
    last_checked: toIsoOrNull(monitor?.last_checked_at ?? null),
    monitoring_active: monitor?.active ?? false,
    interval: monitor?.interval_seconds ?? null,
    timeout: monitor?.timeout_seconds ?? null,
    consecutive_failures: monitor?.consecutive_failures ?? 0,
    last_status_code: monitor?.last_status_code ?? null,
    last_error: monitor?.last_error ?? null,
    next_check: monitor?.active ? toIso(monitor.next_check_at) : null,
    history: checks.map((check) => ({
      checked_at: toIso(check.checked_at),
      ok: check.ok,
      status_code: check.status_code,
      response_time_ms: check.response_ms,
      error: check.error,
    })),
  };
}

export class UptimeService {
  constructor(
    private readonly store: MetaStore,
    private readonly keys: KeysService,
    private readonly clock: Clock,
  ) {}

  async start(caller: QueryCaller, linkId: string, input: StartUptimeInput): Promise<UptimeStatusView> {
    await this.link(caller, linkId);
    const settings = { interval_seconds: input.interval ?? DEFAULT_INTERVAL_SECONDS, timeout_seconds: input.timeout ?? DEFAULT_TIMEOUT_SECONDS };
    // The schema's bounds make this hold (timeout ≤ 60 ≤ interval); kept as the rule it is.
    if (settings.timeout_seconds > settings.interval_seconds) {
      throw new ApiError(400, 'validation_error', 'timeout must not exceed interval', [{ field: 'timeout', message: 'must not exceed interval' }]);
    }
    const monitor = await this.store.startMonitor(linkId, settings, this.clock());
    // Deleted between the two reads.
    if (monitor === null) throw notFound('Link', linkId);
    return present(linkId, monitor, await this.store.listChecks(linkId, DEFAULT_HISTORY_LIMIT));
  }

  /** Stopping a link that is not monitored changes nothing and answers its status all the same. */
  async stop(caller: QueryCaller, linkId: string): Promise<UptimeStatusView> {
    await this.link(caller, linkId);
    const monitor = await this.store.stopMonitor(linkId);
    return present(linkId, monitor, await this.store.listChecks(linkId, DEFAULT_HISTORY_LIMIT));
  }

  async status(caller: QueryCaller, linkId: string, historyLimit: number): Promise<UptimeStatusView> {
    await this.link(caller, linkId);
    const monitor = await this.store.getMonitor(linkId);
    return present(linkId, monitor, historyLimit === 0 ? [] : await this.store.listChecks(linkId, historyLimit));
  }

  private async link(caller: QueryCaller, linkId: string): Promise<LinkRow> {
    const link = await this.store.getLink(linkId);
    if (caller.door !== 'admin') {
      try {
        await authorizeRead(this.keys, caller, link?.client_id ?? NO_CLIENT);
      } catch (error) {
        if (error instanceof ApiError && error.code === 'forbidden') throw notFound('Link', linkId);
        throw error;
      }
    }
    if (link === null) throw notFound('Link', linkId);
    return link;
  }
}
