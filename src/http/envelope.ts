import { Type, type TSchema } from 'typebox';

/** Success envelope of a single resource: `{ success: true, data }`. */
export const DataEnvelope = <T extends TSchema>(data: T) =>
  Type.Object({ success: Type.Literal(true), data });

/** Success envelope of a list: `count` is the number of matches, not the page size. */
export const ListEnvelope = <T extends TSchema>(item: T) =>
  Type.Object({
    success: Type.Literal(true),
    data: Type.Array(item),
    count: Type.Integer({ minimum: 0, description: 'Total number of matches, ignoring paging.' }),
    next_cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as `cursor` to fetch the next page; null on the last page.',
    }),
  });

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

export const listOf = <T>(data: T[], count: number, nextCursor: string | null) => ({
  success: true as const,
  data,
  count,
  next_cursor: nextCursor,
});

/** The error statuses every admin route can answer, referenced from each route's schema. */
const errorRef = Type.Unsafe<unknown>({ $ref: 'ErrorEnvelope#' });
export const adminErrors = {
  400: errorRef,
  401: errorRef,
  413: errorRef,
  415: errorRef,
  500: errorRef,
} as const;
export const withNotFound = { ...adminErrors, 404: errorRef } as const;
export const withConflict = { ...withNotFound, 409: errorRef } as const;
