import { notFound } from '../http/apiError.js';
import { toIso } from '../http/common.js';
import { authorizeRead } from '../keys/readAccess.js';
import type { KeysService } from '../keys/service.js';
import type { MetaStore } from '../store/metaStore.js';
import type { CommittedEvent, EventStore } from './eventStore.js';
import type { RecentEventView } from './schemas.js';

export function presentEvent(row: CommittedEvent): RecentEventView {
  const { client_id: _client, session_id, device_id, anon_distinct_id, properties, timestamp, received_at, ...rest } = row;
  return {
    ...rest,
    timestamp: toIso(timestamp),
    received_at: toIso(received_at),
    $session_id: session_id,
    $device_id: device_id,
    $anon_distinct_id: anon_distinct_id,
    properties: JSON.parse(properties) as Record<string, unknown>,
  };
}

/** Reads back raw events: the live debugger of integrators. */
export class EventsService {
  constructor(
    private readonly meta: MetaStore,
    private readonly events: EventStore,
    private readonly keys: KeysService,
    /**
     * Resolves once every acknowledged event is in the EventStore. The live view waits for it (a
     * debugger must show what was just sent); reports do not (they see events within the linger).
     */
    private readonly settled: () => Promise<void>,
  ) {}

  /**
   * The client's most recent events, newest first. `clientSecret` is set when the caller came with
   * an sk_ instead of the admin key: it must be the secret key of this very client.
   */
  async recent(clientId: string, query: { limit: number; after?: string; after_seq?: number }, clientSecret?: string): Promise<RecentEventView[]> {
    await authorizeRead(this.keys, clientSecret === undefined ? { door: 'admin' } : { door: 'secret', key: clientSecret }, clientId);
    if ((await this.meta.getClient(clientId)) === null) throw notFound('Client', clientId);
    // The query schema admits only forms Date.parse reads (no leap second), so this is never NaN.
    const receivedAfter = query.after === undefined ? undefined : Date.parse(query.after);
    await this.settled();
    const rows = await this.events.recentEvents(clientId, {
      limit: query.limit,
      ...(receivedAfter === undefined ? {} : { receivedAfter }),
      ...(query.after_seq === undefined ? {} : { afterSeq: query.after_seq }),
    });
    return rows.map(presentEvent);
  }
}
