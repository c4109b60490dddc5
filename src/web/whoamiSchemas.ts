import { Type, type Static } from 'typebox';

export const Whoami = Type.Union(
  [
    Type.Object({ role: Type.Literal('admin') }, { additionalProperties: false }),
    Type.Object(
      {
        role: Type.Literal('client'),
        client_id: Type.String(),
        name: Type.String(),
        timezone: Type.String({ description: 'The IANA zone the client’s reports are computed in.' }),
      },
      { additionalProperties: false },
    ),
  ],
  { title: 'Whoami' },
);
export type WhoamiView = Static<typeof Whoami>;
