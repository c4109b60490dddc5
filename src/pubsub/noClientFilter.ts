/**
 * A subscription whose filter lists no client (`client_ids: []`, what is left when every client it
 * named was hard-deleted) matches no event. That is answered here, before the engine is asked, so
 * no engine has to take an empty list as a parameter (DuckDB cannot bind an empty list without a
 * type) and nobody can read `[]` as "every client". createPubSub wraps the EventStream with it for
 * everything in Pub/Sub that reads events (feeder, service, push sender).
 */
import type { EventStream, StreamQuery } from './eventStream.js';

const matchesNothing = (query: StreamQuery): boolean => query.filter.client_ids !== null && query.filter.client_ids.length === 0;

export function withNoClientFilter(events: EventStream): EventStream {
  return {
    streamHorizon: () => events.streamHorizon(),
    streamEvents: async (query, limit) => (matchesNothing(query) ? [] : events.streamEvents(query, limit)),
    streamBacklog: async (query) => (matchesNothing(query) ? { events: 0, oldest_received_at: null } : events.streamBacklog(query)),
    streamSeqKeeping: async (query, keep) => (matchesNothing(query) ? null : events.streamSeqKeeping(query, keep)),
  };
}
