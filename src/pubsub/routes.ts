/**
 * /admin/pubsub/subscriptions: Pub/Sub (admin key only). A client's sk_ is let through the admin
 * scope only to be told apart: a valid one is answered 403 (the key is known; it may not see every
 * client's events), anything else 401 like every admin route. Thin: parse, call the service,
 * envelope.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { adminErrors, DataEnvelope, errorResponse, ListEnvelope, listOf, ok, withConflict, withNotFound } from '../http/envelope.js';
import { refuseClientSecret } from '../http/refuseClientSecret.js';
import type { KeysService } from '../keys/service.js';
import {
  AcknowledgeBody,
  AcknowledgeResult,
  CreateSubscriptionBody,
  CreatedSubscription,
  DeadLetter,
  ListSubscriptionsQuery,
  ModifyAckDeadlineBody,
  ModifyAckDeadlineResult,
  PullBody,
  PullResult,
  ReplayBody,
  ReplayResult,
  Subscription,
  SubscriptionDeleteResult,
  SubscriptionParams,
  SubscriptionWithSecret,
} from './schemas.js';
import type { PubSubService } from './service.js';

const tags = ['Pub/Sub'];
/** A pull or a replay sent without a body (curl -X POST …/pull) takes every default, as `{}` does. */
const noBodyAsEmpty = async (request: FastifyRequest): Promise<void> => {
  request.body ??= {};
};
const forbidden = { 403: errorResponse('forbidden: a client’s secret key (Pub/Sub is for the admin key only)') } as const;
const errors = { ...adminErrors, ...forbidden } as const;
const notFoundErrors = { ...withNotFound, ...forbidden } as const;
const base = '/admin/pubsub/subscriptions';

export const pubsubRoutes: FastifyPluginAsyncTypebox<{ pubsub: PubSubService; keys: KeysService }> = async (app, { pubsub, keys }) => {
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, acceptsClientSecret: true };
  });
  app.addHook('onRequest', refuseClientSecret(keys, 'Pub/Sub subscriptions'));
  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Create a subscription on analytics.events; it receives the events stored from now on (a push one’s answer holds its signing secret, shown this once)',
        body: CreateSubscriptionBody,
        response: { 201: DataEnvelope(CreatedSubscription, 'Created'), ...errors, 409: errorResponse('conflict: the name is taken') },
      },
    },
    async (request, reply) => {
      const subscription = await pubsub.create(request.body);
      reply.header('location', `${app.prefix}${base}/${subscription.id}`);
      return reply.status(201).send(ok(subscription));
    },
  );

  app.get(
    base,
    { schema: { tags, summary: 'List subscriptions, newest first, with their backlogs', querystring: ListSubscriptionsQuery, response: { 200: ListEnvelope(Subscription), ...errors } } },
    async (request) => {
      const page = await pubsub.list(request.query);
      return listOf(page.items, page.total, page.next_cursor);
    },
  );

  app.get(
    `${base}/:id`,
    { schema: { tags, summary: 'One subscription: its settings, backlog (how far behind) and push state', params: SubscriptionParams, response: { 200: DataEnvelope(Subscription), ...notFoundErrors } } },
    async (request) => ok(await pubsub.get(request.params.id)),
  );

  app.delete(
    `${base}/:id`,
    { schema: { tags, summary: 'Delete a subscription, its staged messages and dead letters', params: SubscriptionParams, response: { 200: SubscriptionDeleteResult, ...notFoundErrors } } },
    async (request) => {
      await pubsub.remove(request.params.id);
      return { success: true as const, deleted: request.params.id };
    },
  );

  app.post(
    `${base}/:id/pause`,
    { schema: { tags, summary: 'Stop delivering; the backlog waits (bounded by the retention) until resumed', params: SubscriptionParams, response: { 200: DataEnvelope(Subscription), ...notFoundErrors } } },
    async (request) => ok(await pubsub.pause(request.params.id)),
  );

  app.post(
    `${base}/:id/resume`,
    { schema: { tags, summary: 'Deliver again, from where the subscription paused', params: SubscriptionParams, response: { 200: DataEnvelope(Subscription), ...notFoundErrors } } },
    async (request) => ok(await pubsub.resume(request.params.id)),
  );

  app.post(
    `${base}/:id/rotate-secret`,
    {
      schema: {
        tags,
        summary: 'Replace a push subscription’s signing secret (answered this once)',
        params: SubscriptionParams,
        response: { 200: DataEnvelope(SubscriptionWithSecret), ...notFoundErrors },
      },
    },
    async (request) => ok(await pubsub.rotateSecret(request.params.id)),
  );

  app.post(
    `${base}/:id/pull`,
    {
      schema: {
        tags,
        summary: 'Lease up to max_messages messages for the ack deadline (possibly none); in order per client',
        params: SubscriptionParams,
        body: PullBody,
        response: { 200: DataEnvelope(PullResult), ...withConflict, ...forbidden, 409: errorResponse('conflict: the subscription is paused') },
      },
      preValidation: noBodyAsEmpty,
    },
    async (request) => ok({ received_messages: await pubsub.pull(request.params.id, request.body.max_messages ?? 10) }),
  );

  app.post(
    `${base}/:id/acknowledge`,
    {
      schema: {
        tags,
        summary: 'Acknowledge deliveries by ack id: those messages are done',
        params: SubscriptionParams,
        body: AcknowledgeBody,
        response: { 200: DataEnvelope(AcknowledgeResult), ...notFoundErrors },
      },
    },
    async (request) => ok({ acknowledged: await pubsub.acknowledge(request.params.id, request.body.ack_ids) }),
  );

  app.post(
    `${base}/:id/modify-ack-deadline`,
    {
      schema: {
        tags,
        summary: 'Move the deadline of deliveries (seconds from now; 0 gives them back at once)',
        params: SubscriptionParams,
        body: ModifyAckDeadlineBody,
        response: { 200: DataEnvelope(ModifyAckDeadlineResult), ...notFoundErrors },
      },
    },
    async (request) => ok({ modified: await pubsub.modifyAckDeadline(request.params.id, request.body.ack_ids, request.body.ack_deadline_seconds) }),
  );

  app.get(
    `${base}/:id/dead-letters`,
    {
      schema: {
        tags,
        summary: 'Messages that reached max_delivery_attempts, newest dead first',
        params: SubscriptionParams,
        querystring: ListSubscriptionsQuery,
        response: { 200: ListEnvelope(DeadLetter), ...notFoundErrors },
      },
    },
    async (request) => {
      const page = await pubsub.deadLetters(request.params.id, request.query);
      return listOf(page.items, page.total, page.next_cursor);
    },
  );

  app.post(
    `${base}/:id/dead-letters/replay`,
    {
      schema: {
        tags,
        summary: 'Deliver dead letters again (these, or all), attempts from 0; they may arrive out of order',
        params: SubscriptionParams,
        body: ReplayBody,
        response: { 200: DataEnvelope(ReplayResult), ...notFoundErrors },
      },
      preValidation: noBodyAsEmpty,
    },
    async (request) => ok({ replayed: await pubsub.replay(request.params.id, request.body.message_ids ?? null) }),
  );
};
