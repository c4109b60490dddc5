import { Type, type Static } from 'typebox';
import { Email, JsonObject, ListClientsQuery, Name, Phone, Website } from '../clients/schemas.js';
import { NullableString, orNull, PagingQuery, Timestamp } from '../http/common.js';

const settable = {
  name: Name,
  email: orNull(Email),
  phone: orNull(Phone),
  website: orNull(Website),
  metadata: orNull(JsonObject),
};
export const AGENCY_SETTABLE_FIELDS = Object.keys(settable) as (keyof typeof settable)[];

const OptionalSettable = Type.Partial(Type.Object(settable));

export const CreateAgencyBody = Type.Object({ ...OptionalSettable.properties, name: Name }, { additionalProperties: false });
export type CreateAgencyInput = Static<typeof CreateAgencyBody>;

export const UpdateAgencyBody = Type.Partial(Type.Object(settable, { additionalProperties: false }), {
  additionalProperties: false,
});
export type UpdateAgencyInput = Static<typeof UpdateAgencyBody>;

export const Agency = Type.Object(
  {
    id: Type.String({ examples: ['agc_5f0c1e9a7b3d2c4e6f8a0b1c'] }),
    name: Type.String(),
    email: NullableString(),
    phone: NullableString(),
    website: NullableString(),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    client_count: Type.Integer({ minimum: 0, description: 'Clients whose agency_id is this agency’s id, active or not.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Agency' },
);
export type AgencyView = Static<typeof Agency>;

export const AgencyParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) });

export const ListAgenciesQuery = Type.Object(
  { ...PagingQuery, q: Type.Optional(Type.String({ maxLength: 255, description: 'Case-insensitive substring of id, name or email.' })) },
  { additionalProperties: false },
);

/** The client filters, without agency_id: the path names the agency. */
const { agency_id: _agencyId, ...agencyClientFilters } = ListClientsQuery.properties;
export const ListAgencyClientsQuery = Type.Object(agencyClientFilters, { additionalProperties: false });

export const DeleteAgencyQuery = Type.Object(
  { force: Type.Boolean({ default: false, description: 'Delete even with clients, detaching them (their agency_id becomes null).' }) },
  { additionalProperties: false },
);

export const AgencyDeleteResult = Type.Object({
  success: Type.Literal(true),
  deleted: Type.Literal(true),
  detached_clients: Type.Integer({ minimum: 0 }),
});
