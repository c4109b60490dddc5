/** One event on the wire: `POST /e?key=<pk>` with body `{"batch": [WireEvent, …]}`. */
export interface WireEvent {
  event: string;
  distinct_id: string;
  /** ISO-8601 UTC. */
  timestamp: string;
  uuid: string;
  properties: Record<string, unknown>;
  $session_id: string;
  $device_id: string;
  $anon_distinct_id?: string;
}
