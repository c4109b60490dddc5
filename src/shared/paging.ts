import type { Page } from '../store/metaStore.js';
import { ApiError } from '../http/apiError.js';

/** Cursors are opaque to callers: base64url of the last row's (created_at, id). */
export function encodeCursor(row: { created_at: number; id: string }): string {
  return Buffer.from(JSON.stringify([row.created_at, row.id]), 'utf8').toString('base64url');
}

export function pageFrom(input: PagingInput): Page {
  if (input.cursor !== undefined && input.offset !== undefined) {
    throw new ApiError(400, 'validation_error', 'Use either cursor or offset, not both', [
      { field: 'cursor', message: 'cannot be combined with offset' },
    ]);
  }
  if (input.cursor === undefined) return { limit: input.limit, offset: input.offset ?? 0 };
  return { limit: input.limit, after: decodeCursor(input.cursor) };
}

function decodeCursor(cursor: string): { created_at: number; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
      return { created_at: value[0] as number, id: value[1] };
    }
  } catch {
    // fall through to the uniform error below
  }
  throw new ApiError(400, 'validation_error', 'The cursor is not one this API returned', [
    { field: 'cursor', message: 'is not a cursor returned by this API' },
  ]);
}

/** The cursor for the page after `rows`, or null when this page is the last. */
export function nextCursor<T extends { created_at: number; id: string }>(rows: T[], page: Page, total: number): string | null {
  const last = rows[rows.length - 1];
  if (!last || rows.length < page.limit) return null;
  if (page.offset !== undefined && page.offset + rows.length >= total) return null;
  return encodeCursor(last);
}

export interface PagingInput {
  limit: number;
  offset?: number;
  cursor?: string;
}

export interface Listing<T> {
  items: T[];
  total: number;
  next_cursor: string | null;
}

/** Runs a store listing for the caller's paging input and presents its rows. */
export async function listPage<R extends { created_at: number; id: string }, T>(
  input: PagingInput,
  fetch: (page: Page) => Promise<{ rows: R[]; total: number }>,
  present: (row: R) => T,
): Promise<Listing<T>> {
  const page = pageFrom(input);
  const { rows, total } = await fetch(page);
  return { items: rows.map(present), total, next_cursor: nextCursor(rows, page, total) };
}
