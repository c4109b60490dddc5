/**
 * The webhooks module put together for the app: one secret box, one dispatcher and one publisher
 * per node, the service behind the routes, and `events` (the WebhookEvents contract) for links and
 * uptime to publish to. The app starts it when it is ready and stops it when it closes.
 */
import type { OutboundAllowList } from '../outbound/allowList.js';
import type { Outbound } from '../outbound/outbound.js';
import type { Clock } from '../shared/clock.js';
import type { MetaStore } from '../store/metaStore.js';
import { DEFAULT_DISPATCHER_OPTIONS, WebhookDispatcher, type DispatcherLog, type DispatcherOptions } from './dispatcher.js';
import { DEFAULT_PUBLISHER_OPTIONS, WebhookPublisher, type PublisherOptions } from './publisher.js';
import { SecretBox } from './secretBox.js';
import { WebhooksService } from './service.js';
import type { WebhookEvents } from './webhookEvents.js';

export interface WebhooksOptions {
  dispatcher?: Partial<DispatcherOptions>;
  publisher?: Partial<PublisherOptions>;
}

export interface Webhooks {
  events: WebhookEvents;
  service: WebhooksService;
  dispatcher: WebhookDispatcher;
  start(): void;
  /** Stores the clicks still gathered, then waits for the deliveries being sent. */
  stop(): Promise<void>;
}

export function createWebhooks(
  deps: { store: MetaStore; outbound: Outbound; allow: OutboundAllowList; adminKeyHash: string; clock: Clock; log: DispatcherLog },
  options: WebhooksOptions = {},
): Webhooks {
  const dispatcherOptions = { ...DEFAULT_DISPATCHER_OPTIONS, ...options.dispatcher };
  const box = new SecretBox(deps.adminKeyHash);
  const dispatcher = new WebhookDispatcher(deps.store, deps.outbound, box, deps.log, dispatcherOptions);
  const queued = (): void => dispatcher.wake();
  const publisher = new WebhookPublisher(deps.store, queued, deps.log, { ...DEFAULT_PUBLISHER_OPTIONS, now: dispatcherOptions.now, ...options.publisher });
  const service = new WebhooksService(deps.store, box, deps.clock, {
    allow: deps.allow,
    queued,
    // The first attempt's timeout, plus a moment for a dispatcher to pick the delivery up.
    testWaitMs: dispatcherOptions.timeoutMs + Math.min(dispatcherOptions.pollMs, 2000),
    now: dispatcherOptions.now,
  });
  return {
    events: publisher,
    service,
    dispatcher,
    start: () => {
      publisher.start();
      dispatcher.start();
    },
    stop: async () => {
      await publisher.stop();
      await dispatcher.stop();
    },
  };
}
