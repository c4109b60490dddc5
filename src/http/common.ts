import { Type } from 'typebox';

/** ISO-8601 UTC with milliseconds, e.g. 2024-03-21T18:42:15.291Z. */
export const Timestamp = Type.String({ format: 'date-time', examples: ['2024-03-21T18:42:15.291Z'] });
export const NullableTimestamp = Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' });

/**
 * A string or null in a response. Written as a type list rather than a union: the serializer
 * resolves an anyOf by validating each branch at run time, on every field of every response.
 */
export const NullableString = (options: { description?: string } = {}) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });
export const toIso = (ms: number): string => new Date(ms).toISOString();
export const toIsoOrNull = (ms: number | null): string | null => (ms === null ? null : toIso(ms));

/** Paging parameters shared by every list endpoint. */
export const PagingQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Page size (1–500).' }),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'Rows to skip. Not combinable with `cursor`.' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 600, description: '`next_cursor` of the previous page.' })),
};

/** A value that may also be sent as null (to clear an optional field). */
export const orNull = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
