import { Type, type Static } from 'typebox';
import { Timestamp } from '../http/common.js';
import { ERROR_MESSAGE } from '../http/validation.js';

export const MAX_HOSTNAMES = 100;

const HostnameText = Type.String({
  format: 'hostname',
  maxLength: 255,
  [ERROR_MESSAGE]: 'must be a hostname such as shop.example.com: no scheme, port or path',
  description: 'Lowercased; internationalised names are stored as punycode.',
  examples: ['shop.acme-retail.com'],
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
    created_at: Timestamp,
  },
  { title: 'Hostname' },
);
export type HostnameView = Static<typeof Hostname>;

export const HostnameDeleteResult = Type.Object({ success: Type.Literal(true), deleted: Type.Literal(true) });
