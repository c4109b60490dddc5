/**
 * The demo client's saved funnels: the dashboard's funnel picker should offer something on first
 * look, built from the events the demo traffic really emits (traffic.ts), so each shows a drop-off.
 */
import { FunnelsService } from '../funnels/service.js';
import type { CreateFunnelInput } from '../funnels/schemas.js';
import { ApiError } from '../http/apiError.js';
import { KeysService } from '../keys/service.js';
import type { Clock } from '../shared/clock.js';
import type { MetaStore } from '../store/metaStore.js';

export const DEMO_FUNNELS: readonly CreateFunnelInput[] = [
  {
    name: 'Purchase',
    steps: [{ event: 'Product Viewed' }, { event: 'Product Added' }, { event: 'Checkout Started' }, { event: 'Order Completed' }],
  },
  { name: 'Shop to checkout', steps: [{ path: '/shop' }, { event: 'Checkout Started' }], window_seconds: 1_800 },
];

/**
 * Saves each demo funnel the client does not have (by name): a rerun adds none twice, and one the
 * operator deleted comes back. A client that already holds the most funnels it may keeps its own.
 */
export async function saveDemoFunnels(store: MetaStore, clientId: string, clock: Clock): Promise<void> {
  const funnels = new FunnelsService(store, new KeysService(store, clock), clock);
  for (const funnel of DEMO_FUNNELS) {
    try {
      await funnels.create({ door: 'admin' }, clientId, funnel);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) throw error;
    }
  }
}
