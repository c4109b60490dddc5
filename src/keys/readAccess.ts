import { ApiError } from '../http/apiError.js';
import type { KeysService } from './service.js';

/** Who is asking: the operator (any client), or a client key limited to its own client (reports, recent events). */
export type QueryCaller = { door: 'admin' } | { door: 'secret'; key: string } | { door: 'publishable'; key: string | undefined };

const unauthorized = (message: string): ApiError => new ApiError(401, 'unauthorized', message);

/**
 * Decides whether the caller may read `clientId`, before anything about that client is looked up:
 * a client key naming another client gets the same 403 whether that client exists or not.
 */
export async function authorizeRead(keys: KeysService, caller: QueryCaller, clientId: string): Promise<void> {
  if (caller.door === 'admin') return;
  const expected = caller.door === 'secret' ? 'secret' : 'publishable';
  if (caller.key === undefined || caller.key === '') {
    // Say how to present the key this door takes: the other door's header would not help.
    throw unauthorized(
      expected === 'secret' ? 'Send the client’s secret key as Authorization: Bearer sk_…' : 'Send the publishable key as the X-Publishable-Key header',
    );
  }
  const identity = await keys.authenticate(caller.key);
  if (identity === null || identity.kind !== expected) {
    throw unauthorized(
      expected === 'secret'
        ? 'Unknown or expired secret key'
        : 'Only a current publishable key (pk_…) is accepted here; it is unknown, or was rotated out and its grace period is over',
    );
  }
  if (identity.client_id !== clientId) throw new ApiError(403, 'forbidden', 'A client key reads only its own client’s data');
  if (!identity.client_active) throw new ApiError(403, 'client_inactive', 'This client is deactivated');
}
