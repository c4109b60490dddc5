/**
 * Pub/Sub for the operator (admin key): subscriptions (create, list, read, pause, resume, rotate
 * the push secret, delete), pulling and acknowledging, and the dead letters. No HTTP here:
 * failures are ApiErrors, as in every service. Delivery state lives in the MetaStore
 * (PubSubStore), so any node answers any call, and a crash loses no lease or acknowledgement.
 */
import { randomFillSync } from 'node:crypto';
import { ApiError, conflict, invalidFields, notFound } from '../http/apiError.js';
import { toIso, toIsoOrNull } from '../http/common.js';
import type { OutboundAllowList } from '../outbound/allowList.js';
import { checkedOutboundUrl } from '../outbound/checkedUrl.js';
import { listPage, type Listing, type PagingInput } from '../shared/paging.js';
import { randomBase62 } from '../shared/randomText.js';
import { UniqueViolation, type MetaStore } from '../store/metaStore.js';
import { generateWebhookSecret, type SecretBox } from '../webhooks/secretBox.js';
import type { EventStream } from './eventStream.js';
import type { MessageFeeder } from './feeder.js';
import { PUBSUB_TOPIC, type MessageRow, type PubSubStore, type SubscriptionRow } from './pubsubRows.js';
import {
  DEFAULT_ACK_DEADLINE_SECONDS,
  DEFAULT_MAX_DELIVERY_ATTEMPTS,
  type CreateSubscriptionInput,
  type CreatedSubscriptionView,
  type DeadLetterView,
  type ReceivedMessageView,
  type SubscriptionView,
  type SubscriptionWithSecretView,
} from './schemas.js';

const ACK_ID_BYTES = 18;
/** Random bytes for 256 ack ids, drawn at once: one randomBytes call per message took ~6% of a pull's time. */
const ackIdPool = Buffer.alloc(ACK_ID_BYTES * 256);
let ackIdOffset = ackIdPool.length;

/** 18 random bytes (144 bits), base64url: an ack id cannot be guessed to acknowledge another's delivery. */
export function newAckId(): string {
  if (ackIdOffset === ackIdPool.length) {
    randomFillSync(ackIdPool);
    ackIdOffset = 0;
  }
  const id = ackIdPool.toString('base64url', ackIdOffset, ackIdOffset + ACK_ID_BYTES);
  ackIdOffset += ACK_ID_BYTES;
  return id;
}

export interface PubSubServiceDeps {
  store: PubSubStore;
  /** Client ids named in a filter must exist. */
  clients: Pick<MetaStore, 'getClient'>;
  events: EventStream;
  feeder: MessageFeeder;
  box: SecretBox;
  /** Non-public addresses a push endpoint may name (MYTHIC_OUTBOUND_ALLOW). */
  allow: OutboundAllowList;
  /** Real time (epoch ms): leases, deadlines and ages are measured with it. */
  now: () => number;
  /** Wakes this node's push sender: a push subscription was created or resumed. */
  pushChanged: () => void;
}

const eventOf = (row: MessageRow): ReceivedMessageView['event'] => JSON.parse(row.payload) as ReceivedMessageView['event'];

export class PubSubService {
  constructor(private readonly deps: PubSubServiceDeps) {}

  async create(input: CreateSubscriptionInput): Promise<CreatedSubscriptionView> {
    const { store, box, now } = this.deps;
    let endpoint: string | null = null;
    if (input.type === 'push') {
      if (input.push_endpoint === undefined) throw invalidFields([{ field: 'push_endpoint', message: 'is required for a push subscription' }]);
      endpoint = checkedOutboundUrl(input.push_endpoint, 'push_endpoint', this.deps.allow);
    } else if (input.push_endpoint !== undefined) {
      throw invalidFields([{ field: 'push_endpoint', message: 'is only for push subscriptions (type "push")' }]);
    }
    const clientIds = input.filter?.client_ids ?? null;
    if (clientIds !== null) await this.checkClients(clientIds);
    const id = `sub_${randomBase62(12)}`;
    const secret = input.type === 'push' ? generateWebhookSecret() : null;
    const at = now();
    const row: SubscriptionRow = {
      id,
      name: input.name,
      name_key: input.name.toLowerCase(),
      topic: PUBSUB_TOPIC,
      type: input.type,
      push_endpoint: endpoint,
      push_secret_sealed: secret === null ? null : box.seal(secret, id),
      ack_deadline_seconds: input.ack_deadline_seconds ?? DEFAULT_ACK_DEADLINE_SECONDS,
      max_delivery_attempts: input.max_delivery_attempts ?? DEFAULT_MAX_DELIVERY_ATTEMPTS,
      filter: { client_ids: clientIds === null ? null : [...clientIds], events: input.filter?.events ? [...input.filter.events] : null },
      state: 'active',
      // It receives the events committed after this moment.
      cursor_seq: await this.deps.events.streamHorizon(),
      dropped_messages: 0,
      push_next_attempt_at: null,
      push_failures: 0,
      push_last_status: null,
      push_last_error: null,
      push_last_attempt_at: null,
      lease_owner: null,
      lease_until: null,
      created_at: at,
      updated_at: at,
    };
    try {
      await store.insertSubscription(row);
    } catch (error) {
      if (error instanceof UniqueViolation) throw conflict('name', `A subscription named '${input.name}' already exists (names are compared without case)`);
      throw error;
    }
    if (row.type === 'push') this.deps.pushChanged();
    const view = await this.present(row);
    return secret === null ? view : { ...view, push_secret: secret };
  }

  async list(paging: PagingInput): Promise<Listing<SubscriptionView>> {
    const page = await listPage(paging, (p) => this.deps.store.listSubscriptions(p), (row) => row);
    return { ...page, items: await Promise.all(page.items.map((row) => this.present(row))) };
  }

  async get(id: string): Promise<SubscriptionView> {
    return this.present(await this.row(id));
  }

  async remove(id: string): Promise<void> {
    if (!(await this.deps.store.deleteSubscription(id))) throw notFound('Subscription', id);
  }

  async pause(id: string): Promise<SubscriptionView> {
    return this.present(await this.change(id, { state: 'paused' }));
  }

  async resume(id: string): Promise<SubscriptionView> {
    const row = await this.change(id, { state: 'active' });
    if (row.type === 'push') this.deps.pushChanged();
    return this.present(row);
  }

  /** A new push secret, answered once; the old one stops signing at once. */
  async rotateSecret(id: string): Promise<SubscriptionWithSecretView> {
    const current = await this.row(id);
    if (current.type !== 'push') throw new ApiError(400, 'validation_error', `Subscription '${id}' is a pull subscription: it has no push secret`, [{ field: 'type', message: 'is pull' }]);
    const secret = generateWebhookSecret();
    const row = await this.change(id, { push_secret_sealed: this.deps.box.seal(secret, id) });
    return { ...(await this.present(row)), push_secret: secret };
  }

  /**
   * Stages what the window allows, then leases up to `max` available messages for the ack
   * deadline (messages past their last attempt go to the dead letters on the way). Possibly none.
   */
  async pull(id: string, max: number): Promise<ReceivedMessageView[]> {
    const { store, feeder, now } = this.deps;
    const row = await this.row(id);
    if (row.type !== 'pull') throw new ApiError(400, 'validation_error', `Subscription '${id}' is a push subscription: its messages are POSTed to its endpoint`, [{ field: 'type', message: 'is push' }]);
    if (row.state === 'paused') throw new ApiError(409, 'conflict', 'subscription is paused', [{ field: 'state', message: 'is paused; resume it to pull' }]);
    await feeder.fill(row);
    const at = now();
    const leased = await store.leaseMessages(id, at, at + row.ack_deadline_seconds * 1000, max, row.max_delivery_attempts, newAckId);
    return leased.map((message) => ({
      ack_id: message.ack_id ?? '',
      message_id: message.message_id,
      delivery_attempt: message.delivery_attempt,
      publish_time: toIso(message.publish_time),
      client_id: message.client_id,
      event: eventOf(message),
    }));
  }

  async acknowledge(id: string, ackIds: string[]): Promise<number> {
    await this.row(id);
    return this.deps.store.acknowledge(id, ackIds);
  }

  async modifyAckDeadline(id: string, ackIds: string[], seconds: number): Promise<number> {
    await this.row(id);
    return this.deps.store.modifyAckDeadline(id, ackIds, this.deps.now() + seconds * 1000);
  }

  async deadLetters(id: string, paging: PagingInput): Promise<Listing<DeadLetterView>> {
    await this.row(id);
    // Paged newest dead first: a page's cursor is the last row's (dead_at, message_id).
    return listPage(
      paging,
      async (page) => {
        const { rows, total } = await this.deps.store.listDeadLetters(id, page);
        return { rows: rows.map((row) => ({ ...row, created_at: row.dead_at ?? 0, id: row.message_id })), total };
      },
      (row): DeadLetterView => ({
        message_id: row.message_id,
        client_id: row.client_id,
        delivery_attempt: row.delivery_attempt,
        publish_time: toIso(row.publish_time),
        dead_at: toIso(row.created_at),
        last_error: row.last_error,
        event: eventOf(row),
      }),
    );
  }

  async replay(id: string, messageIds: string[] | null): Promise<number> {
    const row = await this.row(id);
    const replayed = await this.deps.store.replayDeadLetters(id, messageIds);
    if (replayed > 0 && row.type === 'push') this.deps.pushChanged();
    return replayed;
  }

  private async row(id: string): Promise<SubscriptionRow> {
    const row = await this.deps.store.getSubscription(id);
    if (row === null) throw notFound('Subscription', id);
    return row;
  }

  private async change(id: string, changes: Parameters<PubSubStore['updateSubscription']>[1]): Promise<SubscriptionRow> {
    const row = await this.deps.store.updateSubscription(id, changes, this.deps.now());
    if (row === null) throw notFound('Subscription', id);
    return row;
  }

  private async checkClients(ids: readonly string[]): Promise<void> {
    const found = await Promise.all(ids.map((id) => this.deps.clients.getClient(id)));
    const unknown = ids.filter((_, i) => found[i] === null);
    if (unknown.length > 0) {
      throw invalidFields([{ field: 'filter.client_ids', message: `names clients that do not exist: ${unknown.map((id) => `'${id}'`).join(', ')}` }]);
    }
  }

  /**
   * The subscription with its backlog: staged messages plus the events after the cursor not yet
   * staged (counted in the engine up to its horizon, as a pull reads them: a backlog never names
   * events a pull could not take yet, such as ClickHouse's last seconds inside the settle window,
   * or DuckDB rows visible a moment before the writer counts them), and how far behind the oldest
   * unacknowledged one is.
   */
  private async present(row: SubscriptionRow): Promise<SubscriptionView> {
    const at = this.deps.now();
    const horizon = await this.deps.events.streamHorizon();
    const [counts, behind] = await Promise.all([
      this.deps.store.backlogCounts(row.id, at),
      this.deps.events.streamBacklog({ afterSeq: row.cursor_seq, uptoSeq: horizon, filter: row.filter }),
    ]);
    const oldest = minOrNull(counts.oldest_publish_time, behind.oldest_received_at);
    return {
      id: row.id,
      name: row.name,
      topic: row.topic,
      type: row.type,
      push_endpoint: row.push_endpoint,
      ack_deadline_seconds: row.ack_deadline_seconds,
      max_delivery_attempts: row.max_delivery_attempts,
      filter: { client_ids: row.filter.client_ids, events: row.filter.events },
      state: row.state,
      backlog: {
        messages: counts.available + behind.events,
        in_flight: counts.in_flight,
        dead_letters: counts.dead,
        oldest_unacked_at: toIsoOrNull(oldest),
        lag_seconds: oldest === null ? null : Math.max(0, at - oldest) / 1000,
        dropped_messages: row.dropped_messages,
      },
      push:
        row.type === 'push'
          ? {
              last_status: row.push_last_status,
              last_error: row.push_last_error,
              last_attempt_at: toIsoOrNull(row.push_last_attempt_at),
              next_attempt_at: toIsoOrNull(row.push_next_attempt_at),
              consecutive_failures: row.push_failures,
            }
          : null,
      created_at: toIso(row.created_at),
      updated_at: toIso(row.updated_at),
    };
  }
}

function minOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
