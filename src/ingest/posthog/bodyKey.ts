import { ApiError } from '../../http/apiError.js';

/**
 * Where PostHog's SDKs put the project key, which is our key: posthog-node and posthog-js send
 * `api_key` beside the batch, /flags sends `token`, and every posthog-js event carries it as
 * `properties.token` (the only place an SDK sending single events may have it). It is looked for
 * in that order, and only in the body: a key in the URL or a header wins over all of them.
 */

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const tokenOf = (item: unknown): unknown => (isObject(item) && isObject(item.properties) ? item.properties.token : undefined);

/** The key the body names beside its events (`api_key`, else `token`). */
export function keyInBody(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  for (const name of ['api_key', 'token']) {
    const value = body[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/**
 * The key the events name, asked only when no other key was given (elsewhere `token` may be the
 * caller's own property). They must agree: one request is stored for one client, so a batch
 * naming two tokens is refused rather than filed under either.
 */
export function keyInEvents(items: unknown[], labels: string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < items.length; i += 1) {
    const token = tokenOf(items[i]);
    if (typeof token !== 'string' || token === '') continue;
    if (found === undefined) found = token;
    else if (token !== found) {
      const label = labels[i] ?? '';
      const field = `${label === '' ? '' : `${label}.`}properties.token`;
      throw new ApiError(400, 'validation_error', 'The events name different tokens: send each client’s events in a request of their own', [
        { field, message: 'must be the same token as the other events’' },
      ]);
    }
  }
  return found;
}

/**
 * Removes `properties.token` where it is the key the request was accepted with: a credential, not
 * something the event says. Any other value there is the caller's own property and is kept.
 */
export function forgetKeyInProperties(items: unknown[], key: string | undefined): void {
  if (key === undefined) return;
  for (const item of items) {
    if (isObject(item) && isObject(item.properties) && item.properties.token === key) delete item.properties.token;
  }
}
