import { Type, type Static } from 'typebox';
import { NullableTimestamp, Timestamp } from '../http/common.js';
import { ERROR_MESSAGE } from '../http/validation.js';

export const MAX_HOSTNAMES = 100;

const HostnameText = Type.String({
  format: 'site-host',
  maxLength: 255,
  [ERROR_MESSAGE]: 'must be a hostname such as shop.example.com, localhost, or an IP address (IPv6 in brackets), with an optional port: no scheme or path',
  description:
    'Lowercased; internationalised names are stored as punycode. `localhost`, IPv4 and bracketed IPv6 addresses allow testing on one’s own machine; a port is accepted and dropped (origins are matched by host).',
  examples: ['shop.acme-retail.com', 'localhost:3000'],
});

export const AddHostnameBody = Type.Object({ hostname: HostnameText }, { additionalProperties: false });
export type AddHostnameInput = Static<typeof AddHostnameBody>;

export const HostnameParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 255 }),
  hostname: HostnameText,
});

export const Hostname = Type.Object(
  {
    hostname: Type.String(),
    client_id: Type.String(),
    verified: Type.Boolean({
      description: 'True once an event sent from a page on this hostname has been accepted: the embed code works there.',
    }),
    /** When the first such event was accepted; null until then. */
    first_event_at: NullableTimestamp,
    created_at: Timestamp,
  },
  { title: 'Hostname' },
);
export type HostnameView = Static<typeof Hostname>;

export const HostnameDeleteResult = Type.Object({ success: Type.Literal(true), deleted: Type.Literal(true) });
