/** The admin API as the dashboard calls it: same origin, the signed-in key as a Bearer token. */

export interface FieldProblem {
  field: string;
  message: string;
}

/** A refused request, carrying the error envelope's code and per-field problems. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[],
  ) {
    super(message);
    this.name = 'ApiFailure';
  }

  /** The message the API gave for one field, if any (`field` is its dotted path in the body). */
  forField(field: string): string | undefined {
    return this.details.find((d) => d.field === field)?.message;
  }
}

export interface ListPage<T> {
  data: T[];
  count: number;
  next_cursor: string | null;
}

let currentKey: string | null = null;
let onUnauthorized: () => void = () => undefined;

export function useKey(key: string | null, whenRefused: () => void = () => undefined): void {
  currentKey = key;
  onUnauthorized = whenRefused;
}

async function send(method: string, path: string, body?: unknown, key: string | null = currentKey): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch {
    throw new ApiFailure(0, 'network', 'The server cannot be reached', []);
  }
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    throw new ApiFailure(response.status, 'invalid_response', `The server answered ${response.status} with something that is not JSON`, []);
  }
  if (!response.ok) {
    if (response.status === 401 && key === currentKey) onUnauthorized();
    const details = Array.isArray(parsed.details) ? (parsed.details as FieldProblem[]) : [];
    throw new ApiFailure(response.status, String(parsed.code ?? 'error'), String(parsed.error ?? `HTTP ${response.status}`), details);
  }
  return parsed;
}

export const api = {
  get: async <T>(path: string): Promise<T> => (await send('GET', path)).data as T,
  list: async <T>(path: string): Promise<ListPage<T>> => {
    const page = await send('GET', path);
    return { data: page.data as T[], count: Number(page.count ?? 0), next_cursor: (page.next_cursor as string | null) ?? null };
  },
  post: async <T>(path: string, body?: unknown): Promise<T> => (await send('POST', path, body ?? {})).data as T,
  put: async <T>(path: string, body: unknown): Promise<T> => (await send('PUT', path, body)).data as T,
  patch: async <T>(path: string, body: unknown): Promise<T> => (await send('PATCH', path, body)).data as T,
  delete: async (path: string): Promise<void> => {
    await send('DELETE', path);
  },
  /** A call with a key that is not (yet) the session's: signing in. */
  getWithKey: async <T>(path: string, key: string): Promise<T> => (await send('GET', path, undefined, key)).data as T,
};

/** A query-string from the entries that are set. */
export function queryString(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

export const enc = encodeURIComponent;
