import { ApiError } from '../http/apiError.js';
import type { KeysService } from '../keys/service.js';
import type { MetaStore } from '../store/metaStore.js';
import type { WhoamiView } from './whoamiSchemas.js';

/** Says what a key that passed the admin hook may do: the dashboard decides its views from it. */
export class WhoamiService {
  constructor(
    private readonly meta: MetaStore,
    private readonly keys: KeysService,
  ) {}

  /** `clientSecret` is the sk_ the request came with; undefined means the admin key was checked already. */
  async describe(clientSecret: string | undefined): Promise<WhoamiView> {
    if (clientSecret === undefined) return { role: 'admin' };
    const identity = await this.keys.authenticate(clientSecret);
    if (identity === null || identity.kind !== 'secret') throw new ApiError(401, 'unauthorized', 'Unknown or expired secret key');
    if (!identity.client_active) throw new ApiError(403, 'client_inactive', 'This client is deactivated');
    const client = await this.meta.getClient(identity.client_id);
    // Removed between the key lookup and now: the key is as good as unknown.
    if (client === null) throw new ApiError(401, 'unauthorized', 'Unknown or expired secret key');
    return { role: 'client', client_id: client.id, name: client.name, timezone: client.timezone };
  }
}
