/**
 * The Pub/Sub module put together for the app: one feeder (staging events as messages), the
 * service behind the routes, this node's push sender and dead-letter sweep. The app starts it
 * when it is ready and stops it when it closes, before the stores close.
 */
import type { OutboundAllowList } from '../outbound/allowList.js';
import type { Outbound } from '../outbound/outbound.js';
import type { MetaStore } from '../store/metaStore.js';
import { SecretBox } from '../webhooks/secretBox.js';
import { DeadLetterSweeper, type DeadLetterSweepOptions } from './deadLetterSweep.js';
import type { EventStream } from './eventStream.js';
import { MessageFeeder, type FeederOptions } from './feeder.js';
import type { PubSubStore } from './pubsubRows.js';
import { PushDispatcher, type PushDispatcherOptions, type PushLog } from './pushDispatcher.js';
import { PubSubService } from './service.js';

export interface PubSubOptions {
  /** Real time for leases, deadlines and retention (tests move it). Default Date.now. */
  now?: () => number;
  /** Stage window and retention limits (defaults in feeder.ts). */
  feeder?: Partial<FeederOptions>;
  /** The push sender's polling, timeouts, back-off (defaults in pushDispatcher.ts); its clock is `now` unless given. */
  push?: Partial<PushDispatcherOptions>;
  /** Dead-letter retention and how often it is swept (defaults in deadLetterSweep.ts); its clock is `now` unless given. */
  deadLetters?: Partial<DeadLetterSweepOptions>;
}

export interface PubSubDeps {
  store: PubSubStore & Pick<MetaStore, 'getClient'>;
  events: EventStream;
  outbound: Outbound;
  allow: OutboundAllowList;
  /** Push secrets are sealed under a key derived from it (webhooks/secretBox.ts). */
  adminKeyHash: string;
  log: PushLog;
}

export interface PubSub {
  service: PubSubService;
  feeder: MessageFeeder;
  deadLetters: DeadLetterSweeper;
  start(): void;
  /** Waits for the batches being pushed, if any (bounded by the sender's stopWaitMs), and a dead-letter sweep under way. */
  stop(): Promise<void>;
}

export function createPubSub(deps: PubSubDeps, options: PubSubOptions = {}): PubSub {
  const now = options.now ?? Date.now;
  const box = new SecretBox(deps.adminKeyHash);
  const events = deps.events;
  const feeder = new MessageFeeder({ store: deps.store, events, now }, options.feeder);
  const push = new PushDispatcher({ store: deps.store, feeder, outbound: deps.outbound, box, log: deps.log }, { now, ...options.push });
  // A push subscription created, resumed or with dead letters replayed: this node looks at once.
  const pushChanged = (): void => push.wake();
  const service = new PubSubService({ store: deps.store, clients: deps.store, events, feeder, box, allow: deps.allow, now, pushChanged });
  const deadLetters = new DeadLetterSweeper({ store: deps.store, log: deps.log }, { now, ...options.deadLetters });
  return {
    service,
    feeder,
    deadLetters,
    start: () => {
      push.start();
      deadLetters.start();
    },
    stop: async () => {
      await Promise.all([push.stop(), deadLetters.stop()]);
    },
  };
}
