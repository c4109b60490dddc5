import { Type, type TSchema } from 'typebox';
import { NullableString } from './common.js';

/** Success envelope of a single resource: `{ success: true, data }`. */
export const DataEnvelope = <T extends TSchema>(data: T, description = 'Success') =>
  Type.Object({ success: Type.Literal(true), data }, { description });

/** Success envelope of a list: `count` is the number of matches, not the page size. */
export const ListEnvelope = <T extends TSchema>(item: T) =>
  Type.Object(
    {
      success: Type.Literal(true),
      data: Type.Array(item),
      count: Type.Integer({ minimum: 0, description: 'Total number of matches, ignoring paging.' }),
      next_cursor: NullableString({
        description: 'Pass as `cursor` to fetch the next page; null on the last page.',
      }),
    },
    { description: 'One page of matches' },
  );

/**
 * Success envelope of a set that is read and replaced whole (a client's tags, its snippets):
 * `data` is the plain array, as Mythic Analytics documents these answers, `count` its length.
 */
export const SetEnvelope = <T extends TSchema>(item: T) =>
  Type.Object(
    {
      success: Type.Literal(true),
      data: Type.Array(item),
      count: Type.Integer({ minimum: 0, description: 'Number of items in `data`.' }),
    },
    { description: 'The whole set, in order' },
  );

export const ErrorEnvelope = Type.Object(
  {
    success: Type.Literal(false),
    data: Type.Null(),
    error: Type.String({ description: 'Human-readable message.' }),
    code: Type.String({ description: 'Machine-readable code, e.g. `validation_error`.' }),
    details: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
    ),
  },
  { $id: 'ErrorEnvelope', title: 'Error' },
);

export const ok = <T>(data: T) => ({ success: true as const, data });

export const setOf = <T>(data: T[]) => ({ success: true as const, data, count: data.length });

export const listOf = <T>(data: T[], count: number, nextCursor: string | null) => ({
  success: true as const,
  data,
  count,
  next_cursor: nextCursor,
});

/** The error statuses every admin route can answer, referenced from each route's schema. */
export const errorResponse = (description: string) => Type.Unsafe<unknown>({ $ref: 'ErrorEnvelope#', description });
export const adminErrors = {
  400: errorResponse('Invalid request: invalid_json, validation_error, unknown_field or no_fields'),
  401: errorResponse('Admin key missing or wrong'),
  413: errorResponse('Body over 1 MiB'),
  415: errorResponse('Body is not application/json'),
  500: errorResponse('A bug: never caused by input'),
} as const;
export const withNotFound = { ...adminErrors, 404: errorResponse('No such resource') } as const;
export const withConflict = { ...withNotFound, 409: errorResponse('Conflicts with stored data') } as const;
